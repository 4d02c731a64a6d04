//! The code generated beside typify's types, for every operation of the
//! spec: the request rules, the response rules (for the drift observer) and descriptors, a method of `Client` and a
//! builder (one setter per body field, `call`/`send`, `items`/`pages` for
//! lists), the `Operation`/`ListOperation` impls, and open enums.
//!
//! progenitor's own client code is not used: ours must check, key, sign,
//! pace and retry every request, and classify every answer, which its
//! builders' `send()` cannot be told to do. Only its types are taken
//! (`Generator::get_type_space`), so nothing of its output is edited.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use typify_impl::TypeSpace;

use crate::prepare::OpenEnum;
use crate::spec::{Kind, Operation, Paging, RequestField, Rule};
use crate::types::{self, Field};

fn path(text: &str) -> Result<syn::Type, String> {
    syn::parse_str(text).map_err(|e| format!("`{text}` is not a Rust type: {e}"))
}

fn ident(name: &str) -> Result<syn::Ident, String> {
    syn::parse_str(name).map_err(|_| format!("`{name}` is not a Rust identifier"))
}

/// The Rust name typify gave a schema, as a path under `types`.
fn type_path(schema: &str) -> Result<syn::Type, String> {
    path(&format!("types::{}", types::type_name(schema)?))
}

fn variant_ident(value: &str) -> syn::Ident {
    let mut name = crate::openapi::pascal(value);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("V{name}");
    }
    if name == "Unknown" {
        name = "UnknownValue".into();
    }
    format_ident!("{}", name)
}

/// An `open_enum!` item per open enum, for `mod types`.
fn open_enums(enums: &[OpenEnum]) -> Result<Vec<TokenStream>, String> {
    let mut out = Vec::new();
    for e in enums {
        let name = ident(&types::type_name(&e.name)?)?;
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
        out.push(quote! {
            crate::open_enum::open_enum! {
                #[doc = #doc]
                #name { #(#variants),* }
            }
        });
    }
    Ok(out)
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
    if let Some(f) = checked_format(r) {
        set.push(quote!(format: Some(#f)));
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
    if let Some(v) = r.multiple_of.map(float) {
        set.push(quote!(multiple_of: Some(#v)));
    }
    if let Some(v) = r.min_properties.map(count) {
        set.push(quote!(min_properties: Some(#v)));
    }
    if let Some(v) = r.max_properties.map(count) {
        set.push(quote!(max_properties: Some(#v)));
    }
    if r.read_only {
        set.push(quote!(read_only: true));
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

/// The `validate::Format` of a format the client checks (others are any string).
fn checked_format(r: &Rule) -> Option<TokenStream> {
    let f = match r.format.as_deref()? {
        "date-time" => quote!(DateTime),
        "date" => quote!(Date),
        "uuid" => quote!(Uuid),
        "email" => quote!(Email),
        "byte" => quote!(Base64),
        "int32" => quote!(Int32),
        "int64" => quote!(Int64),
        _ => return None,
    };
    Some(quote!(crate::validate::Format::#f))
}

/// A `drift::Node` literal for the response schema `r` at `path` (`data.items[]`),
/// or `None` when there is nothing to check there or below: the declared
/// properties of an object (and whether it takes other keys), array items,
/// the enum, format and pattern of a value. Inside `oneOf`/`anyOf` nothing is
/// checked: serde buffers those values, so no undeclared key reaches the observer.
fn response_node(r: &Rule, path: &str) -> Option<TokenStream> {
    let (mut properties, extras) = merged_properties(r)?;
    // In the spec's order, which servers tend to send; a name once.
    let mut names = std::collections::BTreeSet::new();
    properties.retain(|p| names.insert(p.name.as_str()));
    let mut set = Vec::new();
    let mut checked = !properties.is_empty() && !extras;
    if !properties.is_empty() {
        let properties = properties.iter().map(|p| {
            let (name, required) = (&p.name, p.required);
            let child = if path.is_empty() {
                p.name.clone()
            } else {
                format!("{path}.{}", p.name)
            };
            checked |= required;
            let node = match response_node(&p.rule, &child) {
                Some(node) => {
                    checked = true;
                    quote!(Some(&#node))
                }
                None => quote!(None),
            };
            quote!(crate::drift::Property { name: #name, required: #required, node: #node })
        });
        let properties: Vec<TokenStream> = properties.collect();
        set.push(quote!(properties: &[#(#properties),*]));
    }
    if extras {
        set.push(quote!(extras: true));
    }
    if let Some(items) = r
        .items
        .as_deref()
        .and_then(|i| response_node(i, &format!("{path}[]")))
    {
        checked = true;
        set.push(quote!(items: Some(&#items)));
    }
    if !r.enum_values.is_empty() {
        checked = true;
        let v = &r.enum_values;
        set.push(quote!(one_of: &[#(#v),*]));
    }
    if let Some(f) = checked_format(r) {
        checked = true;
        set.push(quote!(format: Some(#f)));
    }
    if let Some(p) = &r.pattern {
        checked = true;
        set.push(quote!(pattern: Some(#p)));
    }
    checked
        .then(|| quote!(crate::drift::Node { path: #path, #(#set,)* ..crate::drift::Node::NONE }))
}

/// The properties of `r` and of its `allOf` members, and whether any of them
/// takes other keys; `None` under `oneOf`/`anyOf`.
fn merged_properties(r: &Rule) -> Option<(Vec<&RequestField>, bool)> {
    if !r.any_of.is_empty() {
        return None;
    }
    let mut properties: Vec<&RequestField> = r.properties.iter().collect();
    let mut extras = r.additional_allowed;
    for part in &r.all_of {
        let (more, part_extras) = merged_properties(part)?;
        properties.extend(more);
        extras |= part_extras;
    }
    Some((properties, extras))
}

fn descriptor(op: &Operation) -> TokenStream {
    let (id, method, p) = (&op.id, &op.method, &op.path);
    let summary = op.summary.clone().unwrap_or_default();
    let list = op.paging.is_some();
    let body = op.body_schema.is_some();
    let responses = &op.responses;
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
        id: #id, method: #method, path: #p, summary: #summary, paginated: #list, body: #body,
        responses: &[#(#responses),*],
        fields: &[#(#fields),*], required: &[#(#required),*],
        idempotent: #idempotent, idempotency_key: #key,
    })
}

/// Names `Client` has of its own, which no operation's method may take.
const CLIENT_METHODS: &[&str] = &[
    "builder",
    "base_url",
    "from_env",
    "call_json",
    "clone",
    "clone_from",
    "fmt",
];

/// Everything generated beside the types: `space` is progenitor's type space.
pub fn generate(
    ops: &[Operation],
    space: &TypeSpace,
    enums: &[OpenEnum],
    skip: &std::collections::BTreeSet<String>,
) -> Result<TokenStream, String> {
    let types = space.to_stream();
    let enums = open_enums(enums)?;
    let rules = ops.iter().map(|op| {
        let id = &op.id;
        let fields = op.body_fields.iter().map(field_rule);
        quote!(crate::validate::OperationRules { operation_id: #id, fields: &[#(#fields),*] })
    });
    let descriptors = ops.iter().map(descriptor);
    let response_rules = ops.iter().map(|op| {
        let id = &op.id;
        let root = match response_node(&op.response_rule, "") {
            Some(node) => quote!(Some(&#node)),
            None => quote!(None),
        };
        quote!(crate::drift::ResponseRules { operation_id: #id, root: #root })
    });
    let mut methods = Vec::new();
    let mut builders = Vec::new();
    let mut json_arms = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        let (method, builder) = (&op.names.method, &op.names.builder);
        if CLIENT_METHODS.contains(&method.as_str()) {
            return Err(format!(
                "operation `{}`: its method would take the name of `Client::{method}`; rename the operationId",
                op.id
            ));
        }
        let method = ident(method)?;
        let builder = ident(builder)?;
        let fields = body_fields(op, space)?;
        let doc = entry_doc(op, &fields, skip);
        methods.push(quote! {
            #[doc = #doc]
            pub fn #method(&self) -> builder::#builder<'_> {
                builder::#builder { client: self, body: ::std::default::Default::default() }
            }
        });
        builders.push(builder_item(op, index, space, skip, &fields)?);
        let id = &op.id;
        json_arms.push(quote! {
            #id => encode(self.#method().body_json(body).call().await?),
        });
    }
    Ok(quote! {
        /// Types used as operation parameters and responses.
        #[allow(clippy::all)]
        pub mod types {
            #types
            #(#enums)*
        }

        /// The request constraints of every operation, read from the spec.
        pub(crate) const REQUEST_RULES: &[crate::validate::OperationRules] = &[#(#rules),*];

        /// What the drift observer checks in each operation's success response, read from the spec.
        pub(crate) const RESPONSE_RULES: &[crate::drift::ResponseRules] = &[#(#response_rules),*];

        /// Every operation of the spec this crate was generated from.
        pub const OPERATIONS: &[crate::OperationDescriptor] = &[#(#descriptors),*];

        impl crate::Client {
            #(#methods)*

            /// Call any operation of the spec by its `operationId`, with a JSON
            /// body, and get the response as JSON: for tools that know the
            /// operations only at run time (the `ingo` CLI's commands that do
            /// not page). The body is checked against the spec like any other,
            /// and the response decoded into its type before it is re-encoded.
            pub async fn call_json(
                &self,
                operation_id: &str,
                body: ::serde_json::Value,
            ) -> ::std::result::Result<::serde_json::Value, crate::Error> {
                fn encode<R: ::serde::Serialize>(response: R) -> ::std::result::Result<::serde_json::Value, crate::Error> {
                    crate::operation::encode_response(&response)
                }
                match operation_id {
                    #(#json_arms)*
                    other => Err(crate::Error::InvalidRequest {
                        field: "operation".into(),
                        reason: format!("`{other}` is not an operation of the spec"),
                    }),
                }
            }
        }

        /// The builders of every operation: one setter per body field,
        /// `call()`/`send()`, and `items()`/`pages()` for paged lists.
        pub mod builder {
            #[allow(unused_imports)]
            use super::types;
            #(#builders)*
        }
    })
}

/// The fields of the operation's body type, as typify generated them.
fn body_fields(op: &Operation, space: &TypeSpace) -> Result<Vec<Field>, String> {
    let Some(schema) = &op.body_schema else {
        return Ok(Vec::new());
    };
    let json_names: Vec<String> = op.body_fields.iter().map(|f| f.name.clone()).collect();
    types::struct_fields(space, &types::type_name(schema)?, &json_names)
}

/// The method's rustdoc: what it calls, the spec's words, and an example
/// that sets the required text fields and sends (compiled by rustdoc).
fn entry_doc(
    op: &Operation,
    fields: &[Field],
    skip: &std::collections::BTreeSet<String>,
) -> String {
    let summary = op.summary.clone().unwrap_or_else(|| op.id.clone());
    let mut doc = format!("{summary}: `{} {}`.", op.method, op.path);
    if let Some(description) = &op.description {
        doc.push_str(&format!("\n\n{}", description.trim()));
    }
    let mut setters = String::new();
    for spec in op
        .body_fields
        .iter()
        .filter(|f| f.required && !skip.contains(&f.name))
    {
        if let Some(field) = fields.iter().find(|f| f.json == spec.name && f.is_string) {
            setters.push_str(&format!("\n    .{}(\"…\")", setter_name(&field.rust)));
        }
    }
    let send = if op.paging.is_some() && op.body_schema.is_some() {
        "\n    .items()\n    .try_collect()\n    .await?;\nprintln!(\"{} items\", all.len());"
    } else {
        "\n    .call()\n    .await?;"
    };
    let binding = if op.paging.is_some() && op.body_schema.is_some() {
        "let all: Vec<_>"
    } else {
        "let response"
    };
    doc.push_str(&format!(
        "\n\nSet the body's fields on the builder (one setter per field), then send; the body \
         is checked against the spec before anything is sent:\n\n```no_run\n\
         # use ingo_banking::prelude::*;\n\
         # async fn example(client: Client) -> Result<(), Error> {{\n\
         {binding} = client\n    .{}(){setters}{send}\n\
         # Ok(())\n# }}\n```",
        op.names.method
    ));
    doc
}

fn builder_item(
    op: &Operation,
    index: usize,
    space: &TypeSpace,
    skip: &std::collections::BTreeSet<String>,
    fields: &[Field],
) -> Result<TokenStream, String> {
    let builder = ident(&op.names.builder)?;
    let id = &op.id;
    let response = type_path(&op.response_schema)?;
    let body_doc = format!("The request of `Client::{}` (see there).", op.names.method);
    let (body_type, body_builder, setters) = match &op.body_schema {
        Some(schema) => {
            let name = types::type_name(schema)?;
            let setters = setters(op, fields, skip)?;
            (
                path(&format!("types::{name}"))?,
                path(&format!("types::builder::{name}"))?,
                setters,
            )
        }
        None => (path("()")?, path("()")?, Vec::new()),
    };
    let whole_body = if op.body_schema.is_some() {
        quote! {
            /// The whole body at once.
            pub fn body(mut self, body: #body_type) -> Self {
                self.body = crate::operation::Body::Typed(Ok(body.into()));
                self
            }

            /// Change the body through its typed builder.
            pub fn body_map(
                mut self,
                f: impl FnOnce(#body_builder) -> #body_builder,
            ) -> Self {
                self.body = self.body.map_typed::<#body_type>(f);
                self
            }

            /// The whole body as JSON (checked against the spec when sent, like any body).
            pub fn body_json(mut self, body: ::serde_json::Value) -> Self {
                self.body = crate::operation::Body::Json(body);
                self
            }
        }
    } else {
        quote! {
            /// The operation takes no body: JSON other than `null` or `{}` is refused when sent.
            pub fn body_json(mut self, body: ::serde_json::Value) -> Self {
                self.body = crate::operation::Body::Json(body);
                self
            }
        }
    };
    let envelope = if op.enveloped {
        let fields = types::struct_fields(
            space,
            &types::type_name(&op.response_schema)?,
            &["status".to_string(), "message".to_string()],
        )?;
        let status = ident(&types::find(&fields, "status", &op.response_schema)?.rust)?;
        let message = ident(&types::find(&fields, "message", &op.response_schema)?.rust)?;
        quote!(Some((
            crate::operation::AsText::as_text(&response.#status),
            crate::operation::AsText::as_text(&response.#message)
        )))
    } else {
        quote!({
            let _ = response;
            None
        })
    };
    let call_doc = format!(
        "{}: send the request and decode the response. A 2xx whose envelope \
         status is not `success` is an [`Error::Api`](crate::Error::Api) too.",
        op.summary.clone().unwrap_or_else(|| op.id.clone())
    );
    let (list_methods, list_impl) = match &op.paging {
        Some(paging) if op.body_schema.is_some() => (
            quote! {
                /// Every item of every page, as a lazy stream (see [`crate::Items`]).
                pub fn items(self) -> crate::Items<'a, Self> {
                    crate::ListOperation::items(self)
                }
                /// Every page, as a lazy stream (see [`crate::Pages`]).
                pub fn pages(self) -> crate::Pages<'a, Self> {
                    crate::ListOperation::pages(self)
                }
            },
            list_impl(op, paging, space)?,
        ),
        _ => (quote!(), quote!()),
    };
    Ok(quote! {
        #[doc = #body_doc]
        #[derive(Debug, Clone)]
        #[must_use = "nothing is sent until `.call()`, `.send()`, `.items()` or `.pages()`"]
        pub struct #builder<'a> {
            pub(crate) client: &'a crate::Client,
            pub(crate) body: crate::operation::Body<#body_builder>,
        }

        impl<'a> #builder<'a> {
            #(#setters)*
            #whole_body

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

            #list_methods
        }

        impl<'a> crate::operation::Sealed for #builder<'a> {
            type Body = #body_type;
            type BodyBuilder = #body_builder;
            fn client(&self) -> &crate::Client {
                self.client
            }
            fn request_body(&self) -> &crate::operation::Body<#body_builder> {
                &self.body
            }
        }

        impl<'a> crate::Operation<'a> for #builder<'a> {
            type Response = #response;
            const ID: &'static str = #id;
            const DESCRIPTOR: &'static crate::OperationDescriptor = &super::OPERATIONS[#index];
            fn envelope(response: &Self::Response) -> Option<(&str, &str)> {
                #envelope
            }
        }

        #list_impl
    })
}

/// Builder method names a body field's setter must not take: ours, and the
/// traits' the builders implement. A field with one of these names gets its
/// setter as `<name>_field` (documented in the README).
const RESERVED: &[&str] = &[
    "new",
    "body",
    "body_map",
    "body_json",
    "send",
    "call",
    "items",
    "pages",
    "client",
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

/// One setter per body field (none for a credential the client fills).
fn setters(
    op: &Operation,
    fields: &[Field],
    skip: &std::collections::BTreeSet<String>,
) -> Result<Vec<TokenStream>, String> {
    let mut taken = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    // A credential the client fills, and a field the server sets, get none.
    let read_only = |f: &Field| {
        op.body_fields
            .iter()
            .any(|s| s.name == f.json && s.rule.read_only)
    };
    for f in fields
        .iter()
        .filter(|f| !skip.contains(&f.json) && !read_only(f))
    {
        let name = setter_name(&f.rust);
        if !taken.insert(name.clone()) {
            return Err(format!(
                "operation `{}`: two body fields would both get the setter `{name}`; rename one",
                op.id
            ));
        }
        let spec_field = op.body_fields.iter().find(|s| s.name == f.json);
        out.push(setter(f, &name, spec_field)?);
    }
    Ok(out)
}

fn setter(field: &Field, name: &str, spec: Option<&RequestField>) -> Result<TokenStream, String> {
    let name = ident(name)?;
    let typed = ident(&field.rust)?;
    let json = &field.json;
    let inner = field.value_type();
    let (param, value) = if field.is_string {
        (
            quote!(impl Into<::std::string::String>),
            quote!(::std::convert::Into::<::std::string::String>::into(value)),
        )
    } else {
        (quote!(#inner), quote!(value))
    };
    let mut doc = spec
        .and_then(|s| s.description.clone())
        .unwrap_or_else(|| format!("The `{json}` field."));
    if let Some(rules) = spec
        .map(|s| s.rules_text(crate::spec::Prose::Setter))
        .filter(|r| !r.is_empty())
    {
        doc.push_str(&format!("\n\n{rules} Checked before sending."));
    }
    Ok(quote! {
        #[doc = #doc]
        pub fn #name(mut self, value: #param) -> Self {
            self.body = self.body.set(#json, #value, |b, v| b.#typed(v));
            self
        }
    })
}

/// `ListOperation` for a paged list, reading the generated fields directly.
/// The types are followed through typify's type space from the response:
/// `data`, its `items` and `pagination`, and the echo's numbers.
fn list_impl(op: &Operation, paging: &Paging, space: &TypeSpace) -> Result<TokenStream, String> {
    let builder = ident(&op.names.builder)?;
    let response_name = types::type_name(&op.response_schema)?;
    let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();

    let response_fields = types::struct_fields(space, &response_name, &owned(&["data"]))?;
    let data = types::find(&response_fields, "data", &response_name)?;
    let data_ident = ident(&data.rust)?;
    let data_expr = match data.optional_inner {
        Some(_) => quote!(response.#data_ident),
        None => quote!(Some(response.#data_ident)),
    };
    let data_type = types::name_of(space, &data.value_id)?;
    let data_fields = types::fields_of_id(space, &data.value_id, &owned(&["items", "pagination"]))?;
    let items = types::find(&data_fields, "items", &data_type)?;
    let items_ident = ident(&items.rust)?;
    let items_expr = match items.optional_inner {
        Some(_) => quote!(data.#items_ident.unwrap_or_default()),
        None => quote!(data.#items_ident),
    };
    let item_id = types::vec_item(space, &items.value_id)
        .ok_or_else(|| format!("`types::{data_type}.items` is not an array"))?;
    let item_name = types::name_of(space, &item_id)?;
    let item = path(&format!("types::{item_name}"))?;
    let echo = types::find(&data_fields, "pagination", &data_type)?;
    let echo_ident = ident(&echo.rust)?;
    let echo_fields = types::fields_of_id(
        space,
        &echo.value_id,
        &owned(&["page", "per_page", "total"]),
    )?;
    let number = |name: &str| -> Result<TokenStream, String> {
        match echo_fields.iter().find(|f| f.json == name) {
            Some(f) => {
                let ident = ident(&f.rust)?;
                Ok(quote!(echo.#ident))
            }
            None => Ok(quote!(())),
        }
    };
    let (page_n, per_page_n, total_n) = (number("page")?, number("per_page")?, number("total")?);
    let info = match echo.optional_inner {
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
        let item_fields = types::fields_of_id(space, &item_id, &owned(&["id"]))?;
        let id = ident(&types::find(&item_fields, "id", &item_name)?.rust)?;
        quote!(Some(item.#id.as_str()))
    } else {
        quote!({
            let _ = item;
            None
        })
    };
    let response = path(&format!("types::{response_name}"))?;
    let body = types::type_name(op.body_schema.as_deref().unwrap_or_default())?;
    let page_fields = types::struct_fields(space, &body, &owned(&["page"]))?;
    let page = types::find(&page_fields, "page", &body)?;
    let page_field = ident(&page.rust)?;
    let page_type = page.value_type().clone();
    Ok(quote! {
        impl<'a> crate::ListOperation<'a> for #builder<'a> {
            type Item = #item;
            fn with_page(mut self, page: u64) -> Self {
                let page = <#page_type>::try_from(page).unwrap_or(<#page_type>::MAX);
                self.body = self.body.set("page", page, |b, v| b.#page_field(v));
                self
            }
            fn into_page(response: #response) -> Option<(Vec<#item>, crate::PageInfo)> {
                let data = #data_expr?;
                let info = #info;
                Some((#items_expr, info))
            }
            fn item_id(item: &Self::Item) -> Option<&str> {
                #item_id
            }
        }
    })
}
