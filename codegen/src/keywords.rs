//! Every schema keyword of the spec is one the generator honours, or the
//! build stops naming it: a rule that vanished silently would let the client
//! send what the API refuses. Read from the document as written (openapiv3
//! drops what it does not know, and what stands beside a `$ref`).

use serde_json::{Map, Value};

/// What the generator does with each keyword of a Schema Object (OpenAPI 3.0).
const HONOURED: &[&str] = &[
    // Checked before sending (`validate.rs`) and shaping the types.
    "type",
    "format",
    "enum",
    "nullable",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "discriminator",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    // A request must not carry a read-only field (refused before sending,
    // no setter); a write-only one is the server's promise not to send it.
    "readOnly",
    "writeOnly",
    // Documentation: rustdoc, `--help`.
    "title",
    "description",
    "default",
    "example",
    "deprecated",
    "externalDocs",
    "xml",
];

/// The formats the client checks, or that shape the types (`decimal`,
/// `float`, `double`) or say nothing to check (`password`).
const FORMATS: &[&str] = &[
    "date-time",
    "date",
    "uuid",
    "email",
    "byte",
    "int32",
    "int64",
    "float",
    "double",
    "decimal",
    "password",
];

/// Annotations OpenAPI 3.0 allows beside a `$ref` without meaning (its
/// siblings are otherwise ignored by the standard, so refused here).
const BESIDE_REF: &[&str] = &["description", "summary"];

/// Check every schema of `document` (the spec as JSON); the error names the
/// schema's JSON path (`#/components/schemas/User/properties/email`) and
/// the keyword.
pub fn check(document: &Value) -> Result<(), String> {
    let mut roots = Vec::new();
    let at = |path: &[&str]| format!("#/{}", path.join("/"));
    if let Some(schemas) = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            roots.push((at(&["components", "schemas", &escape(name)]), schema));
        }
    }
    for section in ["parameters", "headers", "requestBodies", "responses"] {
        let pointer = format!("/components/{section}");
        for (name, item) in document
            .pointer(&pointer)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            media_schemas(
                item,
                &at(&["components", section, &escape(name)]),
                &mut roots,
            );
        }
    }
    for (path, item) in document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let base = at(&["paths", &escape(path)]);
        media_schemas(item, &base, &mut roots);
        for (method, operation) in item.as_object().into_iter().flatten() {
            let base = format!("{base}/{method}");
            if let Some(body) = operation.get("requestBody") {
                media_schemas(body, &format!("{base}/requestBody"), &mut roots);
            }
            media_schemas(operation, &base, &mut roots);
            for (code, response) in operation
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                media_schemas(response, &format!("{base}/responses/{code}"), &mut roots);
            }
        }
    }
    for (path, schema) in roots {
        schema_at(schema, &path)?;
    }
    Ok(())
}

/// `~` and `/` as a JSON pointer writes them.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The schemas of a parameter, header, request body or response: its own
/// `schema`, its `parameters[]`, `headers` and `content.*.schema`.
fn media_schemas<'a>(item: &'a Value, path: &str, out: &mut Vec<(String, &'a Value)>) {
    if let Some(schema) = item.get("schema") {
        out.push((format!("{path}/schema"), schema));
    }
    for (i, parameter) in item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(schema) = parameter.get("schema") {
            out.push((format!("{path}/parameters/{i}/schema"), schema));
        }
    }
    for (name, header) in item
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(schema) = header.get("schema") {
            out.push((format!("{path}/headers/{}/schema", escape(name)), schema));
        }
    }
    for (media, content) in item
        .get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(schema) = content.get("schema") {
            out.push((format!("{path}/content/{}/schema", escape(media)), schema));
        }
    }
}

fn schema_at(schema: &Value, path: &str) -> Result<(), String> {
    let Some(object) = schema.as_object() else {
        return Err(format!("{path}: a schema must be an object"));
    };
    if object.contains_key("$ref") {
        return match object
            .keys()
            .find(|k| *k != "$ref" && !BESIDE_REF.contains(&k.as_str()) && !k.starts_with("x-"))
        {
            Some(k) => Err(format!(
                "{path}: `{k}` beside `$ref` is ignored by OpenAPI 3.0; \
                 write `allOf: [{{$ref: …}}]` with `{k}` beside it instead"
            )),
            None => Ok(()),
        };
    }
    for key in object.keys() {
        if !HONOURED.contains(&key.as_str()) && !key.starts_with("x-") {
            return Err(format!(
                "{path}: the keyword `{key}` is not one this generator implements \
                 (an OpenAPI 3.0 schema keyword it would otherwise drop silently); remove it, \
                 or express the rule with the keywords it checks (see the README)"
            ));
        }
    }
    if let Some(format) = object.get("format").and_then(Value::as_str)
        && !FORMATS.contains(&format)
    {
        return Err(format!(
            "{path}: `format: {format}` is not a format this generator checks \
             ({}); remove it or state the rule as a `pattern`",
            FORMATS.join(", ")
        ));
    }
    children(object, path)
}

fn children(object: &Map<String, Value>, path: &str) -> Result<(), String> {
    for (name, property) in object
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        schema_at(property, &format!("{path}/properties/{}", escape(name)))?;
    }
    for key in ["items", "not"] {
        if let Some(child) = object.get(key) {
            schema_at(child, &format!("{path}/{key}"))?;
        }
    }
    if let Some(child @ Value::Object(_)) = object.get("additionalProperties") {
        schema_at(child, &format!("{path}/additionalProperties"))?;
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, member) in object
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            schema_at(member, &format!("{path}/{key}/{i}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(schema: Value) -> Value {
        json!({"components": {"schemas": {"User": {"type": "object", "properties": {"email": schema}}}}})
    }

    #[test]
    fn a_keyword_nobody_honours_is_named_with_its_path() {
        let error = check(&spec(json!({"type": "string", "const": "x"}))).unwrap_err();
        assert!(
            error.starts_with("#/components/schemas/User/properties/email: the keyword `const`"),
            "{error}"
        );
        let error = check(&spec(json!({"type": "string", "format": "ipv4"}))).unwrap_err();
        assert!(error.contains("`format: ipv4`"), "{error}");
        let error = check(&spec(
            json!({"$ref": "#/components/schemas/X", "nullable": true}),
        ))
        .unwrap_err();
        assert!(error.contains("`nullable` beside `$ref`"), "{error}");
    }

    #[test]
    fn honoured_keywords_and_extensions_pass() {
        let schema = json!({"type": "integer", "format": "int64", "multipleOf": 10, "x-note": 1});
        assert_eq!(check(&spec(schema)), Ok(()));
        let body = json!({"paths": {"/a": {"post": {"requestBody": {"content": {"application/json": {
            "schema": {"type": "object", "minProperties": 1, "properties": {"n": {"type": "string", "if": {}}}}
        }}}}}}});
        let error = check(&body).unwrap_err();
        assert!(
            error.starts_with(
                "#/paths/~1a/post/requestBody/content/application~1json/schema/properties/n"
            ),
            "{error}"
        );
    }
}
