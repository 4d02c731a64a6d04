//! The pre-pass over the spec, before progenitor sees it.
//!
//! Responses must survive values the spec does not list, so every string enum a
//! response reaches becomes an *open* enum (with an `Unknown(String)` case);
//! request enums stay closed so that bad input is refused before it is sent.
//! Inline enums in response schemas are first hoisted into named schemas, so
//! the spec author need not do anything special for this.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty};

/// A named string enum generated with an `Unknown(String)` case.
#[derive(Debug, Clone)]
pub struct OpenEnum {
    pub name: String,
    pub values: Vec<String>,
    pub description: Option<String>,
}

pub struct Prepared {
    pub open_enums: Vec<OpenEnum>,
    pub decimals: Vec<String>,
}

pub fn prepare(spec: &mut OpenAPI) -> Result<Prepared, String> {
    let response_roots = root_refs(spec, Side::Response);
    let request_roots = root_refs(spec, Side::Request);
    let response_names = reachable(spec, &response_roots)?;
    hoist_inline_enums(spec, &response_names);
    // Hoisting added names; walk again so they are included.
    let response_names = reachable(spec, &response_roots)?;
    let request_names = reachable(spec, &request_roots)?;

    loosen_requests(spec, &request_names);
    let schemas = component_schemas(spec);
    let mut open_enums = Vec::new();
    let mut decimals = Vec::new();
    for (name, schema) in schemas {
        if let Some(values) = string_enum(schema) {
            if !response_names.contains(name) {
                continue;
            }
            if request_names.contains(name) {
                return Err(format!(
                    "schema `{name}` is an enum used by both a request and a response; give the request \
                     its own schema, so requests stay strict while responses accept new values"
                ));
            }
            open_enums.push(OpenEnum {
                name: name.clone(),
                values,
                description: schema.schema_data.description.clone(),
            });
        } else if is_decimal(schema) {
            decimals.push(name.clone());
        }
    }
    Ok(Prepared {
        open_enums,
        decimals,
    })
}

#[derive(Clone, Copy)]
enum Side {
    Request,
    Response,
}

fn component_schemas(spec: &OpenAPI) -> Vec<(&String, &Schema)> {
    spec.components
        .iter()
        .flat_map(|c| c.schemas.iter())
        .filter_map(|(name, s)| s.as_item().map(|s| (name, s)))
        .collect()
}

fn ref_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

/// Schema names used directly by request bodies or responses.
fn root_refs(spec: &OpenAPI, side: Side) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |schema: &Option<ReferenceOr<Schema>>| match schema {
        Some(ReferenceOr::Reference { reference }) => {
            out.extend(ref_name(reference).map(String::from))
        }
        Some(ReferenceOr::Item(item)) => out.extend(refs_of(item)),
        None => {}
    };
    for (_, _, op) in spec.operations() {
        match side {
            Side::Request => {
                if let Some(body) = op
                    .request_body
                    .as_ref()
                    .and_then(|b| crate::spec::body_item(spec, b))
                {
                    body.content.values().for_each(|m| add(&m.schema));
                }
            }
            Side::Response => {
                let responses = op
                    .responses
                    .responses
                    .values()
                    .chain(op.responses.default.iter());
                for response in responses {
                    if let Some(response) = crate::spec::response_item(spec, response) {
                        response.content.values().for_each(|m| add(&m.schema));
                    }
                }
            }
        }
    }
    out
}

/// Every `$ref` name that appears directly inside `schema`.
fn refs_of(schema: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let mut visit = |r: &ReferenceOr<Schema>| out.push(r.clone());
    let boxed = |r: &ReferenceOr<Box<Schema>>| match r {
        ReferenceOr::Reference { reference } => ReferenceOr::Reference {
            reference: reference.clone(),
        },
        ReferenceOr::Item(b) => ReferenceOr::Item((**b).clone()),
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => {
            o.properties.values().for_each(|p| visit(&boxed(p)));
            if let Some(openapiv3::AdditionalProperties::Schema(s)) = &o.additional_properties {
                visit(s);
            }
        }
        SchemaKind::Type(Type::Array(a)) => a.items.iter().for_each(|i| visit(&boxed(i))),
        SchemaKind::OneOf { one_of: v }
        | SchemaKind::AllOf { all_of: v }
        | SchemaKind::AnyOf { any_of: v } => v.iter().for_each(&mut visit),
        SchemaKind::Not { not } => visit(not),
        _ => {}
    }
    let mut names = Vec::new();
    for r in out {
        match r {
            ReferenceOr::Reference { reference } => {
                names.extend(ref_name(&reference).map(String::from))
            }
            ReferenceOr::Item(inner) => names.extend(refs_of(&inner)),
        }
    }
    names
}

fn reachable(spec: &OpenAPI, roots: &[String]) -> Result<BTreeSet<String>, String> {
    let schemas: BTreeMap<&String, &Schema> = component_schemas(spec).into_iter().collect();
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.to_vec();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let schema = schemas
            .get(&name)
            .ok_or_else(|| format!("`$ref: '#/components/schemas/{name}'` points at no schema"))?;
        todo.extend(refs_of(schema));
    }
    Ok(seen)
}

/// Drop the numeric ranges and string lengths of request schemas before
/// progenitor sees them: typify would turn `minimum: 1` into `NonZeroU64`
/// newtypes that are painful to construct. Make every top-level body field
/// optional too, so building a body never fails inside typify's builder with
/// a message in a string. The client checks all of these itself, from the
/// untouched spec, before sending (`validate.rs`), with errors that name the
/// field and the rule.
fn loosen_requests(spec: &mut OpenAPI, request_names: &BTreeSet<String>) {
    let mut roots = BTreeSet::new();
    for path in spec.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = path else {
            continue;
        };
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in operations.into_iter().flatten() {
            let Some(ReferenceOr::Item(body)) = op.request_body.as_mut() else {
                continue;
            };
            for media in body.content.values_mut() {
                match media.schema.as_mut() {
                    Some(ReferenceOr::Item(schema)) => {
                        loosen(schema);
                        all_optional(schema);
                    }
                    Some(ReferenceOr::Reference { reference }) => {
                        roots.extend(ref_name(reference).map(String::from));
                    }
                    None => {}
                }
            }
        }
    }
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    for (name, schema) in components.schemas.iter_mut() {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        if request_names.contains(name) {
            loosen(schema);
        }
        if roots.contains(name) {
            all_optional(schema);
        }
    }
}

fn loosen(schema: &mut Schema) {
    match &mut schema.schema_kind {
        SchemaKind::Type(Type::Integer(i)) => {
            i.minimum = None;
            i.maximum = None;
            i.exclusive_minimum = false;
            i.exclusive_maximum = false;
        }
        SchemaKind::Type(Type::String(s)) => {
            s.min_length = None;
            s.max_length = None;
        }
        SchemaKind::Type(Type::Object(o)) => o.properties.values_mut().for_each(|p| {
            if let ReferenceOr::Item(p) = p {
                loosen(p)
            }
        }),
        _ => {}
    }
}

fn all_optional(schema: &mut Schema) {
    if let SchemaKind::Type(Type::Object(o)) = &mut schema.schema_kind {
        o.required.clear();
    }
}

/// Move inline string enums (and decimals) of response object properties into named schemas
/// (`{Parent}{Property}`), replacing them with a `$ref`.
fn hoist_inline_enums(spec: &mut OpenAPI, response_names: &BTreeSet<String>) {
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    let mut hoisted = Vec::new();
    for (name, schema) in components.schemas.iter_mut() {
        if !response_names.contains(name) {
            continue;
        }
        let ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::Object(object)),
            ..
        }) = schema
        else {
            continue;
        };
        for (prop, prop_schema) in object.properties.iter_mut() {
            let ReferenceOr::Item(inner) = prop_schema else {
                continue;
            };
            if string_enum(inner).is_some() || is_decimal(inner) {
                let new_name = format!("{name}{}", pascal(prop));
                hoisted.push((new_name.clone(), (**inner).clone()));
                *prop_schema = ReferenceOr::Reference {
                    reference: format!("#/components/schemas/{new_name}"),
                };
            }
        }
    }
    for (name, schema) in hoisted {
        components.schemas.insert(name, ReferenceOr::Item(schema));
    }
}

fn string_enum(schema: &Schema) -> Option<Vec<String>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) if !s.enumeration.is_empty() => {
            Some(s.enumeration.iter().flatten().cloned().collect())
        }
        _ => None,
    }
}

fn is_decimal(schema: &Schema) -> bool {
    matches!(&schema.schema_kind,
        SchemaKind::Type(Type::String(s)) if matches!(&s.format, VariantOrUnknownOrEmpty::Unknown(f) if f == "decimal"))
}

/// `payment_direction` -> `PaymentDirection`.
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
