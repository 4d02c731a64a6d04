//! Code generated beside progenitor's: open enums, the request rules and the
//! `Operation` / `ListOperation` impls for every builder.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::prepare::{OpenEnum, pascal};
use crate::spec::{Operation, RequestField};

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
        let variants = e.values.iter().map(|v| {
            let ident = variant_ident(v);
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

fn opt<T: quote::ToTokens>(v: &Option<T>) -> TokenStream {
    match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

fn rule(f: &RequestField) -> TokenStream {
    let RequestField {
        name,
        required,
        minimum,
        maximum,
        enum_values,
        date_time,
        integer,
        ..
    } = f;
    let (minimum, maximum) = (opt(minimum), opt(maximum));
    let min_length = opt(&f.min_length.map(|n| n as u64));
    let max_length = opt(&f.max_length.map(|n| n as u64));
    quote! {
        crate::validate::FieldRule {
            name: #name,
            required: #required,
            integer: #integer,
            minimum: #minimum,
            maximum: #maximum,
            min_length: #min_length,
            max_length: #max_length,
            one_of: &[#(#enum_values),*],
            date_time: #date_time,
        }
    }
}

/// Rules, descriptors and trait impls for every operation.
pub fn client_extras(ops: &[Operation]) -> Result<TokenStream, String> {
    let rules = ops.iter().map(|op| {
        let id = &op.id;
        let fields = op.body_fields.iter().map(rule);
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
