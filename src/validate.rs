//! Checks a request body against the constraints the spec puts on it, before
//! any network I/O. The rules are generated from the spec (`REQUEST_RULES`),
//! at every depth: nested objects, array items, map values, `allOf` and
//! `oneOf`/`anyOf` members. The generator removes these constraints from the
//! types (see `codegen/src/prepare.rs`), so this is where they are enforced.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value};

/// The constraints of one operation's request body.
#[derive(Debug)]
pub struct OperationRules {
    pub operation_id: &'static str,
    pub fields: &'static [FieldRule],
}

/// A property of an object and its constraints.
#[derive(Debug)]
pub struct FieldRule {
    pub name: &'static str,
    pub required: bool,
    pub rule: Rule,
}

/// The JSON type a schema asks for (`Any`: none, e.g. a bare `allOf`).
#[allow(
    dead_code,
    reason = "constructed by the generated rules when the spec uses the type"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Any,
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
}

/// The string formats checked (others are accepted as any string).
#[allow(
    dead_code,
    reason = "constructed by the generated rules when the spec uses the format"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 3339.
    DateTime,
    /// RFC 3339 `full-date`, `2026-01-31`.
    Date,
    /// 8-4-4-4-12 hexadecimal digits.
    Uuid,
    /// `local@domain`, loosely (what a form would accept).
    Email,
    /// Base64, standard alphabet, padded (OpenAPI's `byte`).
    Base64,
    /// An integer that fits 32 bits, signed.
    Int32,
    /// An integer that fits 64 bits, signed.
    Int64,
}

impl Format {
    /// Whether the string `s` is of this format (any string is, for the
    /// integer formats, which bound numbers).
    pub fn accepts(self, s: &str) -> bool {
        match self {
            Format::DateTime => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            Format::Date => {
                s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
            }
            Format::Uuid => is_uuid(s),
            Format::Email => is_email(s),
            Format::Base64 => {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.decode(s).is_ok()
            }
            Format::Int32 | Format::Int64 => true,
        }
    }

    /// The spec's name of the format (`date-time`).
    pub fn name(self) -> &'static str {
        match self {
            Format::DateTime => "date-time",
            Format::Date => "date",
            Format::Uuid => "uuid",
            Format::Email => "email",
            Format::Base64 => "byte",
            Format::Int32 => "int32",
            Format::Int64 => "int64",
        }
    }
}

/// The constraints of one schema, as the spec states them.
#[derive(Debug)]
pub struct Rule {
    pub kind: Kind,
    pub nullable: bool,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: bool,
    pub exclusive_maximum: bool,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// ECMA-262, unanchored, as OpenAPI says.
    pub pattern: Option<&'static str>,
    pub format: Option<Format>,
    pub one_of: &'static [&'static str],
    /// The values of an integer or number enum.
    pub one_of_numbers: &'static [f64],
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    /// A number must be a multiple of this.
    pub multiple_of: Option<f64>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    /// The server sets it: a request must not carry it.
    pub read_only: bool,
    pub items: Option<&'static Rule>,
    pub properties: &'static [FieldRule],
    /// The schema of the values of an `additionalProperties` map.
    pub additional: Option<&'static Rule>,
    /// Every one must match.
    pub all_of: &'static [Rule],
    /// At least one must match (`oneOf` and `anyOf`).
    pub any_of: &'static [Rule],
    /// Must not match.
    pub not: Option<&'static Rule>,
}

impl Rule {
    /// No constraint at all; the generated rules state only what differs.
    pub const ANY: Rule = Rule {
        kind: Kind::Any,
        nullable: false,
        minimum: None,
        maximum: None,
        exclusive_minimum: false,
        exclusive_maximum: false,
        min_length: None,
        max_length: None,
        pattern: None,
        format: None,
        one_of: &[],
        one_of_numbers: &[],
        min_items: None,
        max_items: None,
        unique_items: false,
        multiple_of: None,
        min_properties: None,
        max_properties: None,
        read_only: false,
        items: None,
        properties: &[],
        additional: None,
        all_of: &[],
        any_of: &[],
        not: None,
    };
}

/// A body field outside what the spec allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field's path: `routing_number`, `address.postal_code`, `signers[1].email`.
    pub field: String,
    /// What rule it breaks.
    pub reason: String,
}

impl From<Violation> for crate::Error {
    fn from(v: Violation) -> Self {
        crate::Error::InvalidRequest {
            field: v.field,
            reason: v.reason,
        }
    }
}

/// Check `body` against the rules of `operation_id` (unknown operations pass).
pub fn check(operation_id: &str, body: &Value) -> Result<(), Violation> {
    let Some(rules) = crate::generated::REQUEST_RULES
        .iter()
        .find(|r| r.operation_id == operation_id)
    else {
        return Ok(());
    };
    let empty = Map::new();
    let object = match body {
        Value::Object(o) => o,
        Value::Null => &empty,
        _ => {
            return Err(Violation {
                field: "body".into(),
                reason: "must be a JSON object".into(),
            });
        }
    };
    check_properties(rules.fields, object, "")
}

fn check_properties(
    fields: &[FieldRule],
    object: &Map<String, Value>,
    path: &str,
) -> Result<(), Violation> {
    for field in fields {
        // Built only for a field the body has, or lacks while it must not.
        let path = || {
            if path.is_empty() {
                field.name.to_string()
            } else {
                format!("{path}.{}", field.name)
            }
        };
        match object.get(field.name) {
            // `null` is a value: only a `nullable` field takes it (typify
            // leaves an unset field out, but a JSON caller may send null).
            None | Some(Value::Null) if field.required && !field.rule.nullable => {
                return Err(violation(&path(), "is required".into()));
            }
            None => {}
            Some(_) if field.rule.read_only => {
                return Err(violation(
                    &path(),
                    "is read-only: the server sets it, a request must not carry it".into(),
                ));
            }
            Some(Value::Null) if !field.rule.nullable => {
                return Err(violation(
                    &path(),
                    "must not be null (leave it out instead)".into(),
                ));
            }
            Some(value) => field.rule.check(value, &path())?,
        }
    }
    Ok(())
}

fn violation(path: &str, reason: String) -> Violation {
    Violation {
        field: path.to_string(),
        reason,
    }
}

impl Rule {
    fn check(&self, value: &Value, path: &str) -> Result<(), Violation> {
        let fail = |reason: String| Err(violation(path, reason));
        if value.is_null() {
            return if self.nullable || self.kind == Kind::Any {
                Ok(())
            } else {
                fail("must not be null".into())
            };
        }
        let expected = match self.kind {
            Kind::Any => None,
            Kind::String => (!value.is_string()).then_some("a string"),
            Kind::Integer => {
                (value.as_i64().is_none() && value.as_u64().is_none()).then_some("an integer")
            }
            Kind::Number => (!value.is_number()).then_some("a number"),
            Kind::Boolean => (!value.is_boolean()).then_some("true or false"),
            Kind::Array => (!value.is_array()).then_some("an array"),
            Kind::Object => (!value.is_object()).then_some("an object"),
        };
        if let Some(expected) = expected {
            return fail(format!("must be {expected} (got {})", excerpt(value)));
        }
        if let Some(n) = value.as_f64() {
            self.check_number(n, value, path)?;
        }
        match value {
            Value::String(s) => self.check_string(s, path)?,
            Value::Array(items) => self.check_array(items, path)?,
            Value::Object(object) => {
                self.check_size(object, path)?;
                check_properties(self.properties, object, path)?;
                if let Some(values) = self.additional {
                    let named = |k: &str| self.properties.iter().any(|p| p.name == k);
                    for (key, v) in object.iter().filter(|(k, _)| !named(k)) {
                        values.check(v, &format!("{path}.{key}"))?;
                    }
                }
            }
            _ => {}
        }
        if let Some(not) = self.not
            && not.check(value, path).is_ok()
        {
            return fail(format!("must not be {} (the spec's `not`)", excerpt(value)));
        }
        for part in self.all_of {
            part.check(value, path)?;
        }
        if !self.any_of.is_empty() {
            let mut reasons = Vec::new();
            for alternative in self.any_of {
                match alternative.check(value, path) {
                    Ok(()) => return Ok(()),
                    Err(v) => reasons.push(format!("{}: {}", v.field, v.reason)),
                }
            }
            return fail(format!(
                "matches none of the {} alternatives the spec allows ({})",
                self.any_of.len(),
                reasons.join("; or ")
            ));
        }
        Ok(())
    }

    fn check_size(&self, object: &Map<String, Value>, path: &str) -> Result<(), Violation> {
        let n = object.len() as u64;
        if let Some(min) = self.min_properties.filter(|min| n < *min) {
            return Err(violation(
                path,
                format!("must have at least {min} keys (got {n})"),
            ));
        }
        if let Some(max) = self.max_properties.filter(|max| n > *max) {
            return Err(violation(
                path,
                format!("must have at most {max} keys (got {n})"),
            ));
        }
        Ok(())
    }

    fn check_number(&self, n: f64, value: &Value, path: &str) -> Result<(), Violation> {
        let fits = match self.format {
            Some(Format::Int32) => value.as_i64().is_some_and(|v| i32::try_from(v).is_ok()),
            Some(Format::Int64) => value.as_i64().is_some(),
            _ => true,
        };
        if !fits {
            let bits = if self.format == Some(Format::Int32) {
                32
            } else {
                64
            };
            return Err(violation(
                path,
                format!("must fit a signed {bits}-bit integer (got {value})"),
            ));
        }
        if let Some(m) = self.multiple_of
            && !is_multiple(value, n, m)
        {
            return Err(violation(
                path,
                format!("must be a multiple of {m} (got {value})"),
            ));
        }
        if !self.one_of_numbers.is_empty() && !self.one_of_numbers.contains(&n) {
            let values: Vec<String> = self.one_of_numbers.iter().map(f64::to_string).collect();
            return Err(violation(
                path,
                format!("must be one of {} (got {value})", values.join(", ")),
            ));
        }
        let below = self.minimum.is_some_and(|min| {
            if self.exclusive_minimum {
                n <= min
            } else {
                n < min
            }
        });
        let above = self.maximum.is_some_and(|max| {
            if self.exclusive_maximum {
                n >= max
            } else {
                n > max
            }
        });
        if !(below || above) {
            return Ok(());
        }
        let low = |min: f64| {
            if self.exclusive_minimum {
                format!("greater than {min}")
            } else {
                format!("at least {min}")
            }
        };
        let high = |max: f64| {
            if self.exclusive_maximum {
                format!("less than {max}")
            } else {
                format!("at most {max}")
            }
        };
        let range = match (self.minimum, self.maximum) {
            (Some(min), Some(max)) if !self.exclusive_minimum && !self.exclusive_maximum => {
                format!("between {min} and {max}")
            }
            (Some(min), Some(max)) => format!("{} and {}", low(min), high(max)),
            (Some(min), None) => low(min),
            (None, Some(max)) => high(max),
            (None, None) => String::new(),
        };
        Err(violation(path, format!("must be {range} (got {value})")))
    }

    fn check_string(&self, s: &str, path: &str) -> Result<(), Violation> {
        let fail = |reason: String| Err(violation(path, reason));
        let chars = s.chars().count() as u64;
        if let Some(min) = self.min_length.filter(|min| chars < *min) {
            return fail(if chars == 0 {
                "must not be empty".into()
            } else {
                format!("must be at least {min} characters")
            });
        }
        if let Some(max) = self.max_length.filter(|max| chars > *max) {
            return fail(format!("must be at most {max} characters"));
        }
        if !self.one_of.is_empty() && !self.one_of.contains(&s) {
            return fail(format!(
                "must be one of {} (got {s:?})",
                self.one_of.join(", ")
            ));
        }
        if let Some(pattern) = self.pattern
            && !matches_pattern(pattern, s)
        {
            return fail(format!("must match the pattern {pattern} (got {s:?})"));
        }
        if let Some(format) = self.format
            && !format.accepts(s)
        {
            let expected = match format {
                Format::DateTime => "an RFC 3339 date-time",
                Format::Date => "a date (YYYY-MM-DD)",
                Format::Uuid => "a UUID",
                Format::Email => "an email address",
                Format::Base64 => "base64 (standard, padded)",
                Format::Int32 | Format::Int64 => "an integer",
            };
            return fail(format!("must be {expected} (got {s:?})"));
        }
        Ok(())
    }

    fn check_array(&self, items: &[Value], path: &str) -> Result<(), Violation> {
        let n = items.len() as u64;
        if let Some(min) = self.min_items.filter(|min| n < *min) {
            return Err(violation(
                path,
                format!("must have at least {min} items (got {n})"),
            ));
        }
        if let Some(max) = self.max_items.filter(|max| n > *max) {
            return Err(violation(
                path,
                format!("must have at most {max} items (got {n})"),
            ));
        }
        if self.unique_items
            && let Some(i) = (1..items.len()).find(|&i| items[..i].contains(&items[i]))
        {
            return Err(violation(
                &format!("{path}[{i}]"),
                "repeats an earlier item".into(),
            ));
        }
        if let Some(rule) = self.items {
            for (i, item) in items.iter().enumerate() {
                rule.check(item, &format!("{path}[{i}]"))?;
            }
        }
        Ok(())
    }
}

/// Whether `pattern` (ECMA-262, unanchored) finds a match in `s`. Compiled once
/// per pattern; the generator has checked that each compiles.
fn matches_pattern(pattern: &'static str, s: &str) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, regress::Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let Ok(mut cache) = cache.lock() else {
        return regress::Regex::new(pattern).is_ok_and(|re| re.find(s).is_some());
    };
    if !cache.contains_key(pattern) {
        match regress::Regex::new(pattern) {
            Ok(re) => {
                cache.insert(pattern, re);
            }
            // Unreachable after the build-time check; refuse nothing for it.
            Err(_) => return true,
        }
    }
    cache.get(pattern).is_some_and(|re| re.find(s).is_some())
}

/// Whether `value` (also as `n`) is a multiple of `m` (> 0): exactly for
/// integers, to a relative 1e-9 for other numbers (`0.3` of `0.1`).
fn is_multiple(value: &Value, n: f64, m: f64) -> bool {
    if m.fract() == 0.0 && m <= u64::MAX as f64 {
        let m = m as u64;
        if let Some(v) = value.as_u64() {
            return v % m == 0;
        }
        if let Some(v) = value.as_i64() {
            return v.unsigned_abs() % m == 0;
        }
    }
    let q = n / m;
    (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_email(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// A value for an error message, cut to a readable length.
fn excerpt(value: &Value) -> String {
    crate::error::excerpt(value.to_string().as_bytes(), 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    static ROUTING: Rule = Rule {
        kind: Kind::String,
        pattern: Some(r"^\d{9}$"),
        ..Rule::ANY
    };
    static NESTED: Rule = Rule {
        kind: Kind::Object,
        properties: &[
            FieldRule {
                name: "tags",
                required: false,
                rule: Rule {
                    kind: Kind::Array,
                    max_items: Some(2),
                    unique_items: true,
                    items: Some(&Rule {
                        kind: Kind::String,
                        min_length: Some(1),
                        ..Rule::ANY
                    }),
                    ..Rule::ANY
                },
            },
            FieldRule {
                name: "limit",
                required: true,
                rule: Rule {
                    kind: Kind::Number,
                    minimum: Some(0.0),
                    maximum: Some(1.0),
                    exclusive_minimum: true,
                    ..Rule::ANY
                },
            },
        ],
        additional: Some(&Rule {
            kind: Kind::String,
            format: Some(Format::Uuid),
            ..Rule::ANY
        }),
        ..Rule::ANY
    };

    fn field_of(rule: &Rule, value: Value) -> Option<String> {
        rule.check(&value, "x").err().map(|v| v.field)
    }

    #[test]
    fn patterns_are_ecma_262_and_unanchored_unless_anchored() {
        assert!(ROUTING.check(&"021000021".into(), "r").is_ok());
        let bad = ROUTING.check(&"02100002".into(), "r").unwrap_err();
        assert_eq!(bad.field, "r");
        assert!(bad.reason.contains(r"^\d{9}$"), "{}", bad.reason);
        assert!(matches_pattern("b", "abc"));
    }

    #[test]
    fn nested_violations_name_their_path() {
        use serde_json::json;
        assert_eq!(field_of(&NESTED, json!({"limit": 0.5})), None);
        assert_eq!(
            field_of(&NESTED, json!({"limit": 0})).as_deref(),
            Some("x.limit")
        );
        assert_eq!(field_of(&NESTED, json!({})).as_deref(), Some("x.limit"));
        assert_eq!(
            field_of(&NESTED, json!({"limit": 1, "tags": ["a", ""]})).as_deref(),
            Some("x.tags[1]")
        );
        assert_eq!(
            field_of(&NESTED, json!({"limit": 1, "tags": ["a", "a"]})).as_deref(),
            Some("x.tags[1]")
        );
        assert_eq!(
            field_of(&NESTED, json!({"limit": 1, "tags": ["a", "b", "c"]})).as_deref(),
            Some("x.tags")
        );
        assert_eq!(
            field_of(
                &NESTED,
                json!({"limit": 1, "owner": "123e4567-e89b-12d3-a456-426614174000"})
            ),
            None
        );
        assert_eq!(
            field_of(&NESTED, json!({"limit": 1, "owner": "user-1"})).as_deref(),
            Some("x.owner")
        );
    }

    #[test]
    fn formats() {
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(is_email("jane.doe@example.com"));
        assert!(!is_email("jane.doe"));
        assert!(!is_email("jane doe@example.com"));
    }
}
