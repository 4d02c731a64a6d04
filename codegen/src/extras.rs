//! Code generated beside progenitor's: open enums, the request rules and the
//! `Operation` / `ListOperation` impls for every builder.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::prepare::{OpenEnum, pascal};
use crate::spec::{Kind, Operation, RequestField, Rule};

fn path(text: &str) -> Result<syn::Type, String> {
    syn::parse_str(text).map_err(|e| format!("`{text}` is not a Rust type: {e}"))
}

fn variant_ident(value: &str) -> syn::Ident {
    let mut name = pascal(value);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("V{name}");
    }
    if name == "Unknown" {
        name = "UnknownValue".into();
    }
    format_ident!("{}", name)
}

/// Put an `open_enum!` item for each open enum into `mod types`.
pub fn add_open_enums(file: &mut syn::File, enums: &[OpenEnum]) -> Result<(), String> {
    let types = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
            _ => None,
        })
        .ok_or("progenitor's output has no `types` module")?;
    for e in enums {
        let name = format_ident!("{}", e.name);
        let doc = e
            .description
            .clone()
            .unwrap_or_else(|| format!("`{}` as the API sends it.", e.name));
        // Values that name the same variant (`a-b`, `a_b`) get a number.
        let mut taken = std::collections::BTreeSet::new();
        let variants = e.values.iter().map(|v| {
            let base = variant_ident(v).to_string();
            let mut name = base.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                name = format!("{base}{n}");
                n += 1;
            }
            let ident = format_ident!("{}", name);
            quote!(#ident => #v)
        });
        let item: syn::Item = syn::parse2(quote! {
            crate::open_enum::open_enum! {
                #[doc = #doc]
                #name { #(#variants),* }
            }
        })
        .map_err(|e| format!("open enum `{name}` does not parse: {e}"))?;
        types.1.push(item);
    }
    Ok(())
}

fn field_rule(f: &RequestField) -> TokenStream {
    let (name, required, rule) = (&f.name, f.required, rule(&f.rule));
    quote!(crate::validate::FieldRule { name: #name, required: #required, rule: #rule })
}

/// A `validate::Rule` literal: only what differs from `Rule::ANY`.
fn rule(r: &Rule) -> TokenStream {
    let mut set = Vec::new();
    if r.kind != Kind::Any {
        let kind = format_ident!("{}", r.kind.name());
        set.push(quote!(kind: crate::validate::Kind::#kind));
    }
    if r.nullable {
        set.push(quote!(nullable: true));
    }
    let float = |v: f64| proc_macro2::Literal::f64_suffixed(v);
    // A non-finite bound (YAML `.inf`) bounds nothing.
    if let Some(v) = r.minimum.filter(|v| v.is_finite()).map(float) {
        set.push(quote!(minimum: Some(#v)));
    }
    if let Some(v) = r.maximum.filter(|v| v.is_finite()).map(float) {
        set.push(quote!(maximum: Some(#v)));
    }
    if r.exclusive_minimum {
        set.push(quote!(exclusive_minimum: true));
    }
    if r.exclusive_maximum {
        set.push(quote!(exclusive_maximum: true));
    }
    let count = |v: usize| v as u64;
    if let Some(v) = r.min_length.map(count) {
        set.push(quote!(min_length: Some(#v)));
    }
    if let Some(v) = r.max_length.map(count) {
        set.push(quote!(max_length: Some(#v)));
    }
    if let Some(p) = &r.pattern {
        set.push(quote!(pattern: Some(#p)));
    }
    let format = match r.format.as_deref() {
        Some("date-time") => Some(quote!(DateTime)),
        Some("date") => Some(quote!(Date)),
        Some("uuid") => Some(quote!(Uuid)),
        Some("email") => Some(quote!(Email)),
        _ => None,
    };
    if let Some(f) = format {
        set.push(quote!(format: Some(crate::validate::Format::#f)));
    }
    if !r.enum_values.is_empty() {
        let v = &r.enum_values;
        set.push(quote!(one_of: &[#(#v),*]));
    }
    if !r.enum_numbers.is_empty() {
        let v = r
            .enum_numbers
            .iter()
            .filter(|v| v.is_finite())
            .map(|v| float(*v));
        set.push(quote!(one_of_numbers: &[#(#v),*]));
    }
    if let Some(v) = r.min_items.map(count) {
        set.push(quote!(min_items: Some(#v)));
    }
    if let Some(v) = r.max_items.map(count) {
        set.push(quote!(max_items: Some(#v)));
    }
    if r.unique_items {
        set.push(quote!(unique_items: true));
    }
    if let Some(items) = &r.items {
        let items = rule(items);
        set.push(quote!(items: Some(&#items)));
    }
    if !r.properties.is_empty() {
        let p = r.properties.iter().map(field_rule);
        set.push(quote!(properties: &[#(#p),*]));
    }
    if let Some(additional) = &r.additional {
        let a = rule(additional);
        set.push(quote!(additional: Some(&#a)));
    }
    if !r.all_of.is_empty() {
        let v = r.all_of.iter().map(rule);
        set.push(quote!(all_of: &[#(#v),*]));
    }
    if !r.any_of.is_empty() {
        let v = r.any_of.iter().map(rule);
        set.push(quote!(any_of: &[#(#v),*]));
    }
    if let Some(not) = &r.not {
        let not = rule(not);
        set.push(quote!(not: Some(&#not)));
    }
    quote!(crate::validate::Rule { #(#set,)* ..crate::validate::Rule::ANY })
}

/// Rules, descriptors and trait impls for every operation.
pub fn client_extras(ops: &[Operation]) -> Result<TokenStream, String> {
    let rules = ops.iter().map(|op| {
        let id = &op.id;
        let fields = op.body_fields.iter().map(field_rule);
        quote!(crate::validate::OperationRules { operation_id: #id, fields: &[#(#fields),*] })
    });
    let descriptors = ops.iter().map(|op| {
        let (id, method, p) = (&op.id, &op.method, &op.path);
        let summary = op.summary.clone().unwrap_or_default();
        let list = op.paging.is_some();
        let fields = op.body_fields.iter().map(|f| &f.name);
        let required = op
            .body_fields
            .iter()
            .filter(|f| f.required)
            .map(|f| &f.name);
        quote!(crate::OperationDescriptor {
            id: #id, method: #method, path: #p, summary: #summary, paginated: #list,
            fields: &[#(#fields),*], required: &[#(#required),*],
        })
    });
    let impls = ops
        .iter()
        .map(operation_impl)
        .collect::<Result<Vec<_>, _>>()?;
    let json_arms = ops.iter().map(json_arm).collect::<Result<Vec<_>, _>>()?;
    Ok(quote! {
        /// The request constraints of every operation, read from the spec.
        pub(crate) const REQUEST_RULES: &[crate::validate::OperationRules] = &[#(#rules),*];

        /// Every operation of the spec this crate was generated from.
        pub const OPERATIONS: &[crate::OperationDescriptor] = &[#(#descriptors),*];

        #(#impls)*

        impl Client {
            /// Call any operation of the spec by its `operationId`, with a JSON
            /// body, and get the response as JSON (for tools that do not know
            /// the operations at compile time, like the CLI).
            pub async fn call_json(
                &self,
                operation_id: &str,
                body: ::serde_json::Value,
            ) -> Result<::serde_json::Value, crate::Error> {
                match operation_id {
                    #(#json_arms)*
                    other => Err(crate::Error::InvalidRequest {
                        field: "operation".into(),
                        reason: format!("`{other}` is not an operation of the spec"),
                    }),
                }
            }
        }
    })
}

fn json_arm(op: &Operation) -> Result<TokenStream, String> {
    let id = &op.id;
    let method = format_ident!("{}", op.id);
    let call = match &op.body_type {
        Some(body) => {
            let body = path(&format!("types::{body}"))?;
            quote! {
                // The spec's rules first: their errors name the field (a typed
                // decode would only say "did not match any variant").
                crate::validate::check(#id, &body)?;
                let body: #body = crate::operation::decode_body(body)?;
                crate::Operation::call(self.#method().body(body)).await?
            }
        }
        None => quote!(crate::Operation::call(self.#method()).await?),
    };
    Ok(quote! {
        #id => {
            let response = { #call };
            crate::operation::encode_response(&response)
        }
    })
}

fn operation_impl(op: &Operation) -> Result<TokenStream, String> {
    let builder = format_ident!("{}", op.builder);
    let id = &op.id;
    let response = path(&format!("types::{}", op.response_type))?;
    let error = path(&op.error_type)?;
    let envelope = if op.enveloped {
        quote!(Some((
            crate::operation::AsText::as_text(&response.status),
            crate::operation::AsText::as_text(&response.message)
        )))
    } else {
        quote!(None)
    };
    let base = quote! {
        impl<'a> crate::Operation<'a> for builder::#builder<'a> {
            type Response = #response;
            type ErrorBody = #error;
            const ID: &'static str = #id;
            fn send_raw(self) -> impl ::std::future::Future<
                Output = Result<ResponseValue<Self::Response>, Error<Self::ErrorBody>>,
            > + Send + 'a {
                builder::#builder::send(self)
            }
            fn envelope(response: &Self::Response) -> Option<(&str, &str)> {
                #envelope
            }
        }
    };
    let (Some(paging), Some(body)) = (&op.paging, &op.body_type) else {
        return Ok(base);
    };
    let item = path(&format!("types::{}", paging.item_type))?;
    let body = path(&format!("types::{body}"))?;
    let item_id = if paging.item_has_id {
        quote!(Some(item.id.as_str()))
    } else {
        quote!({
            let _ = item;
            None
        })
    };
    Ok(quote! {
        #base
        impl<'a> crate::ListOperation<'a> for builder::#builder<'a> {
            type Item = #item;
            fn with_page(self, page: u64) -> Self {
                self.body_map(move |b| crate::operation::set_field::<#body, _>(b, "page", page))
            }
            fn into_page(response: Self::Response) -> Option<(Vec<Self::Item>, crate::PageInfo)> {
                response.data.map(|d| (d.items, crate::PageInfo::from_echo(&d.pagination)))
            }
            fn item_id(item: &Self::Item) -> Option<&str> {
                #item_id
            }
        }
    })
}
