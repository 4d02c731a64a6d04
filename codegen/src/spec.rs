//! What the extras need to know about each operation, read from the spec.

use openapiv3::{
    OpenAPI, ReferenceOr, Schema, SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty,
};

use crate::prepare::pascal;

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `operationId`, e.g. `list_contacts`.
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    /// Progenitor's builder struct, e.g. `ListContacts`.
    pub builder: String,
    /// Rust type (in `types`) of the success response, e.g. `ListContactsResponse`.
    pub response_type: String,
    /// Rust type of the error responses' body (`()` when they have none).
    pub error_type: String,
    /// Rust type (in `types`) of the JSON request body, if any.
    pub body_type: Option<String>,
    /// The success response has the `status` / `message` envelope.
    pub enveloped: bool,
    pub body_fields: Vec<RequestField>,
    pub paging: Option<Paging>,
    /// The spec marks the operation safe to repeat (`x-ingo-idempotent: true`).
    pub idempotent: bool,
    /// The body field that carries an idempotency key: one marked
    /// `x-ingo-idempotency-key: true`, or else one named `idempotent_key`.
    pub idempotency_key: Option<String>,
}

/// The operation extension that marks an operation safe to repeat.
pub const IDEMPOTENT_EXTENSION: &str = "x-ingo-idempotent";
/// The property extension that names a body's idempotency key field.
pub const IDEMPOTENCY_KEY_EXTENSION: &str = "x-ingo-idempotency-key";
/// The idempotency key field of Ingo's write operations.
const IDEMPOTENCY_KEY_FIELD: &str = "idempotent_key";

/// A field of a JSON request body and the constraints the spec puts on it.
#[derive(Debug, Clone, Default)]
pub struct RequestField {
    pub name: String,
    pub required: bool,
    /// Marked `x-ingo-idempotency-key: true`.
    pub idempotency_key: bool,
    pub description: Option<String>,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub enum_values: Vec<String>,
    pub date_time: bool,
    pub integer: bool,
}

/// How a list operation pages: `page`/`per_page` in, `data.items` and
/// `data.pagination` out.
#[derive(Debug, Clone)]
pub struct Paging {
    /// Rust type (in `types`) of one item, e.g. `Contact`.
    pub item_type: String,
    /// The item schema has a string `id` (used to drop duplicates across pages).
    pub item_has_id: bool,
    /// Which of `page`, `per_page` and `total` the pagination echo has.
    pub echo_page: bool,
    pub echo_per_page: bool,
    pub echo_total: bool,
}

fn schema_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

fn resolve<'a>(spec: &'a OpenAPI, r: &'a ReferenceOr<Schema>) -> Option<&'a Schema> {
    match r {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => {
            let name = schema_name(reference)?;
            spec.components.as_ref()?.schemas.get(name)?.as_item()
        }
    }
}

fn resolve_boxed<'a>(spec: &'a OpenAPI, r: &'a ReferenceOr<Box<Schema>>) -> Option<&'a Schema> {
    match r {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => {
            let name = schema_name(reference)?;
            spec.components.as_ref()?.schemas.get(name)?.as_item()
        }
    }
}

/// A response, following a `$ref` into `components.responses`.
pub(crate) fn response_item<'a>(
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
pub(crate) fn body_item<'a>(
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

fn object(schema: &Schema) -> Option<&openapiv3::ObjectType> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => Some(o),
        _ => None,
    }
}

/// The Rust type progenitor gives a response or body schema.
fn type_of(schema: &ReferenceOr<Schema>, inline_name: String) -> String {
    match schema {
        ReferenceOr::Reference { reference } => pascal(schema_name(reference).unwrap_or_default()),
        ReferenceOr::Item(_) => inline_name,
    }
}

/// The one Rust type of the responses `filter` selects; progenitor cannot
/// generate an operation whose responses of one class have several types.
fn response_type(
    spec: &OpenAPI,
    id: &str,
    op: &openapiv3::Operation,
    class: &str,
    filter: fn(&str) -> bool,
) -> Result<Option<String>, String> {
    let mut types = std::collections::BTreeSet::new();
    let codes = op
        .responses
        .responses
        .iter()
        .map(|(c, r)| (c.to_string(), r));
    let default = op
        .responses
        .default
        .iter()
        .map(|r| ("default".to_string(), r));
    for (code, response) in codes.chain(default) {
        if !filter(&code) {
            continue;
        }
        let response = response_item(spec, response).ok_or_else(|| {
            format!("operation `{id}`, response {code}: its `$ref` points at no response")
        })?;
        let ty = match response.content.iter().next() {
            None => "()".to_string(),
            Some((media, _)) if media != "application/json" => {
                return Err(format!(
                    "operation `{id}`, response {code}: only application/json bodies are supported, not `{media}`"
                ));
            }
            Some((_, media)) => match &media.schema {
                Some(s) => format!("types::{}", type_of(s, format!("{}Response", pascal(id)))),
                None => "()".to_string(),
            },
        };
        types.insert(ty);
    }
    if types.len() > 1 {
        return Err(format!(
            "operation `{id}`: its {class} responses use different schemas ({}); progenitor needs them to share one",
            types.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(types.into_iter().next())
}

pub fn operations(spec: &OpenAPI) -> Result<Vec<Operation>, String> {
    for (path, item) in &spec.paths.paths {
        if item.as_item().is_none() {
            return Err(format!(
                "path `{path}` is a `$ref`; write the path item inline"
            ));
        }
    }
    let mut out = Vec::new();
    for (path, method, op) in spec.operations() {
        let id = op.operation_id.clone().ok_or_else(|| {
            format!("`{method} {path}` has no operationId; every operation needs one")
        })?;
        let success = op
            .responses
            .responses
            .iter()
            .find(|(code, _)| code.to_string().starts_with('2'))
            .and_then(|(_, r)| response_item(spec, r))
            .and_then(|r| r.content.get("application/json"))
            .and_then(|m| m.schema.as_ref())
            .ok_or_else(|| format!("operation `{id}` has no 2xx application/json response"))?;
        let success_type = type_of(success, format!("{}Response", pascal(&id)));
        response_type(spec, &id, op, "success", |c| c.starts_with('2'))?;
        let error_type = response_type(spec, &id, op, "error", |c| !c.starts_with('2'))?
            .unwrap_or_else(|| "()".to_string());
        let response = resolve(spec, success);
        let response_props = response.and_then(object);
        let enveloped = response_props.is_some_and(|o| {
            o.properties.contains_key("status") && o.properties.contains_key("message")
        });

        let body_ref = op
            .request_body
            .as_ref()
            .and_then(|b| body_item(spec, b))
            .and_then(|b| b.content.get("application/json"))
            .and_then(|m| m.schema.as_ref());
        let body_type = body_ref.map(|s| type_of(s, format!("{}Body", pascal(&id))));
        let body_schema = body_ref.and_then(|s| resolve(spec, s));
        let body_fields: Vec<RequestField> = body_schema
            .and_then(object)
            .map(|o| {
                o.properties
                    .iter()
                    .map(|(name, s)| field(spec, name, o.required.contains(name), s))
                    .collect()
            })
            .unwrap_or_default();

        let paging = paging(spec, &body_fields, response_props);
        let idempotent = match op.extensions.get(IDEMPOTENT_EXTENSION) {
            None => false,
            Some(serde_json::Value::Bool(b)) => *b,
            Some(other) => {
                return Err(format!(
                    "operation `{id}`: `{IDEMPOTENT_EXTENSION}` must be true or false, not {other}"
                ));
            }
        };
        let idempotency_key = body_fields
            .iter()
            .find(|f| f.idempotency_key)
            .or_else(|| body_fields.iter().find(|f| f.name == IDEMPOTENCY_KEY_FIELD))
            .map(|f| f.name.clone());
        out.push(Operation {
            builder: pascal(&id),
            id,
            method: method.to_uppercase(),
            path: path.to_string(),
            summary: op.summary.clone(),
            response_type: success_type,
            error_type,
            body_type,
            enveloped,
            body_fields,
            paging,
            idempotent,
            idempotency_key,
        });
    }
    Ok(out)
}

fn field(
    spec: &OpenAPI,
    name: &str,
    required: bool,
    schema: &ReferenceOr<Box<Schema>>,
) -> RequestField {
    let mut f = RequestField {
        name: name.to_string(),
        required,
        ..Default::default()
    };
    let Some(schema) = resolve_boxed(spec, schema) else {
        return f;
    };
    f.description = schema.schema_data.description.clone();
    f.idempotency_key = schema.schema_data.extensions.get(IDEMPOTENCY_KEY_EXTENSION)
        == Some(&serde_json::Value::Bool(true));
    match &schema.schema_kind {
        SchemaKind::Type(Type::Integer(i)) => {
            f.integer = true;
            f.minimum = i
                .minimum
                .map(|m| if i.exclusive_minimum { m + 1 } else { m });
            f.maximum = i
                .maximum
                .map(|m| if i.exclusive_maximum { m - 1 } else { m });
        }
        SchemaKind::Type(Type::String(s)) => {
            f.min_length = s.min_length;
            f.max_length = s.max_length;
            f.enum_values = s.enumeration.iter().flatten().cloned().collect();
            f.date_time = matches!(
                s.format,
                VariantOrUnknownOrEmpty::Item(StringFormat::DateTime)
            );
        }
        _ => {}
    }
    f
}

/// A list operation takes `page` and `per_page` and answers with
/// `data: {items: [..], pagination: {..}}` whose items are a named schema.
fn paging(
    spec: &OpenAPI,
    fields: &[RequestField],
    response: Option<&openapiv3::ObjectType>,
) -> Option<Paging> {
    let has = |n: &str| fields.iter().any(|f| f.name == n);
    if !has("page") || !has("per_page") {
        return None;
    }
    let data = resolve_boxed(spec, response?.properties.get("data")?).and_then(object)?;
    let echo = resolve_boxed(spec, data.properties.get("pagination")?).and_then(object)?;
    let echoes = |name: &str| echo.properties.contains_key(name);
    let items = match &resolve_boxed(spec, data.properties.get("items")?)?.schema_kind {
        SchemaKind::Type(Type::Array(a)) => a.items.as_ref()?,
        _ => return None,
    };
    let ReferenceOr::Reference { reference } = items else {
        return None;
    };
    let item_name = schema_name(reference)?;
    let item_has_id = resolve_boxed(spec, items)
        .and_then(object)
        .is_some_and(|o| o.required.iter().any(|r| r == "id"));
    Some(Paging {
        item_type: pascal(item_name),
        item_has_id,
        echo_page: echoes("page"),
        echo_per_page: echoes("per_page"),
        echo_total: echoes("total"),
    })
}

/// Body fields that carry a credential: the `name` of every `apiKey`
/// security scheme (Ingo's `api_key`), which the client fills itself.
pub fn credential_fields(openapi: &OpenAPI) -> std::collections::BTreeSet<String> {
    openapi
        .components
        .iter()
        .flat_map(|c| c.security_schemes.values())
        .filter_map(|s| match s.as_item() {
            Some(openapiv3::SecurityScheme::APIKey { name, .. }) => Some(name.clone()),
            _ => None,
        })
        .collect()
}
