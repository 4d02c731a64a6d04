//! OpenAPI Overlay 1.0 for the ingo-banking spec: [`apply`] an overlay to
//! the spec before generation (`INGO_SPEC_OVERLAY`, and `ingo spec apply`),
//! and write one from the drift the client observed ([`drift`], `ingo spec
//! drift`). The hand-maintained spec file is never rewritten: an overlay is
//! a separate, reviewable document.
//!
//! Documents are `serde_yaml::Value`s, which keep the order they were
//! written in (the order of a schema's properties is the CLI's columns).

pub mod drift;
mod path;

use serde_yaml::{Mapping, Value};

pub use path::{Path, Step};

/// Read a YAML or JSON document.
pub fn parse(text: &str) -> Result<Value, String> {
    serde_yaml::from_str(text).map_err(|e| format!("not YAML or JSON: {e}"))
}

/// Apply `overlay` to `document`: every action in order, each `update`
/// merged into (an object) or appended to (an array) every node its
/// `target` selects, each `remove` deleting them. The error names the
/// action (its number and description) and what is wrong; a target that
/// selects nothing is an error, so an overlay cannot go stale silently.
pub fn apply(document: &mut Value, overlay: &Value) -> Result<(), String> {
    let version = overlay.get("overlay").and_then(Value::as_str);
    if !version.is_some_and(|v| v.starts_with("1.0")) {
        return Err(format!(
            "`overlay: {}` is not an OpenAPI Overlay 1.0 document",
            version.unwrap_or("(missing)")
        ));
    }
    let info = overlay.get("info");
    if !info.is_some_and(|i| i.get("title").is_some() && i.get("version").is_some()) {
        return Err("an overlay needs `info` with a `title` and a `version`".into());
    }
    let actions = overlay
        .get("actions")
        .and_then(Value::as_sequence)
        .filter(|a| !a.is_empty())
        .ok_or("an overlay needs a non-empty list of `actions`")?;
    for (i, action) in actions.iter().enumerate() {
        let name = match action.get("description").and_then(Value::as_str) {
            Some(d) => format!("action {} ({d})", i + 1),
            None => format!("action {}", i + 1),
        };
        apply_action(document, action).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

fn apply_action(document: &mut Value, action: &Value) -> Result<(), String> {
    let target = action
        .get("target")
        .and_then(Value::as_str)
        .ok_or("it has no `target` (a JSONPath)")?;
    let remove = match action.get("remove") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("`remove` must be true or false".into()),
    };
    let update = action.get("update");
    if !remove && update.is_none() {
        return Err("it has neither `update` nor `remove: true`".into());
    }
    let mut targets = Path::parse(target)?.select(document);
    if targets.is_empty() {
        return Err(format!("the target `{target}` selects nothing in the spec"));
    }
    if remove {
        // The last first, so the indexes of those before stay right.
        targets.sort();
        for steps in targets.iter().rev() {
            remove_at(document, steps).map_err(|e| format!("`{target}`: {e}"))?;
        }
        return Ok(());
    }
    for steps in &targets {
        let node = node_mut(document, steps).ok_or_else(|| format!("`{target}` moved"))?;
        match (node, update) {
            (Value::Mapping(map), Some(Value::Mapping(patch))) => merge(map, patch),
            (Value::Sequence(items), Some(entry)) => items.push(entry.clone()),
            (Value::Mapping(_), Some(_)) => {
                return Err(format!(
                    "`{target}` selects an object: `update` must be one"
                ));
            }
            _ => {
                return Err(format!(
                    "`{target}` selects a value, not an object or array"
                ));
            }
        }
    }
    Ok(())
}

/// Merge `patch` into `map`: objects recursively, anything else replaced.
fn merge(map: &mut Mapping, patch: &Mapping) {
    for (key, value) in patch {
        match (map.get_mut(key), value) {
            (Some(Value::Mapping(inner)), Value::Mapping(patch)) => merge(inner, patch),
            (Some(slot), _) => *slot = value.clone(),
            (None, _) => {
                map.insert(key.clone(), value.clone());
            }
        }
    }
}

fn node_mut<'a>(mut node: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    for step in steps {
        node = match (node, step) {
            (Value::Mapping(map), Step::Key(k)) => map.get_mut(k.as_str())?,
            (Value::Sequence(items), Step::Index(i)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

fn remove_at(document: &mut Value, steps: &[Step]) -> Result<(), String> {
    let (last, parent) = steps
        .split_last()
        .ok_or("the whole document cannot be removed")?;
    match (node_mut(document, parent), last) {
        (Some(Value::Mapping(map)), Step::Key(k)) => {
            map.remove(k.as_str());
        }
        (Some(Value::Sequence(items)), Step::Index(i)) if *i < items.len() => {
            items.remove(*i);
        }
        _ => return Err("the node is gone".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "components:\n  schemas:\n    Intent:\n      required: [id, currency]\n      properties:\n        id: {type: string}\n    Status:\n      type: string\n      enum: [pending, completed]\n";

    fn applied(overlay: &str) -> Result<Value, String> {
        let mut doc = parse(SPEC).unwrap();
        apply(&mut doc, &parse(overlay).unwrap()).map(|()| doc)
    }

    #[test]
    fn updates_merge_objects_and_append_to_arrays_and_removes_delete() {
        let doc = applied(
            "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n\
             - target: $.components.schemas.Intent.properties\n  update: {risk: {type: number}}\n\
             - target: $.components.schemas.Status.enum\n  update: on_hold\n\
             - target: \"$.components.schemas.Intent.required[?@ == 'currency']\"\n  remove: true\n",
        )
        .unwrap();
        let schemas = &doc["components"]["schemas"];
        let properties: Vec<_> = schemas["Intent"]["properties"]
            .as_mapping()
            .unwrap()
            .keys()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(properties, ["id", "risk"], "in order, the new one last");
        assert_eq!(
            schemas["Status"]["enum"],
            parse("[pending, completed, on_hold]").unwrap()
        );
        assert_eq!(schemas["Intent"]["required"], parse("[id]").unwrap());
    }

    #[test]
    fn a_malformed_overlay_or_a_target_that_matches_nothing_is_named() {
        let stale = applied(
            "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n\
             - target: $.components.schemas.Gone\n  description: add to Gone\n  update: {a: 1}\n",
        )
        .unwrap_err();
        assert!(
            stale.starts_with("action 1 (add to Gone): the target"),
            "{stale}"
        );
        assert!(
            applied("openapi: 3.0.3\n")
                .unwrap_err()
                .contains("not an OpenAPI Overlay 1.0")
        );
        let no_op = applied(
            "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n- target: $.components\n",
        )
        .unwrap_err();
        assert!(no_op.contains("neither `update` nor `remove"), "{no_op}");
    }
}
