//! From what the client observed (its drift log, NDJSON) to the overlay that
//! brings the spec up to date: new response fields become optional
//! properties with the type seen, new enum values are appended, statuses the
//! spec did not document are documented, and a required field that never
//! came is made optional. Values that broke a format or pattern are reported
//! as notes for a person to judge, not turned into actions.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_yaml::{Mapping, Value};

/// One entry of a drift log, as the client writes it (a line of NDJSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub operation: String,
    /// `data.items[].risk_score` (`[]`: an array's items).
    pub path: String,
    pub kind: String,
    pub value: Option<String>,
    pub status: Option<u64>,
    pub json_types: Vec<String>,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
    /// The format or pattern a value broke.
    pub rule: Option<String>,
}

/// Read the entries of one log, merging repeats (several processes, or
/// several logs): counts add up, the seen times widen, the types join.
pub fn read(logs: &[(String, String)]) -> Result<Vec<Entry>, String> {
    /// What makes two lines the same drift: operation, path, kind, value, status.
    type Key = (String, String, String, Option<String>, Option<u64>);
    let mut merged: BTreeMap<Key, Entry> = BTreeMap::new();
    for (name, text) in logs {
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let json: Json = serde_json::from_str(line)
                .map_err(|e| format!("{name}, line {}: not JSON: {e}", n + 1))?;
            let text = |key: &str| json.get(key).and_then(Json::as_str).map(str::to_string);
            let (Some(operation), Some(kind)) = (text("operation"), text("kind")) else {
                // The log's own notes (a cap reached) name no operation.
                continue;
            };
            let entry = Entry {
                operation,
                path: text("path").unwrap_or_default(),
                kind,
                value: text("value"),
                status: json.get("status").and_then(Json::as_u64),
                json_types: json
                    .get("json_types")
                    .and_then(Json::as_array)
                    .map(|t| {
                        t.iter()
                            .filter_map(Json::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                count: json.get("count").and_then(Json::as_u64).unwrap_or(1),
                first_seen: text("first_seen").unwrap_or_default(),
                last_seen: text("last_seen").unwrap_or_default(),
                rule: text("format").or_else(|| text("pattern")),
            };
            let key = (
                entry.operation.clone(),
                entry.path.clone(),
                entry.kind.clone(),
                entry.value.clone(),
                entry.status,
            );
            match merged.get_mut(&key) {
                Some(seen) => {
                    seen.count = seen.count.saturating_add(entry.count);
                    if entry.first_seen < seen.first_seen {
                        seen.first_seen = entry.first_seen;
                    }
                    if entry.last_seen > seen.last_seen {
                        seen.last_seen = entry.last_seen;
                    }
                    for t in entry.json_types {
                        if !seen.json_types.contains(&t) {
                            seen.json_types.push(t);
                        }
                    }
                }
                None => {
                    merged.insert(key, entry);
                }
            }
        }
    }
    Ok(merged.into_values().collect())
}

/// The overlay for `entries` against `spec`, and notes on what it does not do.
pub fn overlay(spec: &Value, entries: &[Entry]) -> (Value, Vec<String>) {
    let mut actions: Vec<Value> = Vec::new();
    let mut notes = Vec::new();
    for entry in entries {
        match action(spec, entry) {
            Ok(Some(action)) if !actions.contains(&action) => actions.push(action),
            Ok(_) => {}
            Err(note) => notes.push(format!(
                "{} {} `{}`: {note}",
                entry.operation, entry.kind, entry.path
            )),
        }
    }
    let mut info = Mapping::new();
    info.insert("title".into(), "Drift observed by ingo-banking".into());
    info.insert(
        "version".into(),
        entries
            .iter()
            .map(|e| e.last_seen.as_str())
            .max()
            .unwrap_or("0")
            .into(),
    );
    let mut overlay = Mapping::new();
    overlay.insert("overlay".into(), "1.0.0".into());
    overlay.insert("info".into(), Value::Mapping(info));
    overlay.insert("actions".into(), Value::Sequence(actions));
    (Value::Mapping(overlay), notes)
}

/// A node of the spec and where it is, as the steps from the root.
#[derive(Clone)]
struct Located<'a> {
    node: &'a Value,
    at: Vec<String>,
}

fn action(spec: &Value, entry: &Entry) -> Result<Option<Value>, String> {
    let (operation, responses) = find_operation(spec, &entry.operation)?;
    let times = if entry.count == 1 { "time" } else { "times" };
    let seen = format!(
        "Observed in responses of `{}` ({} {times}, {} to {}); not in the spec it was generated from.",
        entry.operation, entry.count, entry.first_seen, entry.last_seen
    );
    match entry.kind.as_str() {
        "undeclared_field" => {
            let (parent, name) = split_last(&entry.path)?;
            let object = object_at(spec, walk(spec, success_schema(spec, &responses)?, parent)?)?;
            let mut schema = schema_for_types(&entry.json_types);
            schema.insert("description".into(), seen.clone().into());
            let mut property = Mapping::new();
            property.insert(name.into(), Value::Mapping(schema));
            let (target, update) = if object.node.get("properties").is_some() {
                (with(&object.at, "properties"), Value::Mapping(property))
            } else {
                let mut update = Mapping::new();
                update.insert("properties".into(), Value::Mapping(property));
                (object.at, Value::Mapping(update))
            };
            Ok(Some(update_action(&target, update, &seen)))
        }
        "unlisted_enum_value" => {
            let value = entry
                .value
                .clone()
                .ok_or("the value was not recorded (not a short identifier): add it by hand")?;
            let field = resolve(
                spec,
                walk(spec, success_schema(spec, &responses)?, &entry.path)?,
            )?;
            let enum_at = enum_owner(spec, field)?;
            Ok(Some(update_action(
                &with(&enum_at.at, "enum"),
                value.into(),
                &seen,
            )))
        }
        "undocumented_status" => {
            let status = entry.status.ok_or("the status was not recorded")?;
            let documented = responses
                .node
                .as_mapping()
                .and_then(|m| {
                    let class = if status / 100 == 2 { "2" } else { "" };
                    m.iter()
                        .find(|(k, _)| yaml_key(k).starts_with(class) && !class.is_empty())
                        .or_else(|| m.iter().find(|(k, _)| yaml_key(k) == "default"))
                        .map(|(_, v)| v.clone())
                })
                .unwrap_or_else(|| {
                    let mut m = Mapping::new();
                    m.insert("description".into(), seen.clone().into());
                    Value::Mapping(m)
                });
            let mut update = Mapping::new();
            update.insert(status.to_string().into(), documented);
            let _ = operation;
            Ok(Some(update_action(
                &responses.at,
                Value::Mapping(update),
                &seen,
            )))
        }
        "missing_required" => {
            let (parent, name) = split_last(&entry.path)?;
            let object = object_at(spec, walk(spec, success_schema(spec, &responses)?, parent)?)?;
            let target = format!(
                "{}[?@ == {}]",
                json_path(&with(&object.at, "required")),
                quoted(name)
            );
            let mut action = Mapping::new();
            action.insert("target".into(), target.into());
            action.insert(
                "description".into(),
                format!(
                    "`{name}` never came in responses of `{}`: optional",
                    entry.operation
                )
                .into(),
            );
            action.insert("remove".into(), true.into());
            Ok(Some(Value::Mapping(action)))
        }
        "format_violation" | "pattern_violation" => Err(format!(
            "{} values broke `{}`; the overlay leaves the rule as it is (check with Ingo, then \
             loosen or keep it)",
            entry.count,
            entry.rule.as_deref().unwrap_or("the rule")
        )),
        other => Err(format!(
            "a kind of drift this version does not know (`{other}`)"
        )),
    }
}

fn update_action(at: &[String], update: Value, description: &str) -> Value {
    let mut action = Mapping::new();
    action.insert("target".into(), json_path(at).into());
    action.insert("description".into(), description.into());
    action.insert("update".into(), update);
    Value::Mapping(action)
}

fn with(at: &[String], key: &str) -> Vec<String> {
    let mut at = at.to_vec();
    at.push(key.to_string());
    at
}

fn yaml_key(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// `$['paths']['/a']['post']`: bracket notation, which every name can take.
fn json_path(at: &[String]) -> String {
    let mut out = String::from("$");
    for step in at {
        out.push('[');
        out.push_str(&quoted(step));
        out.push(']');
    }
    out
}

fn quoted(name: &str) -> String {
    format!("'{}'", name.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn split_last(path: &str) -> Result<(&str, &str), String> {
    match path.rsplit_once('.') {
        Some((parent, name)) => Ok((parent, name)),
        None if !path.is_empty() => Ok(("", path)),
        None => Err("no field named".into()),
    }
}

/// The operation `id` and its `responses`, located.
fn find_operation<'a>(spec: &'a Value, id: &str) -> Result<(Located<'a>, Located<'a>), String> {
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_mapping().into_iter().flatten() {
            if op.get("operationId").and_then(Value::as_str) == Some(id) {
                let at = vec!["paths".to_string(), yaml_key(path), yaml_key(method)];
                let responses = op
                    .get("responses")
                    .ok_or("the operation has no responses")?;
                return Ok((
                    Located {
                        node: op,
                        at: at.clone(),
                    },
                    Located {
                        node: responses,
                        at: with(&at, "responses"),
                    },
                ));
            }
        }
    }
    Err(format!("the spec has no operation `{id}`"))
}

/// The JSON schema of the first documented 2xx response.
fn success_schema<'a>(spec: &'a Value, responses: &Located<'a>) -> Result<Located<'a>, String> {
    let (code, response) = responses
        .node
        .as_mapping()
        .and_then(|m| m.iter().find(|(k, _)| yaml_key(k).starts_with('2')))
        .ok_or("no 2xx response documented")?;
    let response = resolve(
        spec,
        Located {
            node: response,
            at: with(&responses.at, &yaml_key(code)),
        },
    )?;
    let content = response
        .node
        .get("content")
        .and_then(|c| c.get("application/json"))
        .and_then(|m| m.get("schema"))
        .ok_or("the 2xx response has no application/json schema")?;
    let at = with(
        &with(&with(&response.at, "content"), "application/json"),
        "schema",
    );
    Ok(Located { node: content, at })
}

/// Follow `$ref`s (within the document) to the node they name.
fn resolve<'a>(spec: &'a Value, mut located: Located<'a>) -> Result<Located<'a>, String> {
    for _ in 0..32 {
        let Some(reference) = located.node.get("$ref").and_then(Value::as_str) else {
            return Ok(located);
        };
        let pointer = reference
            .strip_prefix("#/")
            .ok_or_else(|| format!("`$ref: {reference}` is not within the document"))?;
        let at: Vec<String> = pointer
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let mut node = spec;
        for step in &at {
            node = node
                .get(step.as_str())
                .ok_or_else(|| format!("`$ref: {reference}` points at nothing"))?;
        }
        located = Located { node, at };
    }
    Err("`$ref`s refer to each other in a circle".into())
}

/// The schema at `path` (`data.items[].x`) below `root`.
fn walk<'a>(spec: &'a Value, root: Located<'a>, path: &str) -> Result<Located<'a>, String> {
    let mut here = root;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, items) = match segment.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (segment, false),
        };
        if !name.is_empty() {
            here = property(spec, here, name)?;
        }
        if items {
            let array = resolve(spec, here)?;
            let node = array
                .node
                .get("items")
                .ok_or_else(|| format!("`{segment}` is not an array in the spec"))?;
            here = Located {
                node,
                at: with(&array.at, "items"),
            };
        }
    }
    Ok(here)
}

/// The property `name` of the object schema at `here`, through `$ref`s and `allOf`.
fn property<'a>(spec: &'a Value, here: Located<'a>, name: &str) -> Result<Located<'a>, String> {
    let here = resolve(spec, here)?;
    if let Some(node) = here.node.get("properties").and_then(|p| p.get(name)) {
        return Ok(Located {
            node,
            at: with(&with(&here.at, "properties"), name),
        });
    }
    for (i, member) in members(&here, "allOf") {
        if let Ok(found) = property(
            spec,
            Located {
                node: member,
                at: with(&with(&here.at, "allOf"), &i.to_string()),
            },
            name,
        ) {
            return Ok(found);
        }
    }
    Err(format!("the spec declares no `{name}` here"))
}

fn members<'a>(here: &Located<'a>, key: &str) -> Vec<(usize, &'a Value)> {
    here.node
        .get(key)
        .and_then(Value::as_sequence)
        .map(|s| s.iter().enumerate().collect())
        .unwrap_or_default()
}

/// The object schema at `here` (through `$ref`s; the first object member of an `allOf`).
fn object_at<'a>(spec: &'a Value, here: Located<'a>) -> Result<Located<'a>, String> {
    let here = resolve(spec, here)?;
    if here.node.get("properties").is_some()
        || here.node.get("type").and_then(Value::as_str) == Some("object")
    {
        return Ok(here);
    }
    for (i, member) in members(&here, "allOf") {
        let member = Located {
            node: member,
            at: with(&with(&here.at, "allOf"), &i.to_string()),
        };
        if let Ok(object) = object_at(spec, member) {
            return Ok(object);
        }
    }
    Err("not an object schema in the spec".into())
}

/// The schema that holds the `enum` of a field (through a nullable `allOf` wrapper).
fn enum_owner<'a>(spec: &'a Value, here: Located<'a>) -> Result<Located<'a>, String> {
    if here.node.get("enum").is_some() {
        return Ok(here);
    }
    for (i, member) in members(&here, "allOf") {
        let member = resolve(
            spec,
            Located {
                node: member,
                at: with(&with(&here.at, "allOf"), &i.to_string()),
            },
        )?;
        if member.node.get("enum").is_some() {
            return Ok(member);
        }
    }
    Err("the spec lists no values here".into())
}

/// A schema for the JSON types a new field was seen with.
fn schema_for_types(types: &[String]) -> Mapping {
    let mut schema = Mapping::new();
    let mut kinds: Vec<&str> = types
        .iter()
        .map(String::as_str)
        .filter(|t| *t != "null")
        .collect();
    if kinds.contains(&"number") {
        kinds.retain(|t| *t != "integer");
    }
    // One type names it; several mean any JSON value.
    if let [one] = kinds.as_slice() {
        schema.insert("type".into(), (*one).into());
        if *one == "array" {
            schema.insert("items".into(), Value::Mapping(Mapping::new()));
        }
    }
    if types.iter().any(|t| t == "null") {
        schema.insert("nullable".into(), true.into());
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r##"
paths:
  /payment-intent/program/all:
    post:
      operationId: list_payment_intents
      responses:
        "200":
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Response"}
        "4XX": {description: client error}
components:
  schemas:
    Response:
      type: object
      properties:
        data:
          type: object
          properties:
            items:
              type: array
              items: {$ref: "#/components/schemas/Intent"}
    Intent:
      type: object
      required: [id, currency]
      properties:
        id: {type: string}
        status: {$ref: "#/components/schemas/Status"}
    Status:
      type: string
      enum: [pending, completed]
"##;

    const LOG: &str = r#"{"operation":"list_payment_intents","path":"data.items[].risk_score","kind":"undeclared_field","json_types":["number"],"count":3,"first_seen":"2026-12-01T10:00:00Z","last_seen":"2026-12-01T11:00:00Z"}
{"operation":"list_payment_intents","path":"data.items[].risk_score","kind":"undeclared_field","json_types":["null"],"count":2,"first_seen":"2026-12-01T09:00:00Z","last_seen":"2026-12-01T10:30:00Z"}
{"operation":"list_payment_intents","path":"data.items[].status","kind":"unlisted_enum_value","value":"on_hold","count":1,"first_seen":"2026-12-01T10:00:00Z","last_seen":"2026-12-01T10:00:00Z"}
{"operation":"list_payment_intents","path":"","kind":"undocumented_status","status":202,"count":1,"first_seen":"2026-12-01T10:00:00Z","last_seen":"2026-12-01T10:00:00Z"}
{"operation":"list_payment_intents","path":"data.items[].currency","kind":"missing_required","count":1,"first_seen":"2026-12-01T10:00:00Z","last_seen":"2026-12-01T10:00:00Z"}
"#;

    #[test]
    fn a_log_becomes_an_overlay_that_applies() {
        let entries = read(&[("a.ndjson".into(), LOG.into())]).unwrap();
        assert_eq!(entries.len(), 4, "the two risk_score lines merge");
        let risk = entries
            .iter()
            .find(|e| e.path.ends_with("risk_score"))
            .unwrap();
        assert_eq!((risk.count, risk.json_types.len()), (5, 2));
        assert_eq!(risk.first_seen, "2026-12-01T09:00:00Z");
        let mut spec = crate::parse(SPEC).unwrap();
        let (overlay, notes) = overlay(&spec, &entries);
        assert!(notes.is_empty(), "{notes:?}");
        crate::apply(&mut spec, &overlay).unwrap();
        let intent = &spec["components"]["schemas"]["Intent"];
        assert_eq!(intent["properties"]["risk_score"]["type"], "number");
        assert_eq!(intent["properties"]["risk_score"]["nullable"], true);
        assert_eq!(intent["required"], crate::parse("[id]").unwrap());
        assert_eq!(
            spec["components"]["schemas"]["Status"]["enum"],
            crate::parse("[pending, completed, on_hold]").unwrap()
        );
        let responses = &spec["paths"]["/payment-intent/program/all"]["post"]["responses"];
        assert_eq!(
            responses["202"], responses["200"],
            "documented like the 200"
        );
    }
}
