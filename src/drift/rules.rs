//! What the spec says a success response holds, as the drift observer reads
//! it: generated from the spec's response schemas (`RESPONSE_RULES`), one
//! tree per operation, holding only the places where there is something to check.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::validate::Format;

/// The success response of one operation.
#[derive(Debug)]
pub struct ResponseRules {
    pub operation_id: &'static str,
    /// `None`: nothing to check in this response.
    pub root: Option<&'static Node>,
}

/// A place in a response body and what the spec says of the value there.
#[derive(Debug)]
pub struct Node {
    /// From the body's root: JSON names joined with `.`, `[]` for an array's items.
    pub path: &'static str,
    /// An object's declared properties, in the spec's order (empty: not checked as an object).
    pub properties: &'static [Property],
    /// Keys beyond `properties` are allowed (`additionalProperties: true` or a schema).
    pub extras: bool,
    pub items: Option<&'static Node>,
    /// The values a string enum lists.
    pub one_of: &'static [&'static str],
    pub format: Option<Format>,
    /// ECMA-262, unanchored (checked to compile at build time).
    pub pattern: Option<&'static str>,
}

/// A declared property of an object.
#[derive(Debug)]
pub struct Property {
    pub name: &'static str,
    pub required: bool,
    /// `None`: nothing to check in its value.
    pub node: Option<&'static Node>,
}

impl Node {
    /// Nothing to check; the generated nodes state only what differs.
    pub const NONE: Node = Node {
        path: "",
        properties: &[],
        extras: false,
        items: None,
        one_of: &[],
        format: None,
        pattern: None,
    };
}

/// The path of the key `name` of the object at `object`.
pub fn child(object: &str, name: &str) -> String {
    // A server picks its keys: keep a strange one readable and short.
    let strange = name.len() > 64 || name.contains(char::is_control);
    let name: Cow<'_, str> = match strange {
        true => crate::error::excerpt(name.as_bytes(), 64)
            .replace(char::is_control, "?")
            .into(),
        false => name.into(),
    };
    if object.is_empty() {
        name.into_owned()
    } else {
        format!("{object}.{name}")
    }
}

/// The tree of `operation_id`'s success response, if it has one.
pub fn root(operation_id: &str) -> Option<&'static Node> {
    crate::generated::RESPONSE_RULES
        .iter()
        .find(|r| r.operation_id == operation_id)?
        .root
}

/// Whether `s` has a match of `pattern`, one of the tree's patterns (any
/// other matches everything). Compiled once, on first use.
pub fn matches(pattern: &str, s: &str) -> bool {
    static COMPILED: OnceLock<Vec<(&'static str, regress::Regex)>> = OnceLock::new();
    let compiled = COMPILED.get_or_init(|| {
        let mut out = Vec::new();
        for rules in crate::generated::RESPONSE_RULES {
            collect_patterns(rules.root, &mut out);
        }
        out
    });
    compiled
        .iter()
        .find(|(p, _)| *p == pattern)
        .is_none_or(|(_, re)| match s.is_ascii() {
            true => re.find_ascii(s).is_some(),
            false => re.find(s).is_some(),
        })
}

fn collect_patterns(node: Option<&'static Node>, out: &mut Vec<(&'static str, regress::Regex)>) {
    let Some(node) = node else { return };
    if let Some(p) = node.pattern
        && !out.iter().any(|(known, _)| *known == p)
        && let Ok(re) = regress::Regex::new(p)
    {
        out.push((p, re));
    }
    collect_patterns(node.items, out);
    for property in node.properties {
        collect_patterns(property.node, out);
    }
}
