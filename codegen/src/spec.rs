//! What the extras need to know about each operation, read from the spec.

use openapiv3::{
    OpenAPI, ReferenceOr, Schema, SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty,
};

use crate::openapi::{
    OperationNames, body_item, discriminator_value, operation_names, resolve, resolve_boxed,
    response_item, schema_name, unbox,
};

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `operationId`, e.g. `list_contacts`.
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// The `Client` method (`list_contacts`), the builder (`ListContacts`)
    /// and the CLI command (`list-contacts`).
    pub names: OperationNames,
    /// The schema (in `components.schemas`, where the pre-pass puts an
    /// inline one) of the success response, e.g. `ListContactsResponse`.
    pub response_schema: String,
    /// The schema of the JSON request body, if any.
    pub body_schema: Option<String>,
    /// The response codes the spec documents (`200`, `4XX`, `default`).
    pub responses: Vec<String>,
    /// The success response's schema, as the spec states it (for the drift
    /// observer's `RESPONSE_RULES`).
    pub response_rule: Rule,
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

/// A field of a JSON request body (or of an object inside one) and the
/// constraints the spec puts on it.
#[derive(Debug, Clone, Default)]
pub struct RequestField {
    pub name: String,
    pub required: bool,
    /// Marked `x-ingo-idempotency-key: true`.
    pub idempotency_key: bool,
    pub description: Option<String>,
    pub rule: Rule,
}

/// The JSON type a schema asks for (`Any` when it names none, e.g. `allOf`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    #[default]
    Any,
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
}

impl Kind {
    /// The variant's name, as in `validate::Kind`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Any => "Any",
            Kind::String => "String",
            Kind::Integer => "Integer",
            Kind::Number => "Number",
            Kind::Boolean => "Boolean",
            Kind::Array => "Array",
            Kind::Object => "Object",
        }
    }
}

/// Every constraint of one schema, read from the untouched spec (the pre-pass
/// later removes them from what typify sees), with `$ref`s resolved.
#[derive(Debug, Clone, Default)]
pub struct Rule {
    pub kind: Kind,
    pub nullable: bool,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: bool,
    pub exclusive_maximum: bool,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    /// An ECMA-262 regular expression (checked to compile at build time).
    pub pattern: Option<String>,
    /// `date-time`, `date`, `uuid`, `email`, `byte`, `int32`, `int64`, or a
    /// format the client does not check (`decimal`, `float`, `double`,
    /// `password`); any other fails the build (`keywords.rs`).
    pub format: Option<String>,
    /// A number must be a multiple of this.
    pub multiple_of: Option<f64>,
    pub min_properties: Option<usize>,
    pub max_properties: Option<usize>,
    /// `readOnly: true`: the server sets it; a request must not carry it.
    pub read_only: bool,
    pub enum_values: Vec<String>,
    /// The values of an integer or number enum.
    pub enum_numbers: Vec<f64>,
    pub min_items: Option<usize>,
    pub max_items: Option<usize>,
    pub unique_items: bool,
    pub items: Option<Box<Rule>>,
    pub properties: Vec<RequestField>,
    /// The schema of the values of an `additionalProperties` map.
    pub additional: Option<Box<Rule>>,
    /// `additionalProperties: true` or a schema: keys beyond `properties` are expected.
    pub additional_allowed: bool,
    /// Every one must match.
    pub all_of: Vec<Rule>,
    /// At least one must match (`oneOf` and `anyOf`).
    pub any_of: Vec<Rule>,
    /// Must not match.
    pub not: Option<Box<Rule>>,
}

impl Rule {
    /// The format, if it is one of `formats`.
    pub fn format_is(&self, format: &str) -> bool {
        self.format.as_deref() == Some(format)
    }

    /// Whether a value of this schema is a JSON object (a plain object, a map,
    /// or composed of objects), so a CLI can ask for a JSON object.
    pub fn is_object(&self) -> bool {
        match self.kind {
            Kind::Object => true,
            Kind::Any => {
                let parts: Vec<&Rule> = self.all_of.iter().chain(&self.any_of).collect();
                !parts.is_empty() && parts.iter().all(|r| r.is_object())
                    || !self.properties.is_empty()
            }
            _ => false,
        }
    }
}

/// How a list operation pages: `page`/`per_page` in, `data.items` and
/// `data.pagination` out.
#[derive(Debug, Clone)]
pub struct Paging {
    /// The item schema has a string `id` (used to drop duplicates across pages).
    pub item_has_id: bool,
    /// The item schema's property names, in spec order.
    pub item_properties: Vec<String>,
}

fn object(schema: &Schema) -> Option<&openapiv3::ObjectType> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => Some(o),
        _ => None,
    }
}

/// The schema name of a response or body schema: the one it points at, or
/// the one the pre-pass gives an inline schema.
fn schema_of(schema: &ReferenceOr<Schema>, inline_name: String) -> String {
    match schema {
        ReferenceOr::Reference { reference } => {
            schema_name(reference).unwrap_or_default().to_string()
        }
        ReferenceOr::Item(_) => inline_name,
    }
}

/// The one Rust type of the responses `filter` selects; progenitor cannot
/// generate an operation whose responses of one class have several types.
fn response_type(
    spec: &OpenAPI,
    id: &str,
    builder: &str,
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
                Some(s) => schema_of(s, format!("{builder}Response")),
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
        let path_parameters = spec.paths.paths.get(path).and_then(|p| p.as_item());
        if !op.parameters.is_empty() || path_parameters.is_some_and(|p| !p.parameters.is_empty()) {
            return Err(format!(
                "operation `{id}` has path, query, header or cookie parameters; Ingo's API takes \
                 its input as a JSON body, and this generator supports only that (it would \
                 otherwise drop them)"
            ));
        }
        let success = op
            .responses
            .responses
            .iter()
            .find(|(code, _)| code.to_string().starts_with('2'))
            .and_then(|(_, r)| response_item(spec, r))
            .and_then(|r| r.content.get("application/json"))
            .and_then(|m| m.schema.as_ref())
            .ok_or_else(|| format!("operation `{id}` has no 2xx application/json response"))?;
        let names = operation_names(&id).ok_or_else(|| {
            format!("operationId `{id}` has no letter or digit to name a method after")
        })?;
        let builder = names.builder.as_str();
        let response_schema = schema_of(success, format!("{builder}Response"));
        response_type(spec, &id, builder, op, "success", |c| c.starts_with('2'))?;
        response_type(spec, &id, builder, op, "error", |c| !c.starts_with('2'))?;
        let response_rule = rule(spec, success, &mut Vec::new())
            .map_err(|e| format!("operation `{id}`, success response: {e}"))?;
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
        let body_schema = body_ref.map(|s| schema_of(s, format!("{builder}Body")));
        let body_resolved = body_ref.and_then(|s| resolve(spec, s));
        let body_fields: Vec<RequestField> = body_resolved
            .and_then(object)
            .map(|o| {
                o.properties
                    .iter()
                    .map(|(name, s)| field(spec, name, o.required.contains(name), s))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
            .map_err(|e| format!("operation `{id}`, request body: {e}"))?
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
        if let Some(other) = out
            .iter()
            .find(|o: &&Operation| o.names.method == names.method)
        {
            // Named in a fixed order, whatever the order of the spec's paths.
            let (first, second) = if other.id <= id {
                (other.id.as_str(), id.as_str())
            } else {
                (id.as_str(), other.id.as_str())
            };
            return Err(format!(
                "operations `{first}` and `{second}` would both be the method `{}` (and the CLI command `{}`); \
                 the generator cannot tell them apart, rename one",
                names.method, names.command
            ));
        }
        out.push(Operation {
            names,
            id,
            method: method.to_uppercase(),
            path: path.to_string(),
            summary: op.summary.clone(),
            description: op.description.clone(),
            response_schema,
            body_schema,
            responses: op
                .responses
                .responses
                .keys()
                .map(ToString::to_string)
                .chain(op.responses.default.iter().map(|_| "default".to_string()))
                .collect(),
            response_rule,
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
) -> Result<RequestField, String> {
    let unboxed = unbox(schema);
    let resolved = resolve_boxed(spec, schema);
    let description = resolved.and_then(|s| s.schema_data.description.clone());
    let idempotency_key = resolved.is_some_and(|s| {
        s.schema_data.extensions.get(IDEMPOTENCY_KEY_EXTENSION)
            == Some(&serde_json::Value::Bool(true))
    });
    Ok(RequestField {
        name: name.to_string(),
        required,
        idempotency_key,
        description,
        rule: rule(spec, &unboxed, &mut Vec::new()).map_err(|e| format!("field `{name}`: {e}"))?,
    })
}

/// The constraints of `schema`. `seen` holds the `$ref`s being resolved, so a
/// recursive schema stops at its first repeat (checked no deeper).
pub fn rule(
    spec: &OpenAPI,
    schema: &ReferenceOr<Schema>,
    seen: &mut Vec<String>,
) -> Result<Rule, String> {
    let schema = match schema {
        ReferenceOr::Item(s) => s,
        ReferenceOr::Reference { reference } => {
            if seen.contains(reference) {
                return Ok(Rule::default());
            }
            let target = resolve(spec, schema)
                .ok_or_else(|| format!("`$ref: '{reference}'` points at no schema"))?;
            seen.push(reference.clone());
            let out = rule(spec, &ReferenceOr::Item(target.clone()), seen);
            seen.pop();
            return out;
        }
    };
    let mut r = Rule {
        nullable: schema.schema_data.nullable,
        read_only: schema.schema_data.read_only,
        ..Default::default()
    };
    let object = |r: &mut Rule,
                  properties: &indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
                  required: &[String],
                  additional: &Option<openapiv3::AdditionalProperties>,
                  seen: &mut Vec<String>|
     -> Result<(), String> {
        for (name, s) in properties {
            let description =
                resolve_boxed(spec, s).and_then(|s| s.schema_data.description.clone());
            r.properties.push(RequestField {
                name: name.clone(),
                required: required.contains(name),
                idempotency_key: false,
                description,
                rule: rule(spec, &unbox(s), seen).map_err(|e| format!("`{name}`: {e}"))?,
            });
        }
        r.additional_allowed |= matches!(
            additional,
            Some(
                openapiv3::AdditionalProperties::Any(true)
                    | openapiv3::AdditionalProperties::Schema(_)
            )
        );
        if let Some(openapiv3::AdditionalProperties::Schema(s)) = additional {
            r.additional = Some(Box::new(rule(spec, s, seen)?));
        }
        Ok(())
    };
    let members = |v: &[ReferenceOr<Schema>], seen: &mut Vec<String>| {
        v.iter()
            .map(|m| rule(spec, m, seen))
            .collect::<Result<Vec<_>, _>>()
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => {
            r.kind = Kind::String;
            r.min_length = s.min_length;
            r.max_length = s.max_length;
            r.pattern = s.pattern.clone();
            r.enum_values = s.enumeration.iter().flatten().cloned().collect();
            r.format = match &s.format {
                VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => Some("date-time".into()),
                VariantOrUnknownOrEmpty::Item(StringFormat::Date) => Some("date".into()),
                VariantOrUnknownOrEmpty::Item(other) => Some(format!("{other:?}").to_lowercase()),
                VariantOrUnknownOrEmpty::Unknown(f) => Some(f.clone()),
                VariantOrUnknownOrEmpty::Empty => None,
            };
        }
        SchemaKind::Type(Type::Integer(i)) => {
            r.kind = Kind::Integer;
            r.enum_numbers = i.enumeration.iter().flatten().map(|&v| v as f64).collect();
            r.minimum = i.minimum.map(|m| m as f64);
            r.maximum = i.maximum.map(|m| m as f64);
            r.exclusive_minimum = i.exclusive_minimum;
            r.exclusive_maximum = i.exclusive_maximum;
            r.multiple_of = i.multiple_of.map(|m| m as f64);
            r.format = match &i.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => {
                    Some("int32".into())
                }
                VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int64) => {
                    Some("int64".into())
                }
                VariantOrUnknownOrEmpty::Unknown(f) => Some(f.clone()),
                VariantOrUnknownOrEmpty::Empty => None,
            };
        }
        SchemaKind::Type(Type::Number(n)) => {
            r.kind = Kind::Number;
            r.enum_numbers = n.enumeration.iter().flatten().copied().collect();
            r.minimum = n.minimum;
            r.maximum = n.maximum;
            r.exclusive_minimum = n.exclusive_minimum;
            r.exclusive_maximum = n.exclusive_maximum;
            r.multiple_of = n.multiple_of;
        }
        SchemaKind::Type(Type::Boolean(_)) => r.kind = Kind::Boolean,
        SchemaKind::Type(Type::Array(a)) => {
            r.kind = Kind::Array;
            r.min_items = a.min_items;
            r.max_items = a.max_items;
            r.unique_items = a.unique_items;
            if let Some(items) = &a.items {
                r.items = Some(Box::new(rule(spec, &unbox(items), seen)?));
            }
        }
        SchemaKind::Type(Type::Object(o)) => {
            r.kind = Kind::Object;
            r.min_properties = o.min_properties;
            r.max_properties = o.max_properties;
            object(
                &mut r,
                &o.properties,
                &o.required,
                &o.additional_properties,
                seen,
            )?;
        }
        SchemaKind::AllOf { all_of } => r.all_of = members(all_of, seen)?,
        SchemaKind::OneOf { one_of: v } | SchemaKind::AnyOf { any_of: v } => {
            r.any_of = members(v, seen)?;
            if let Some(d) = &schema.schema_data.discriminator {
                tag_alternatives(&mut r.any_of, v, d);
            }
        }
        SchemaKind::Not { not } => r.not = Some(Box::new(rule(spec, not, seen)?)),
        SchemaKind::Any(any) => {
            r.kind = match any.typ.as_deref() {
                Some("string") => Kind::String,
                Some("integer") => Kind::Integer,
                Some("number") => Kind::Number,
                Some("boolean") => Kind::Boolean,
                Some("array") => Kind::Array,
                Some("object") => Kind::Object,
                _ if !any.properties.is_empty() => Kind::Object,
                _ => Kind::Any,
            };
            r.minimum = any.minimum;
            r.maximum = any.maximum;
            r.multiple_of = any.multiple_of;
            r.min_properties = any.min_properties;
            r.max_properties = any.max_properties;
            r.exclusive_minimum = any.exclusive_minimum.unwrap_or_default();
            r.exclusive_maximum = any.exclusive_maximum.unwrap_or_default();
            r.min_length = any.min_length;
            r.max_length = any.max_length;
            r.pattern = any.pattern.clone();
            r.format = any.format.clone();
            r.enum_values = any
                .enumeration
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
            r.enum_numbers = any.enumeration.iter().filter_map(|v| v.as_f64()).collect();
            if let Some(not) = &any.not {
                r.not = Some(Box::new(rule(spec, not, seen)?));
            }
            r.min_items = any.min_items;
            r.max_items = any.max_items;
            r.unique_items = any.unique_items.unwrap_or_default();
            if let Some(items) = &any.items {
                r.items = Some(Box::new(rule(spec, &unbox(items), seen)?));
            }
            object(
                &mut r,
                &any.properties,
                &any.required,
                &any.additional_properties,
                seen,
            )?;
            r.all_of = members(&any.all_of, seen)?;
            r.any_of = members(&any.one_of, seen)?;
            r.any_of.extend(members(&any.any_of, seen)?);
        }
    }
    if let Some(pattern) = &r.pattern {
        regress::Regex::new(pattern).map_err(|e| {
            format!("`pattern: '{pattern}'` is not an ECMA-262 regular expression ({e})")
        })?;
    }
    if r.multiple_of.is_some_and(|m| !(m.is_finite() && m > 0.0)) {
        return Err("`multipleOf` must be a number greater than 0".into());
    }
    Ok(r)
}

/// With a `discriminator`, each `$ref` alternative takes one value of the
/// tag property: its `mapping` key, or else the schema's name.
fn tag_alternatives(
    rules: &mut [Rule],
    members: &[ReferenceOr<Schema>],
    d: &openapiv3::Discriminator,
) {
    for (rule, member) in rules.iter_mut().zip(members) {
        let ReferenceOr::Reference { reference } = member else {
            continue;
        };
        let Some((_, value)) = discriminator_value(d, reference) else {
            continue;
        };
        if let Some(tag) = rule
            .properties
            .iter_mut()
            .find(|p| p.name == d.property_name)
            && tag.rule.enum_values.is_empty()
        {
            tag.rule.enum_values = vec![value];
        }
    }
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
    data.properties.get("pagination")?;
    let items = match &resolve_boxed(spec, data.properties.get("items")?)?.schema_kind {
        SchemaKind::Type(Type::Array(a)) => a.items.as_ref()?,
        _ => return None,
    };
    // Only a required plain string `id` serves to drop repeated items
    // (`item_id` returns a `&str`; an integer or uuid id would not compile).
    let item_has_id = resolve_boxed(spec, items).and_then(object).is_some_and(|o| {
        o.required.iter().any(|r| r == "id")
            && o.properties.get("id").and_then(|s| resolve_boxed(spec, s)).is_some_and(|s| {
                matches!(&s.schema_kind, SchemaKind::Type(Type::String(s))
                    if s.enumeration.is_empty() && !matches!(&s.format, VariantOrUnknownOrEmpty::Item(_)))
                    && !s.schema_data.nullable
            })
    });
    let item_properties = resolve_boxed(spec, items)
        .and_then(crate::openapi::properties)
        .map(|(properties, _)| properties.keys().cloned().collect())
        .unwrap_or_default();
    Some(Paging {
        item_has_id,
        item_properties,
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

/// For whom [`RequestField::rules_text`] words the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prose {
    /// A setter's rustdoc: every rule.
    Setter,
    /// A CLI flag's help, where clap already says what is required, lists
    /// the allowed values and checks lengths, integer ranges and dates.
    Flag,
}

impl RequestField {
    /// The spec's rules for this field, in sentences: `Required. 1 to 500.
    /// Must match the pattern `^\d{9}$`.` (empty when it has none).
    pub fn rules_text(&self, prose: Prose) -> String {
        let r = &self.rule;
        let setter = prose == Prose::Setter;
        let mut out = Vec::new();
        let range = |unit: &str| -> Option<String> {
            let low = r.minimum.map(|v| match r.exclusive_minimum {
                true => format!("greater than {v}"),
                false => format!("at least {v}"),
            });
            let high = r.maximum.map(|v| match r.exclusive_maximum {
                true => format!("less than {v}"),
                false => format!("at most {v}"),
            });
            match (r.minimum, r.maximum, low, high) {
                (Some(min), Some(max), _, _) if !r.exclusive_minimum && !r.exclusive_maximum => {
                    Some(format!("{unit} from {min} to {max}."))
                }
                (_, _, Some(low), Some(high)) => Some(format!("{unit} {low} and {high}.")),
                (_, _, Some(bound), None) | (_, _, None, Some(bound)) => {
                    Some(format!("{unit} {bound}."))
                }
                _ => None,
            }
        };
        if setter && self.required {
            out.push("Required.".to_string());
        }
        match r.kind {
            Kind::Integer if setter => out.extend(range("An integer")),
            Kind::Number => out.extend(range("A number")),
            _ => {}
        }
        if let Some(m) = r.multiple_of {
            out.push(format!("A multiple of {m}."));
        }
        if setter {
            match (r.min_length, r.max_length) {
                (Some(1), None) => out.push("Not empty.".into()),
                (Some(min), None) => out.push(format!("At least {min} characters.")),
                (None, Some(max)) => out.push(format!("At most {max} characters.")),
                (Some(min), Some(max)) => out.push(format!("{min} to {max} characters.")),
                (None, None) => {}
            }
        }
        if let Some(pattern) = &r.pattern {
            out.push(format!("Must match the pattern `{pattern}`."));
        }
        match r.format.as_deref() {
            Some("uuid") => out.push("A UUID.".into()),
            Some("email") => out.push("An email address.".into()),
            Some("byte") => out.push("Base64 (standard, padded).".into()),
            Some("date") if setter => out.push("A date (YYYY-MM-DD).".into()),
            Some("date-time") if setter => out.push("An RFC 3339 date-time.".into()),
            Some(other @ ("decimal" | "password")) if setter => {
                out.push(format!("Format `{other}`."))
            }
            _ => {}
        }
        match (r.min_items, r.max_items) {
            (Some(min), Some(max)) => out.push(format!("{min} to {max} items.")),
            (Some(min), None) => out.push(format!("At least {min} items.")),
            (None, Some(max)) => out.push(format!("At most {max} items.")),
            (None, None) => {}
        }
        match (r.min_properties, r.max_properties) {
            (Some(min), Some(max)) => out.push(format!("{min} to {max} keys.")),
            (Some(min), None) => out.push(format!("At least {min} keys.")),
            (None, Some(max)) => out.push(format!("At most {max} keys.")),
            (None, None) => {}
        }
        if setter && !r.enum_values.is_empty() {
            out.push(format!("One of `{}`.", r.enum_values.join("`, `")));
        }
        out.join(" ")
    }
}
