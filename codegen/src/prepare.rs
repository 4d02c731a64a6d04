//! The pre-pass over the spec, before progenitor sees it. The request rules
//! (`spec.rs`, checked by `validate.rs`) are read from the spec before this.
//!
//! * Validation keywords (`pattern`, lengths, ranges, item counts, `format:
//!   uuid`, non-string enums, `not`) are removed everywhere: in requests the
//!   client checks them itself before sending, with errors that name the
//!   field; in responses a client must accept what the server sends (typify
//!   would otherwise decode into checked newtypes, `NonZeroU32`s and
//!   fixed-size arrays, and one value out of line would fail a whole page).
//!   `additionalProperties: false` goes from response schemas for the same
//!   reason (typify makes it `deny_unknown_fields`).
//! * Responses must survive values the spec does not list, so every string
//!   enum a response reaches becomes an *open* enum (with an `Unknown(String)`
//!   case), also when a request uses it too (the request is still checked
//!   against the listed values). Inline enums anywhere in a response schema
//!   are first hoisted into named schemas, so the spec author need not do
//!   anything special for this. One-value enums stay closed: they are the
//!   tags that tell `oneOf` variants apart.
//! * What typify gets wrong or panics on is reshaped or named: `discriminator`
//!   (ignored by typify), nullable open enums, enum values or property names
//!   that typify would give the same Rust name.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{
    AdditionalProperties, OpenAPI, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty,
};

use crate::openapi::{
    component_schemas, discriminator_value, operations_mut, pascal, refs_of, response_item,
    schema_name, schema_ref, walk_mut,
};

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
    name_inline_bodies(spec)?;
    bodies_all_optional(spec);
    check_field_names(spec)?;
    apply_discriminators(spec);
    let response_roots = response_roots(spec);
    let response_names = reachable(spec, &response_roots)?;
    hoist_inline_enums(spec, &response_names);
    // Hoisting added names; walk again so they are included.
    let response_names = reachable(spec, &response_roots)?;
    loosen(spec, &response_names);

    let open: BTreeMap<String, (Vec<String>, bool)> = component_schemas(spec)
        .into_iter()
        .filter(|(name, _)| response_names.contains(*name))
        .filter_map(|(name, s)| {
            let values = string_enum(s).filter(|v| v.len() > 1)?;
            Some((name.clone(), (values, s.schema_data.nullable)))
        })
        .collect();
    let nullable: BTreeSet<String> = open
        .iter()
        .filter(|(_, (_, nullable))| *nullable)
        .map(|(name, _)| name.clone())
        .collect();
    move_nullable_to_uses(spec, &nullable);
    plain_colliding_enums(spec, &open.keys().cloned().collect());

    let mut open_enums = Vec::new();
    let mut decimals = Vec::new();
    for (name, schema) in component_schemas(spec) {
        if let Some((values, _)) = open.get(name) {
            open_enums.push(OpenEnum {
                name: name.clone(),
                values: values.clone(),
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

/// Make every top-level field of a request body optional for typify, so
/// building a body never fails inside typify's builder with a message in a
/// string: the client checks required fields itself, from the untouched spec,
/// before sending (`validate.rs`), with an error that names the field.
/// (Nested objects keep theirs: a caller builds those with struct literals,
/// where the compiler asks for every required field.)
fn bodies_all_optional(spec: &mut OpenAPI) {
    let mut roots = BTreeSet::new();
    for op in operations_mut(spec) {
        if let Some(ReferenceOr::Item(body)) = op.request_body.as_ref()
            && let Some(media) = body.content.get("application/json")
            && let Some(ReferenceOr::Reference { reference }) = &media.schema
        {
            roots.extend(schema_name(reference).map(String::from));
        }
    }
    let schemas = spec
        .components
        .iter_mut()
        .flat_map(|c| c.schemas.iter_mut());
    for (name, schema) in schemas {
        if let (true, ReferenceOr::Item(schema)) = (roots.contains(name), schema)
            && let SchemaKind::Type(Type::Object(o)) = &mut schema.schema_kind
        {
            o.required.clear();
        }
    }
}

/// Move the inline JSON schemas of request bodies and success responses into
/// `components.schemas`, under the names progenitor gives them anyway
/// (`{Builder}Body`, `{Builder}Response`), so the steps below see
/// every schema by name.
fn name_inline_bodies(spec: &mut OpenAPI) -> Result<(), String> {
    let mut named = Vec::new();
    for op in operations_mut(spec) {
        let Some(names) = op
            .operation_id
            .as_deref()
            .and_then(crate::openapi::operation_names)
        else {
            continue;
        };
        if let Some(ReferenceOr::Item(body)) = op.request_body.as_mut()
            && let Some(media) = body.content.get_mut("application/json")
        {
            let name = format!("{}Body", names.builder);
            take_inline(&mut media.schema, name, &mut named);
        }
        let success = op
            .responses
            .responses
            .iter_mut()
            .filter(|(code, _)| code.to_string().starts_with('2'));
        for (_, response) in success {
            if let ReferenceOr::Item(response) = response
                && let Some(media) = response.content.get_mut("application/json")
            {
                let name = format!("{}Response", names.builder);
                take_inline(&mut media.schema, name, &mut named);
            }
        }
    }
    let components = spec.components.get_or_insert_with(Default::default);
    for (name, schema) in named {
        match components.schemas.get(&name) {
            // Two success codes with the same inline schema share the name.
            Some(ReferenceOr::Item(existing)) if *existing == schema => {}
            Some(_) => {
                return Err(format!(
                    "an inline request or response schema would be named `{name}`, like an existing schema \
                     or another inline schema of the same operation; move one into components.schemas"
                ));
            }
            None => {
                components.schemas.insert(name, ReferenceOr::Item(schema));
            }
        }
    }
    Ok(())
}

fn take_inline(
    slot: &mut Option<ReferenceOr<Schema>>,
    name: String,
    named: &mut Vec<(String, Schema)>,
) {
    if let Some(ReferenceOr::Item(_)) = slot {
        let reference = ReferenceOr::Reference {
            reference: schema_ref(&name),
        };
        if let Some(ReferenceOr::Item(schema)) = slot.replace(reference) {
            named.push((name, schema));
        }
    }
}

/// Schema names used directly by responses (success and error).
fn response_roots(spec: &OpenAPI) -> Vec<String> {
    let mut out = Vec::new();
    for (_, _, op) in spec.operations() {
        let responses = op
            .responses
            .responses
            .values()
            .chain(op.responses.default.iter());
        for response in responses {
            let Some(response) = response_item(spec, response) else {
                continue;
            };
            for schema in response.content.values().filter_map(|m| m.schema.as_ref()) {
                match schema {
                    ReferenceOr::Reference { reference } => {
                        out.extend(schema_name(reference).map(String::from))
                    }
                    ReferenceOr::Item(item) => out.extend(refs_of(item)),
                }
            }
        }
    }
    out
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

/// Remove what typify would turn into checked types (see the module docs).
/// In schemas a response reaches, `additionalProperties: false` goes too
/// (typify makes it `deny_unknown_fields`, and servers add fields).
fn loosen(spec: &mut OpenAPI, response_names: &BTreeSet<String>) {
    fn strip(schema: &mut Schema, response: bool) {
        let uuid = |f: &VariantOrUnknownOrEmpty<openapiv3::StringFormat>| matches!(f, VariantOrUnknownOrEmpty::Unknown(f) if f == "uuid");
        let closed =
            |a: &Option<AdditionalProperties>| matches!(a, Some(AdditionalProperties::Any(false)));
        // typify cannot generate `not` (a `todo!()`), and only checks it; the
        // client checks requests against it (validate.rs).
        if let SchemaKind::Not { .. } = schema.schema_kind {
            schema.schema_kind = SchemaKind::Any(Default::default());
        }
        match &mut schema.schema_kind {
            SchemaKind::Type(Type::Integer(i)) => {
                // Non-string enums become checked newtypes (a new value fails a
                // page; untyped mixed ones make typify panic): left to validate.rs.
                i.enumeration.clear();
                i.minimum = None;
                i.maximum = None;
                i.exclusive_minimum = false;
                i.exclusive_maximum = false;
                i.multiple_of = None;
            }
            SchemaKind::Type(Type::Number(n)) => {
                n.enumeration.clear();
                n.minimum = None;
                n.maximum = None;
                n.exclusive_minimum = false;
                n.exclusive_maximum = false;
                n.multiple_of = None;
            }
            SchemaKind::Type(Type::String(s)) => {
                s.min_length = None;
                s.max_length = None;
                s.pattern = None;
                if uuid(&s.format) {
                    s.format = VariantOrUnknownOrEmpty::Empty;
                }
            }
            SchemaKind::Type(Type::Array(a)) => {
                a.min_items = None;
                a.max_items = None;
                a.unique_items = false;
            }
            SchemaKind::Type(Type::Object(o)) => {
                o.min_properties = None;
                o.max_properties = None;
                if response && closed(&o.additional_properties) {
                    o.additional_properties = None;
                }
            }
            SchemaKind::Type(Type::Boolean(b)) => b.enumeration.clear(),
            SchemaKind::Any(any) => {
                if !any.enumeration.iter().all(serde_json::Value::is_string)
                    || any.typ.as_deref().is_some_and(|t| t != "string")
                {
                    any.enumeration.clear();
                }
                any.not = None;
                any.minimum = None;
                any.maximum = None;
                any.exclusive_minimum = None;
                any.exclusive_maximum = None;
                any.multiple_of = None;
                any.min_length = None;
                any.max_length = None;
                any.pattern = None;
                any.min_items = None;
                any.max_items = None;
                any.unique_items = None;
                any.min_properties = None;
                any.max_properties = None;
                if any.format.as_deref() == Some("uuid") {
                    any.format = None;
                }
                if response && closed(&any.additional_properties) {
                    any.additional_properties = None;
                }
            }
            _ => {}
        }
    }
    let strip_all = |schema: &mut Schema, response: bool| {
        walk_mut(schema, &mut |s: &mut Schema| strip(s, response))
    };
    fn inline(
        content: &mut indexmap::IndexMap<String, openapiv3::MediaType>,
    ) -> impl Iterator<Item = &mut Schema> {
        content
            .values_mut()
            .filter_map(|m| match m.schema.as_mut() {
                Some(ReferenceOr::Item(s)) => Some(s),
                _ => None,
            })
    }
    if let Some(components) = spec.components.as_mut() {
        for (name, schema) in components.schemas.iter_mut() {
            if let ReferenceOr::Item(schema) = schema {
                strip_all(schema, response_names.contains(name));
            }
        }
        // Inline schemas left in shared responses and request bodies.
        for response in components.responses.values_mut() {
            if let ReferenceOr::Item(response) = response {
                inline(&mut response.content).for_each(|s| strip_all(s, true));
            }
        }
        for body in components.request_bodies.values_mut() {
            if let ReferenceOr::Item(body) = body {
                inline(&mut body.content).for_each(|s| strip_all(s, false));
            }
        }
    }
    for op in operations_mut(spec) {
        if let Some(ReferenceOr::Item(body)) = op.request_body.as_mut() {
            inline(&mut body.content).for_each(|s| strip_all(s, false));
        }
        let responses = op
            .responses
            .responses
            .values_mut()
            .chain(op.responses.default.iter_mut());
        for response in responses {
            if let ReferenceOr::Item(response) = response {
                inline(&mut response.content).for_each(|s| strip_all(s, true));
            }
        }
    }
}

/// Two properties of one object that typify would give the same Rust field
/// name (`fooBar` and `foo_bar`) make code that does not compile: say which.
/// The names are typify's own, asked of it (`types::field_name`).
fn check_field_names(spec: &mut OpenAPI) -> Result<(), String> {
    let Some(components) = spec.components.as_mut() else {
        return Ok(());
    };
    let mut problem = None;
    for (name, schema) in components.schemas.iter_mut() {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        walk_mut(schema, &mut |s: &mut Schema| {
            let properties = match &s.schema_kind {
                SchemaKind::Type(Type::Object(o)) => &o.properties,
                SchemaKind::Any(any) => &any.properties,
                _ => return,
            };
            let mut seen: BTreeMap<String, &String> = BTreeMap::new();
            for prop in properties.keys() {
                let rust = match crate::types::field_name(prop) {
                    Ok(rust) => rust,
                    Err(e) => {
                        problem.get_or_insert(format!("schema `{name}`, property `{prop}`: {e}"));
                        continue;
                    }
                };
                if let Some(other) = seen.insert(rust.clone(), prop) {
                    problem.get_or_insert(format!(
                        "schema `{name}`: properties `{other}` and `{prop}` would both be the Rust field `{rust}`; \
                         the generator cannot tell them apart, rename one"
                    ));
                }
            }
        });
    }
    problem.map_or(Ok(()), Err)
}

/// A closed string enum whose values typify cannot name apart (`a-b` and
/// `a_b`, `Unknown` and `unknown`) makes typify panic; generate it as a plain
/// string instead (validate.rs still checks the values in requests).
fn plain_colliding_enums(spec: &mut OpenAPI, open: &BTreeSet<String>) {
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    for (name, schema) in components.schemas.iter_mut() {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        if open.contains(name) {
            continue;
        }
        walk_mut(schema, &mut |s: &mut Schema| {
            if let SchemaKind::Type(Type::String(s)) = &mut s.schema_kind
                && !s.enumeration.is_empty()
            {
                let values: Vec<String> = s.enumeration.iter().flatten().cloned().collect();
                if !crate::types::enum_values_apart(&values) {
                    s.enumeration.clear();
                }
            }
        });
    }
}

/// typify ignores `discriminator` and makes `oneOf` an untagged enum, which
/// takes the first variant whose fields fit: with a shared `pet_type: string`,
/// every dog would decode as a cat, its own fields dropped. Give each
/// variant's discriminator property its one value (a one-value enum, which
/// stays closed), so only the right variant fits.
fn apply_discriminators(spec: &mut OpenAPI) {
    let mut tags: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for (_, schema) in component_schemas(spec) {
        let mut visit = |s: &Schema| {
            let (Some(d), SchemaKind::OneOf { one_of: v } | SchemaKind::AnyOf { any_of: v }) =
                (&s.schema_data.discriminator, &s.schema_kind)
            else {
                return;
            };
            for member in v {
                let ReferenceOr::Reference { reference } = member else {
                    continue;
                };
                let Some((target, value)) = discriminator_value(d, reference) else {
                    continue;
                };
                let entry = tags
                    .entry(target.to_string())
                    .or_insert_with(|| (d.property_name.clone(), BTreeSet::new()));
                if entry.0 == d.property_name {
                    entry.1.insert(value);
                }
            }
        };
        let mut copy = schema.clone();
        walk_mut(&mut copy, &mut |s: &mut Schema| visit(s));
    }
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    for (name, (property, values)) in tags {
        // A variant used under two tags keeps its plain string.
        let values: Vec<String> = values.into_iter().collect();
        let ([value], Some(ReferenceOr::Item(schema))) =
            (values.as_slice(), components.schemas.get_mut(&name))
        else {
            continue;
        };
        let SchemaKind::Type(Type::Object(o)) = &mut schema.schema_kind else {
            continue;
        };
        if let Some(ReferenceOr::Item(p)) = o.properties.get_mut(&property)
            && let SchemaKind::Type(Type::String(s)) = &mut p.schema_kind
            && s.enumeration.is_empty()
        {
            s.enumeration = vec![Some(value.clone())];
        }
    }
}

/// An open enum replaces its schema's type wholesale, so typify would drop
/// the schema's `nullable` and a required nullable field would refuse `null`.
/// Move `nullable` from those enum schemas to every place that uses them,
/// as `{nullable: true, allOf: [$ref]}` (which typify makes an `Option`).
fn move_nullable_to_uses(spec: &mut OpenAPI, names: &BTreeSet<String>) {
    if names.is_empty() {
        return;
    }
    let wrapper = |reference: &str| -> Option<Schema> {
        names.contains(schema_name(reference)?).then(|| Schema {
            schema_data: openapiv3::SchemaData {
                nullable: true,
                ..Default::default()
            },
            schema_kind: SchemaKind::AllOf {
                all_of: vec![ReferenceOr::Reference {
                    reference: reference.to_string(),
                }],
            },
        })
    };
    let rewrite = |schema: &mut Schema| {
        let is_wrapper = |s: &Schema| {
            s.schema_data.nullable
                && matches!(&s.schema_kind, SchemaKind::AllOf { all_of } if all_of.len() == 1)
        };
        if is_wrapper(schema) {
            return;
        }
        let boxed = |r: &mut ReferenceOr<Box<Schema>>| {
            if let ReferenceOr::Reference { reference } = r
                && let Some(w) = wrapper(reference)
            {
                *r = ReferenceOr::Item(Box::new(w));
            }
        };
        let plain = |r: &mut ReferenceOr<Schema>| {
            if let ReferenceOr::Reference { reference } = r
                && let Some(w) = wrapper(reference)
            {
                *r = ReferenceOr::Item(w);
            }
        };
        match &mut schema.schema_kind {
            SchemaKind::Type(Type::Object(o)) => {
                o.properties.values_mut().for_each(boxed);
                if let Some(AdditionalProperties::Schema(s)) = &mut o.additional_properties {
                    plain(s);
                }
            }
            SchemaKind::Type(Type::Array(a)) => a.items.iter_mut().for_each(boxed),
            SchemaKind::OneOf { one_of: v } | SchemaKind::AnyOf { any_of: v } => {
                v.iter_mut().for_each(plain)
            }
            SchemaKind::Any(any) => {
                any.properties.values_mut().for_each(boxed);
                any.items.iter_mut().for_each(boxed);
                if let Some(AdditionalProperties::Schema(s)) = &mut any.additional_properties {
                    plain(s);
                }
            }
            _ => {}
        }
    };
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    for (name, schema) in components.schemas.iter_mut() {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        walk_mut(schema, &mut |s: &mut Schema| rewrite(s));
        if names.contains(name) {
            schema.schema_data.nullable = false;
            if let SchemaKind::Type(Type::String(s)) = &mut schema.schema_kind {
                s.enumeration.retain(Option::is_some);
            }
        }
    }
}

/// Move the inline string enums (and decimals) found anywhere inside the
/// schemas a response reaches into named schemas, replacing them with a
/// `$ref`. Names follow typify's: `{Parent}{Property}`, `{Parent}Item` for
/// array items, `{Parent}Value` for map values; `allOf` members merge into
/// their parent, `oneOf`/`anyOf` members are `{Parent}Variant{n}`.
fn hoist_inline_enums(spec: &mut OpenAPI, response_names: &BTreeSet<String>) {
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    let mut taken: BTreeSet<String> = components.schemas.keys().cloned().collect();
    let mut hoisted = Vec::new();
    for (name, schema) in components.schemas.iter_mut() {
        if !response_names.contains(name) {
            continue;
        }
        if let ReferenceOr::Item(schema) = schema {
            hoist_in(schema, name, &mut taken, &mut hoisted);
        }
    }
    for (name, schema) in hoisted {
        components.schemas.insert(name, ReferenceOr::Item(schema));
    }
}

fn hoistable(schema: &Schema) -> bool {
    string_enum(schema).is_some() || is_decimal(schema)
}

fn unique_name(base: String, taken: &mut BTreeSet<String>) -> String {
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

type Hoisted = Vec<(String, Schema)>;

/// Hoist inside `schema` (named `path`), not `schema` itself.
fn hoist_in(schema: &mut Schema, path: &str, taken: &mut BTreeSet<String>, out: &mut Hoisted) {
    fn slot(
        slot: &mut ReferenceOr<Schema>,
        child: String,
        taken: &mut BTreeSet<String>,
        out: &mut Hoisted,
    ) {
        let ReferenceOr::Item(inner) = slot else {
            return;
        };
        if hoistable(inner) {
            let name = unique_name(child, taken);
            out.push((name.clone(), inner.clone()));
            *slot = ReferenceOr::Reference {
                reference: schema_ref(&name),
            };
        } else {
            hoist_in(inner, &child, taken, out);
        }
    }
    fn boxed(
        r: &mut ReferenceOr<Box<Schema>>,
        child: String,
        taken: &mut BTreeSet<String>,
        out: &mut Hoisted,
    ) {
        if let ReferenceOr::Reference { .. } = r {
            return;
        }
        let mut unboxed = crate::openapi::unbox(r);
        slot(&mut unboxed, child, taken, out);
        *r = match unboxed {
            ReferenceOr::Reference { reference } => ReferenceOr::Reference { reference },
            ReferenceOr::Item(s) => ReferenceOr::Item(Box::new(s)),
        };
    }
    let members = |all_of: bool,
                   v: &mut Vec<ReferenceOr<Schema>>,
                   taken: &mut BTreeSet<String>,
                   out: &mut Hoisted| {
        for (i, member) in v.iter_mut().enumerate() {
            let child = if all_of {
                path.to_string()
            } else {
                format!("{path}Variant{}", i + 1)
            };
            slot(member, child, taken, out);
        }
    };
    let (properties, items, additional) = match &mut schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => (
            Some(&mut o.properties),
            None,
            Some(&mut o.additional_properties),
        ),
        SchemaKind::Type(Type::Array(a)) => (None, a.items.as_mut(), None),
        SchemaKind::AllOf { all_of } => return members(true, all_of, taken, out),
        SchemaKind::OneOf { one_of } => return members(false, one_of, taken, out),
        SchemaKind::AnyOf { any_of } => return members(false, any_of, taken, out),
        SchemaKind::Any(any) => {
            members(true, &mut any.all_of, taken, out);
            members(false, &mut any.one_of, taken, out);
            members(false, &mut any.any_of, taken, out);
            (
                Some(&mut any.properties),
                any.items.as_mut(),
                Some(&mut any.additional_properties),
            )
        }
        _ => return,
    };
    for (prop, r) in properties.into_iter().flatten() {
        boxed(r, format!("{path}{}", pascal(prop)), taken, out);
    }
    if let Some(items) = items {
        boxed(items, format!("{path}Item"), taken, out);
    }
    if let Some(Some(AdditionalProperties::Schema(s))) = additional {
        slot(s, format!("{path}Value"), taken, out);
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
