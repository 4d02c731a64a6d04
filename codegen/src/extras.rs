//! Code generated beside progenitor's: open enums, the request rules and the
//! `Operation` / `ListOperation` impls for every builder.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::{self, Field};
use crate::prepare::{OpenEnum, pascal};
use crate::spec::{Kind, Operation, Paging, RequestField, Rule};

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

/// Rules, descriptors and trait impls for every operation; `file` is
/// progenitor's output, read for the exact types it generated.
pub fn client_extras(ops: &[Operation], file: &syn::File) -> Result<TokenStream, String> {
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
        let idempotent = op.idempotent;
        let key = match &op.idempotency_key {
            Some(key) => quote!(Some(#key)),
            None => quote!(None),
        };
        quote!(crate::OperationDescriptor {
            id: #id, method: #method, path: #p, summary: #summary, paginated: #list,
            fields: &[#(#fields),*], required: &[#(#required),*],
            idempotent: #idempotent, idempotency_key: #key,
        })
    });
    let impls = ops
        .iter()
        .map(|op| operation_impl(op, file))
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
                let body: #body = crate::operation::decode_body(#id, body)?;
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

fn operation_impl(op: &Operation, file: &syn::File) -> Result<TokenStream, String> {
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
                builder::#builder::send_raw(self)
            }
            fn envelope(response: &Self::Response) -> Option<(&str, &str)> {
                #envelope
            }
        }
    };
    match (&op.paging, &op.body_type) {
        (Some(paging), Some(body)) => {
            let list = list_impl(op, paging, body, file)?;
            Ok(quote!(#base #list))
        }
        _ => Ok(base),
    }
}

fn field<'a>(fields: &'a [Field], json_name: &str, owner: &str) -> Result<&'a Field, String> {
    fields
        .iter()
        .find(|f| f.json_name == json_name)
        .ok_or_else(|| format!("the generated type `{owner}` has no field `{json_name}`"))
}

fn fields_of(file: &syn::File, type_name: &str) -> Result<Vec<Field>, String> {
    model::struct_fields(file, type_name)
        .ok_or_else(|| format!("progenitor generated no struct `types::{type_name}`"))
}

/// The last segment of a type path (`types::ContactPage` -> `ContactPage`).
fn type_name(ty: &syn::Type) -> Result<String, String> {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .ok_or_else(|| "an empty type path".to_string()),
        other => Err(format!("`{}` is not a named type", quote!(#other))),
    }
}

/// `ListOperation` for a paged list, reading and setting the generated
/// fields directly (no JSON round trip).
fn list_impl(
    op: &Operation,
    paging: &Paging,
    body: &str,
    file: &syn::File,
) -> Result<TokenStream, String> {
    let builder = format_ident!("{}", op.builder);
    let item = path(&format!("types::{}", paging.item_type))?;
    let response = path(&format!("types::{}", op.response_type))?;
    let page_of = format_ident!("page_of_{}", op.id);

    let body_fields = fields_of(file, body)?;
    let page = field(&body_fields, "page", body)?;
    let page_ident = &page.ident;
    let page_ty = page.optional_inner().unwrap_or(&page.ty);

    let response_fields = fields_of(file, &op.response_type)?;
    let data = field(&response_fields, "data", &op.response_type)?;
    let data_ident = &data.ident;
    let data_expr = match data.optional_inner() {
        Some(_) => quote!(response.#data_ident),
        None => quote!(Some(response.#data_ident)),
    };
    let data_type = type_name(data.optional_inner().unwrap_or(&data.ty))?;
    let data_fields = fields_of(file, &data_type)?;
    let items = field(&data_fields, "items", &data_type)?;
    let items_ident = &items.ident;
    let items_expr = match items.optional_inner() {
        Some(_) => quote!(data.#items_ident.unwrap_or_default()),
        None => quote!(data.#items_ident),
    };
    let echo = field(&data_fields, "pagination", &data_type)?;
    let echo_ident = &echo.ident;
    let echo_type = type_name(echo.optional_inner().unwrap_or(&echo.ty))?;
    let echo_fields = fields_of(file, &echo_type)?;
    let number = |name: &str| match echo_fields.iter().find(|f| f.json_name == name) {
        Some(f) => {
            let ident = &f.ident;
            quote!(echo.#ident)
        }
        None => quote!(()),
    };
    let (page_n, per_page_n, total_n) = (number("page"), number("per_page"), number("total"));
    let info = match echo.optional_inner() {
        Some(_) => quote! {
            match &data.#echo_ident {
                Some(echo) => crate::PageInfo::new(#page_n, #per_page_n, #total_n),
                None => crate::PageInfo::default(),
            }
        },
        None => quote! {{
            let echo = &data.#echo_ident;
            crate::PageInfo::new(#page_n, #per_page_n, #total_n)
        }},
    };
    let item_id = if paging.item_has_id {
        quote!(Some(item.id.as_str()))
    } else {
        quote!({
            let _ = item;
            None
        })
    };
    Ok(quote! {
        /// The items and the paging echo of a response.
        fn #page_of(response: #response) -> Option<(Vec<#item>, crate::PageInfo)> {
            let data = #data_expr?;
            let info = #info;
            Some((#items_expr, info))
        }

        impl<'a> crate::ListOperation<'a> for builder::#builder<'a> {
            type Item = #item;
            fn with_page(self, page: u64) -> Self {
                let page = <#page_ty>::try_from(page).unwrap_or(<#page_ty>::MAX);
                self.body_map(move |b| b.#page_ident(page))
            }
            fn into_page(response: Self::Response) -> Option<(Vec<Self::Item>, crate::PageInfo)> {
                #page_of(response)
            }
            fn fetch_page(&self) -> crate::PageFuture<Self::Item> {
                let call = self.detached();
                Box::pin(async move {
                    #page_of(call.await?).ok_or_else(crate::operation::no_data)
                })
            }
            fn item_id(item: &Self::Item) -> Option<&str> {
                #item_id
            }
        }
    })
}

/// Items that need the builders' private fields, for `mod builder`: a
/// call that owns its client and body (so a walk can spawn it).
pub fn builder_extras(ops: &[Operation]) -> Result<Vec<syn::Item>, String> {
    let mut items = Vec::new();
    for op in ops
        .iter()
        .filter(|op| op.paging.is_some() && op.body_type.is_some())
    {
        let builder = format_ident!("{}", op.builder);
        let response = path(&format!("types::{}", op.response_type))?;
        let item: syn::Item = syn::parse2(quote! {
            impl<'a> #builder<'a> {
                /// This call, owning a clone of the client and of the body.
                pub(crate) fn detached(
                    &self,
                ) -> ::futures::future::BoxFuture<'static, Result<#response, crate::Error>> {
                    let client = self.client.clone();
                    let body = self.body.clone();
                    Box::pin(async move {
                        crate::Operation::call(#builder { client: &client, body }).await
                    })
                }
            }
        })
        .map_err(|e| format!("the builder extras of `{}` do not parse: {e}", op.id))?;
        items.push(item);
    }
    Ok(items)
}

/// Builder method names a body field's setter must not take: progenitor's,
/// ours, and the traits' the builders implement. A field with one of these
/// names gets its setter as `<name>_field` (documented in the README).
const RESERVED: &[&str] = &[
    "new",
    "body",
    "body_map",
    "send",
    "send_raw",
    "call",
    "items",
    "pages",
    "detached",
    "with_page",
    "into_page",
    "fetch_page",
    "item_id",
    "envelope",
    "clone",
    "clone_from",
    "fmt",
    "eq",
    "ne",
    "into",
    "try_into",
    "to_owned",
    "borrow",
    "hash",
    "type_id",
];

/// The setter name for a body field whose Rust name is `ident`.
pub fn setter_name(ident: &str) -> String {
    if RESERVED.contains(&ident) {
        format!("{ident}_field")
    } else {
        ident.to_string()
    }
}

/// One setter per body field and the inherent `call`/`send` (and
/// `items`/`pages` for lists) on every builder, so
/// `client.list_contacts().user_id(u).business_id(b).call()` needs no trait
/// import and no closure. Placed in `mod types`, where the field types are
/// spelled as typify spelled them.
pub fn flat_builders(
    ops: &[Operation],
    file: &syn::File,
    skip: &std::collections::BTreeSet<String>,
) -> Result<Vec<syn::Item>, String> {
    let mut items = Vec::new();
    for op in ops {
        let builder = format_ident!("{}", op.builder);
        let response = format_ident!("{}", op.response_type);
        let mut setters = Vec::new();
        if let Some(body) = &op.body_type {
            let mut taken = std::collections::BTreeSet::new();
            for f in fields_of(file, body)? {
                if skip.contains(&f.json_name) {
                    continue;
                }
                let name = setter_name(&f.ident.to_string());
                if !taken.insert(name.clone()) {
                    return Err(format!(
                        "operation `{}`: two body fields would both get the setter `{name}`; rename one",
                        op.id
                    ));
                }
                let spec_field = op.body_fields.iter().find(|s| s.name == f.json_name);
                setters.push(setter(&f, &name, spec_field));
            }
        }
        let list = if op.paging.is_some() && op.body_type.is_some() {
            quote! {
                /// Every item of every page, as a lazy stream (see [`crate::Items`]).
                pub fn items(self) -> crate::Items<'a, Self> {
                    crate::ListOperation::items(self)
                }
                /// Every page, as a lazy stream (see [`crate::Pages`]).
                pub fn pages(self) -> crate::Pages<'a, Self> {
                    crate::ListOperation::pages(self)
                }
            }
        } else {
            quote!()
        };
        let summary = op.summary.clone().unwrap_or_else(|| op.id.clone());
        let call_doc = format!(
            "{summary}: send the request and decode the response. A 2xx whose envelope \
             status is not `success` is an [`Error::Api`](crate::Error::Api) too."
        );
        let item: syn::Item = syn::parse2(quote! {
            impl<'a> super::builder::#builder<'a> {
                #(#setters)*

                #[doc = #call_doc]
                pub async fn call(self) -> ::std::result::Result<#response, crate::Error> {
                    crate::Operation::call(self).await
                }

                /// Like `call`, with the response's status and headers
                /// (e.g. the request id) beside the decoded body.
                pub async fn send(
                    self,
                ) -> ::std::result::Result<crate::ResponseValue<#response>, crate::Error> {
                    crate::Operation::send(self).await
                }

                #list
            }
        })
        .map_err(|e| format!("the flat builder of `{}` does not parse: {e}", op.id))?;
        items.push(item);
    }
    Ok(items)
}

fn setter(field: &Field, name: &str, spec: Option<&RequestField>) -> TokenStream {
    let name = format_ident!("{}", name);
    let ident = &field.ident;
    let inner = field.optional_inner().unwrap_or(&field.ty);
    let (param, value) = if model::is_string(inner) {
        (
            quote!(impl Into<::std::string::String>),
            quote!(value.into()),
        )
    } else {
        (quote!(#inner), quote!(value))
    };
    let value = if field.optional_inner().is_some() {
        quote!(Some(#value))
    } else {
        value
    };
    let mut doc = spec
        .and_then(|s| s.description.clone())
        .unwrap_or_else(|| format!("The `{}` field.", field.json_name));
    if let Some(rules) = spec.map(rules_text).filter(|r| !r.is_empty()) {
        doc.push_str(&format!("\n\n{rules} (checked before sending)."));
    }
    quote! {
        #[doc = #doc]
        pub fn #name(self, value: #param) -> Self {
            self.body_map(move |b| b.#ident(#value))
        }
    }
}

/// The spec's rules for a field, in words.
fn rules_text(f: &RequestField) -> String {
    let r = &f.rule;
    let mut rules = Vec::new();
    if f.required {
        rules.push("Required".to_string());
    }
    match (r.minimum, r.maximum) {
        (Some(min), Some(max)) => rules.push(format!("{min} to {max}")),
        (Some(min), None) => rules.push(format!("at least {min}")),
        (None, Some(max)) => rules.push(format!("at most {max}")),
        (None, None) => {}
    }
    match (r.min_length, r.max_length) {
        (Some(1), None) => rules.push("not empty".into()),
        (Some(min), None) => rules.push(format!("at least {min} characters")),
        (None, Some(max)) => rules.push(format!("at most {max} characters")),
        (Some(min), Some(max)) => rules.push(format!("{min} to {max} characters")),
        (None, None) => {}
    }
    if let Some(pattern) = &r.pattern {
        rules.push(format!("matches `{pattern}`"));
    }
    if let Some(format) = &r.format {
        rules.push(format!("format `{format}`"));
    }
    match (r.min_items, r.max_items) {
        (Some(min), Some(max)) => rules.push(format!("{min} to {max} items")),
        (Some(min), None) => rules.push(format!("at least {min} items")),
        (None, Some(max)) => rules.push(format!("at most {max} items")),
        (None, None) => {}
    }
    if !r.enum_values.is_empty() {
        rules.push(format!("one of `{}`", r.enum_values.join("`, `")));
    }
    rules.join("; ")
}

/// Hide what would mislead an importer: progenitor's `send()` (its own error
/// type, no envelope check) becomes the crate-private `send_raw()`, behind
/// the inherent `send()`/`call()`; `Client::new` (which would bypass the
/// builder's HTTP/1.1, timeouts and checks) is dropped and
/// `new_with_client` made crate-private.
pub fn hide_raw_entry_points(file: &mut syn::File) -> Result<(), String> {
    let crate_only: syn::Visibility = syn::parse_quote!(pub(crate));
    let builders =
        model::module_mut(file, "builder").ok_or("progenitor's output has no `builder` module")?;
    for item in builders.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        for member in block.items.iter_mut() {
            if let syn::ImplItem::Fn(f) = member
                && f.sig.ident == "send"
            {
                f.sig.ident = format_ident!("send_raw");
                f.vis = crate_only.clone();
            }
        }
    }
    for item in file.items.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let is_client = matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"));
        if !is_client || block.trait_.is_some() {
            continue;
        }
        block
            .items
            .retain(|m| !matches!(m, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
        for member in block.items.iter_mut() {
            if let syn::ImplItem::Fn(f) = member
                && f.sig.ident == "new_with_client"
            {
                f.vis = crate_only.clone();
            }
        }
    }
    Ok(())
}
