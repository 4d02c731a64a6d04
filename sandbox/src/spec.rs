//! The OpenAPI document the sandbox serves, read at start (YAML or JSON) into
//! a `serde_json::Value`: its `$ref`s, its patterns, and what each operation
//! is (a list, a write, a read), read from the document alone.
//!
//! This reading is the sandbox's own: it shares nothing with the client's
//! generator, so a disagreement between the two shows up in tests.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::setup::SetupError;

/// How many `$ref`s one chain may follow before it counts as a cycle.
const MAX_REF_HOPS: usize = 32;
/// How deep a schema is searched for properties through `allOf`.
const MAX_ALL_OF_DEPTH: usize = 8;
/// The HTTP methods an OpenAPI path item may hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A parsed spec with every `$ref` known to resolve and every pattern compiled.
#[derive(Debug)]
pub(crate) struct Spec {
    root: Value,
    patterns: HashMap<String, regress::Regex>,
    /// The body field names of `apiKey` security schemes (`api_key`).
    pub api_key_fields: Vec<String>,
}

/// What an operation does, as far as the sandbox can tell from its schemas.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// `page`/`per_page` in, `data.items` + `data.pagination` out.
    List { item: Value },
    /// Not a list, and its body has an idempotency key field (named here).
    Write { key: String },
    /// Anything else: answered with one generated object.
    Read,
}

/// Where the object of a non-list answer sits in the response schema.
#[derive(Clone, Debug)]
pub(crate) enum Shape {
    /// `data.items[0]`, with a pagination echo (Ingo answers single objects as a page).
    Page { item: Value },
    /// `data`.
    Data { object: Value },
    /// The whole response is the object.
    Bare { object: Value },
}

/// One operation of the spec.
#[derive(Clone, Debug)]
pub(crate) struct Operation {
    pub id: String,
    /// Upper case, e.g. `POST`.
    pub method: String,
    /// The path template's segments, e.g. `["bank-account", "{id}"]`.
    pub segments: Vec<String>,
    /// The JSON request body's schema, if the operation has one.
    pub body: Option<Value>,
    pub body_required: bool,
    /// Path and query parameters: (name, location, required, schema).
    pub parameters: Vec<(String, String, bool, Value)>,
    /// The success response's JSON schema (`{}` if the spec gives none).
    pub response: Value,
    pub kind: Kind,
}

impl Spec {
    /// Parses a YAML or JSON document and checks what serving needs: every
    /// `$ref` resolves and every `pattern` compiles as ECMA-262.
    pub fn parse(text: &str) -> Result<Spec, SetupError> {
        let bad = |problem: String| SetupError::Spec(problem);
        let mut yaml: serde_yaml::Value =
            serde_yaml::from_str(text).map_err(|e| bad(format!("not YAML or JSON: {e}")))?;
        yaml.apply_merge()
            .map_err(|e| bad(format!("bad YAML merge key: {e}")))?;
        let root =
            serde_json::to_value(yaml).map_err(|e| bad(format!("not a JSON document: {e}")))?;
        if !root.get("paths").is_some_and(Value::is_object) {
            return Err(bad("the document has no `paths` object".into()));
        }
        let mut spec = Spec {
            root,
            patterns: HashMap::new(),
            api_key_fields: Vec::new(),
        };
        let mut refs = Vec::new();
        let mut patterns = Vec::new();
        collect(&spec.root, "#", &mut refs, &mut patterns);
        for (at, target) in refs {
            spec.follow(&target)
                .ok_or_else(|| bad(format!("{at}: $ref {target:?} does not resolve (or loops)")))?;
        }
        for (at, pattern) in patterns {
            let regex = regress::Regex::new(&pattern)
                .map_err(|e| bad(format!("{at}: pattern {pattern:?} is not ECMA-262: {e}")))?;
            spec.patterns.insert(pattern, regex);
        }
        spec.api_key_fields = spec
            .root
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(Map::values)
            .filter_map(|s| spec.resolve(s))
            .filter(|s| s.get("type").and_then(Value::as_str) == Some("apiKey"))
            .filter_map(|s| s.get("name").and_then(Value::as_str))
            .filter(|name| !name.eq_ignore_ascii_case("authorization"))
            .map(str::to_owned)
            .collect();
        Ok(spec)
    }

    /// Follows a `$ref` target (`#/components/schemas/X`) to a value that is not a `$ref`.
    fn follow(&self, target: &str) -> Option<&Value> {
        let mut value = self.root.pointer(target.strip_prefix('#')?)?;
        for _ in 0..MAX_REF_HOPS {
            match value.get("$ref").and_then(Value::as_str) {
                Some(next) => value = self.root.pointer(next.strip_prefix('#')?)?,
                None => return Some(value),
            }
        }
        None
    }

    /// `value` with its `$ref` chain followed; `None` only for a chain that loops.
    pub fn resolve<'a>(&'a self, value: &'a Value) -> Option<&'a Value> {
        match value.get("$ref").and_then(Value::as_str) {
            Some(target) => self.follow(target),
            None => Some(value),
        }
    }

    /// The compiled form of a pattern found in the document.
    pub fn pattern(&self, pattern: &str) -> Option<&regress::Regex> {
        self.patterns.get(pattern)
    }

    /// The schema of property `name` of an object schema, looking through `allOf`.
    pub fn property<'a>(&'a self, schema: &'a Value, name: &str) -> Option<&'a Value> {
        self.property_at(schema, name, 0)
    }

    fn property_at<'a>(&'a self, schema: &'a Value, name: &str, depth: usize) -> Option<&'a Value> {
        let schema = self.resolve(schema)?;
        if let Some(found) = schema.pointer("/properties").and_then(|p| p.get(name)) {
            return Some(found);
        }
        if depth >= MAX_ALL_OF_DEPTH {
            return None;
        }
        schema
            .get("allOf")
            .and_then(Value::as_array)?
            .iter()
            .find_map(|part| self.property_at(part, name, depth + 1))
    }

    /// The property names of an object schema, in document order, through `allOf`.
    pub fn property_names(&self, schema: &Value) -> Vec<String> {
        let mut names = Vec::new();
        self.names_at(schema, 0, &mut names);
        names
    }

    fn names_at(&self, schema: &Value, depth: usize, names: &mut Vec<String>) {
        let Some(schema) = self.resolve(schema) else {
            return;
        };
        for name in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if !names.contains(name.0) {
                names.push(name.0.clone());
            }
        }
        if depth < MAX_ALL_OF_DEPTH {
            for part in schema
                .get("allOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.names_at(part, depth + 1, names);
            }
        }
    }

    /// Every operation with an operationId, in document order.
    pub fn operations(&self) -> Result<Vec<Operation>, SetupError> {
        let mut operations = Vec::new();
        let paths = self.root.get("paths").and_then(Value::as_object);
        for (path, item) in paths.into_iter().flatten() {
            let Some(item) = self.resolve(item) else {
                continue;
            };
            let shared = item.get("parameters");
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                if operations.iter().any(|o: &Operation| o.id == id) {
                    return Err(SetupError::Spec(format!(
                        "operationId {id:?} is used twice"
                    )));
                }
                operations.push(self.operation(id, method, path, op, shared));
            }
        }
        Ok(operations)
    }

    fn operation(
        &self,
        id: &str,
        method: &str,
        path: &str,
        op: &Value,
        shared: Option<&Value>,
    ) -> Operation {
        let request = op.get("requestBody").and_then(|b| self.resolve(b));
        let body = request
            .and_then(|b| json_schema(b.get("content")?))
            .cloned();
        let body_required = request
            .and_then(|b| b.get("required"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let parameters = [shared, op.get("parameters")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(|p| self.resolve(p))
            .filter_map(|p| {
                let name = p.get("name")?.as_str()?.to_owned();
                let location = p.get("in")?.as_str()?.to_owned();
                let required = location == "path"
                    || p.get("required").and_then(Value::as_bool).unwrap_or(false);
                let schema = p
                    .get("schema")
                    .cloned()
                    .unwrap_or(Value::Object(Map::new()));
                ["path", "query"]
                    .contains(&location.as_str())
                    .then_some((name, location, required, schema))
            })
            .collect();
        let response = self
            .success_response(op)
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        let kind = self.kind(body.as_ref(), &response);
        Operation {
            id: id.to_owned(),
            method: method.to_ascii_uppercase(),
            segments: split_path(path),
            body,
            body_required,
            parameters,
            response,
            kind,
        }
    }

    /// The JSON schema of the first success response: 200, 201, any other 2xx, 2XX, default.
    fn success_response<'a>(&'a self, op: &'a Value) -> Option<&'a Value> {
        let responses = op.get("responses")?.as_object()?;
        let mut codes: Vec<&String> = responses.keys().collect();
        let rank = |code: &str| match code {
            "200" => 0,
            "201" => 1,
            c if c.starts_with('2') && c.len() == 3 && c != "2XX" => 2,
            "2XX" => 3,
            "default" => 4,
            _ => 5,
        };
        codes.sort_by_key(|c| rank(c));
        let code = codes.into_iter().find(|c| rank(c) < 5)?;
        let response = self.resolve(responses.get(code)?)?;
        json_schema(response.get("content")?)
    }

    fn kind(&self, body: Option<&Value>, response: &Value) -> Kind {
        if let Some(body) = body {
            let paged =
                self.property(body, "page").is_some() && self.property(body, "per_page").is_some();
            if paged && let Shape::Page { item } = self.shape(response) {
                return Kind::List { item };
            }
            let key = self.property_names(body).into_iter().find(|name| {
                name == "idempotent_key"
                    || self
                        .property(body, name)
                        .and_then(|p| self.resolve(p))
                        .and_then(|p| p.get("x-ingo-idempotency-key"))
                        .and_then(Value::as_bool)
                        == Some(true)
            });
            if let Some(key) = key {
                return Kind::Write { key };
            }
        }
        Kind::Read
    }

    /// Where the object of an answer goes in `response`.
    pub fn shape(&self, response: &Value) -> Shape {
        let Some(data) = self.property(response, "data") else {
            return Shape::Bare {
                object: response.clone(),
            };
        };
        let items = self
            .property(data, "items")
            .and_then(|i| self.resolve(i))
            .filter(|i| i.get("type").and_then(Value::as_str) == Some("array"));
        let paged = self.property(data, "pagination").is_some();
        match items.and_then(|i| i.get("items")) {
            Some(item) if paged => Shape::Page { item: item.clone() },
            _ => Shape::Data {
                object: data.clone(),
            },
        }
    }

    /// Whether two schemas are the same once their `$ref`s are followed.
    pub fn same_schema(&self, a: &Value, b: &Value) -> bool {
        match (self.resolve(a), self.resolve(b)) {
            (Some(a), Some(b)) => std::ptr::eq(a, b) || a == b,
            _ => false,
        }
    }
}

/// The schema of a `content` map's JSON media type.
fn json_schema(content: &Value) -> Option<&Value> {
    let content = content.as_object()?;
    let (_, media) = content
        .iter()
        .find(|(t, _)| t.starts_with("application/json"))
        .or_else(|| content.iter().find(|(t, _)| t.contains("json")))?;
    media.get("schema")
}

/// `/bank-account/{id}` → `["bank-account", "{id}"]`.
pub(crate) fn split_path(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every `$ref` target and every `pattern` of the document, with where each is.
fn collect(
    value: &Value,
    at: &str,
    refs: &mut Vec<(String, String)>,
    patterns: &mut Vec<(String, String)>,
) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => refs.push((at.to_owned(), target.clone())),
                    ("pattern", Value::String(p)) => patterns.push((at.to_owned(), p.clone())),
                    // Examples, defaults and extensions are data, not schemas
                    // (unless they are the names of properties).
                    ("example" | "examples" | "default" | "enum", _)
                        if !at.ends_with("/properties") => {}
                    (k, _) if k.starts_with("x-") && !at.ends_with("/properties") => {}
                    _ => collect(child, &format!("{at}/{}", escape(key)), refs, patterns),
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect(child, &format!("{at}/{i}"), refs, patterns);
            }
        }
        _ => {}
    }
}

/// A JSON-pointer token.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_spec_has_two_lists() {
        let spec = Spec::parse(ingo_banking::SPEC);
        let ops = spec.as_ref().map(|s| s.operations());
        let Ok(Ok(ops)) = ops else {
            panic!("{ops:?}");
        };
        assert!(ops.iter().any(|o| o.id == "list_contacts"
            && o.method == "POST"
            && matches!(o.kind, Kind::List { .. })));
        assert_eq!(
            spec.map(|s| s.api_key_fields).unwrap_or_default(),
            ["api_key"]
        );
    }

    #[test]
    fn broken_refs_loops_and_patterns_are_refused() {
        let looping = r##"{"paths": {}, "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}}}"##;
        let missing = r##"{"paths": {}, "x": {"$ref": "#/components/schemas/Nope"}}"##;
        let pattern = r##"{"paths": {}, "s": {"pattern": "(unclosed"}}"##;
        for text in [looping, missing, pattern, "paths: [", "{}"] {
            assert!(Spec::parse(text).is_err(), "{text}");
        }
        // A pattern-shaped example is data, not a pattern.
        assert!(Spec::parse(r##"{"paths": {}, "s": {"example": {"pattern": "(x"}}}"##).is_ok());
    }
}
