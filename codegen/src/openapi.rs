//! Reading an OpenAPI 3.0 document: `$ref`s resolved, subschemas listed,
//! names as progenitor gives them. Shared by the reading of the spec
//! (`spec.rs`) and the pre-pass (`prepare.rs`).

use openapiv3::{AdditionalProperties, OpenAPI, ReferenceOr, Schema, SchemaKind, Type};

/// The schema name a `#/components/schemas/…` reference points at.
pub fn schema_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

/// The reference to `components.schemas.<name>`.
pub fn schema_ref(name: &str) -> String {
    format!("#/components/schemas/{name}")
}

/// A boxed subschema (a property, array items) as a plain one.
pub fn unbox(r: &ReferenceOr<Box<Schema>>) -> ReferenceOr<Schema> {
    match r {
        ReferenceOr::Reference { reference } => ReferenceOr::Reference {
            reference: reference.clone(),
        },
        ReferenceOr::Item(s) => ReferenceOr::Item((**s).clone()),
    }
}

/// A schema, following one `$ref` into `components.schemas`.
pub fn resolve<'a>(spec: &'a OpenAPI, r: &'a ReferenceOr<Schema>) -> Option<&'a Schema> {
    match r {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => named(spec, schema_name(reference)?),
    }
}

/// A boxed schema, following one `$ref` into `components.schemas`.
pub fn resolve_boxed<'a>(spec: &'a OpenAPI, r: &'a ReferenceOr<Box<Schema>>) -> Option<&'a Schema> {
    match r {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => named(spec, schema_name(reference)?),
    }
}

fn named<'a>(spec: &'a OpenAPI, name: &str) -> Option<&'a Schema> {
    spec.components.as_ref()?.schemas.get(name)?.as_item()
}

/// A response, following a `$ref` into `components.responses`.
pub fn response_item<'a>(
    spec: &'a OpenAPI,
    r: &'a ReferenceOr<openapiv3::Response>,
) -> Option<&'a openapiv3::Response> {
    match r {
        ReferenceOr::Item(item) => Some(item),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/responses/")?;
            spec.components.as_ref()?.responses.get(name)?.as_item()
        }
    }
}

/// A request body, following a `$ref` into `components.requestBodies`.
pub fn body_item<'a>(
    spec: &'a OpenAPI,
    r: &'a ReferenceOr<openapiv3::RequestBody>,
) -> Option<&'a openapiv3::RequestBody> {
    match r {
        ReferenceOr::Item(item) => Some(item),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/requestBodies/")?;
            spec.components
                .as_ref()?
                .request_bodies
                .get(name)?
                .as_item()
        }
    }
}

/// The named schemas of `components.schemas` (a `$ref` there is skipped).
pub fn component_schemas(spec: &OpenAPI) -> Vec<(&String, &Schema)> {
    spec.components
        .iter()
        .flat_map(|c| c.schemas.iter())
        .filter_map(|(name, s)| s.as_item().map(|s| (name, s)))
        .collect()
}

/// An object schema's properties, by name.
pub type Properties = indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>;

/// The properties (and the required ones) of an object schema, in both its
/// typed and its catch-all form.
pub fn properties(schema: &Schema) -> Option<(&Properties, &[String])> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => Some((&o.properties, &o.required)),
        SchemaKind::Any(any) if !any.properties.is_empty() => {
            Some((&any.properties, &any.required))
        }
        _ => None,
    }
}

/// The subschemas directly inside `schema` (properties, items, map values,
/// `allOf`/`oneOf`/`anyOf`/`not` members), in both `SchemaKind::Type` and the
/// catch-all `SchemaKind::Any` forms.
pub fn children(schema: &Schema) -> Vec<ReferenceOr<Schema>> {
    let mut out = Vec::new();
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => {
            out.extend(o.properties.values().map(unbox));
            if let Some(AdditionalProperties::Schema(s)) = &o.additional_properties {
                out.push((**s).clone());
            }
        }
        SchemaKind::Type(Type::Array(a)) => out.extend(a.items.iter().map(unbox)),
        SchemaKind::OneOf { one_of: v }
        | SchemaKind::AllOf { all_of: v }
        | SchemaKind::AnyOf { any_of: v } => out.extend(v.iter().cloned()),
        SchemaKind::Not { not } => out.push((**not).clone()),
        SchemaKind::Any(any) => {
            out.extend(any.properties.values().map(unbox));
            if let Some(AdditionalProperties::Schema(s)) = &any.additional_properties {
                out.push((**s).clone());
            }
            out.extend(any.items.iter().map(unbox));
            out.extend(
                any.one_of
                    .iter()
                    .chain(&any.all_of)
                    .chain(&any.any_of)
                    .cloned(),
            );
            out.extend(any.not.iter().map(|n| (**n).clone()));
        }
        _ => {}
    }
    out
}

/// Every `$ref` name that appears inside `schema` (through inline subschemas).
pub fn refs_of(schema: &Schema) -> Vec<String> {
    let mut names = Vec::new();
    for child in children(schema) {
        match child {
            ReferenceOr::Reference { reference } => {
                names.extend(schema_name(&reference).map(String::from))
            }
            ReferenceOr::Item(inner) => names.extend(refs_of(&inner)),
        }
    }
    names
}

/// Call `f` on `schema` and on every inline subschema inside it.
pub fn walk_mut(schema: &mut Schema, f: &mut dyn FnMut(&mut Schema)) {
    f(schema);
    fn boxed(r: &mut ReferenceOr<Box<Schema>>, f: &mut dyn FnMut(&mut Schema)) {
        if let ReferenceOr::Item(s) = r {
            walk_mut(s, f)
        }
    }
    fn plain(r: &mut ReferenceOr<Schema>, f: &mut dyn FnMut(&mut Schema)) {
        if let ReferenceOr::Item(s) = r {
            walk_mut(s, f)
        }
    }
    fn map(a: &mut Option<AdditionalProperties>, f: &mut dyn FnMut(&mut Schema)) {
        if let Some(AdditionalProperties::Schema(s)) = a {
            plain(s, f)
        }
    }
    match &mut schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => {
            o.properties.values_mut().for_each(|p| boxed(p, f));
            map(&mut o.additional_properties, f);
        }
        SchemaKind::Type(Type::Array(a)) => a.items.iter_mut().for_each(|i| boxed(i, f)),
        SchemaKind::OneOf { one_of: v }
        | SchemaKind::AllOf { all_of: v }
        | SchemaKind::AnyOf { any_of: v } => v.iter_mut().for_each(|s| plain(s, f)),
        SchemaKind::Not { not } => plain(not, f),
        SchemaKind::Any(any) => {
            any.properties.values_mut().for_each(|p| boxed(p, f));
            any.items.iter_mut().for_each(|i| boxed(i, f));
            map(&mut any.additional_properties, f);
            let members = any
                .one_of
                .iter_mut()
                .chain(&mut any.all_of)
                .chain(&mut any.any_of);
            members.for_each(|s| plain(s, f));
            any.not.iter_mut().for_each(|s| plain(s, f));
        }
        _ => {}
    }
}

/// Every operation of the spec, mutably (path items given as `$ref` are
/// refused earlier, in `spec::operations`).
pub fn operations_mut(spec: &mut OpenAPI) -> Vec<&mut openapiv3::Operation> {
    let mut out = Vec::new();
    for (_, item) in spec.paths.paths.iter_mut() {
        if let ReferenceOr::Item(item) = item {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            out.extend(ops.into_iter().filter_map(Option::as_mut));
        }
    }
    out
}

/// The tag value `discriminator` gives the `oneOf` member `$ref: reference`
/// (its mapping key, or else the schema's name), with the schema's name.
pub fn discriminator_value<'a>(
    d: &openapiv3::Discriminator,
    reference: &'a str,
) -> Option<(&'a str, String)> {
    let target = schema_name(reference)?;
    let value = d
        .mapping
        .iter()
        .find(|(_, to)| *to == reference || to.as_str() == target)
        .map_or(target.to_string(), |(value, _)| value.clone());
    Some((target, value))
}

/// The names the generator gives an operation, whatever the style of its
/// `operationId` (`listUsers`, `ListUsers`, `list-users`, `users.list`,
/// `list_users`): the `Client` method, the builder and its inline types
/// (`{Builder}Body`, `{Builder}Response`), and the CLI command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationNames {
    /// snake_case, e.g. `list_users`.
    pub method: String,
    /// PascalCase, e.g. `ListUsers`.
    pub builder: String,
    /// kebab-case, e.g. `list-users`.
    pub command: String,
}

/// The names of the operation `id` (see [`OperationNames`]); `None` when it
/// has no letter or digit to name it by.
pub fn operation_names(id: &str) -> Option<OperationNames> {
    use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};
    let words: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut method = words.to_snake_case();
    if method.is_empty() {
        return None;
    }
    if method.starts_with(|c: char| c.is_ascii_digit()) {
        method = format!("op_{method}");
    }
    let builder = method.to_upper_camel_case();
    let command = method.to_kebab_case();
    // A Rust keyword cannot be a method name: `type` -> `type_`, as typify does.
    if syn::parse_str::<syn::Ident>(&method).is_err() {
        method.push('_');
    }
    Some(OperationNames {
        method,
        builder,
        command,
    })
}

/// `payment_direction` -> `PaymentDirection` (enum values, hoisted types).
pub fn pascal(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}
