//! A JSON value checked against an OpenAPI 3.0 schema, every keyword of it;
//! the first violation is named by its field path (`per_page`,
//! `address.postal_code`, `signers[1].email`).
//!
//! Used for request bodies (a 400), pinned data (refused at start) and every
//! answer the sandbox generates (never sent if it breaks the spec). Written
//! for the sandbox alone: it shares no code with the client's validator.

use serde_json::{Map, Number, Value};

use crate::spec::Spec;

/// How deep a value is followed into nested schemas.
const MAX_DEPTH: usize = 64;

/// The first rule a value breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", if path.is_empty() { "body" } else { path })]
pub(crate) struct Violation {
    /// The field's path; empty for the value itself.
    pub path: String,
    pub reason: String,
}

/// Checks `value` against `schema`; `path` names `value` in messages.
pub(crate) fn check(
    spec: &Spec,
    schema: &Value,
    value: &Value,
    path: &str,
) -> Result<(), Violation> {
    Checker { spec }.check(schema, value, path, 0)
}

fn fail<T>(path: &str, reason: impl Into<String>) -> Result<T, Violation> {
    Err(Violation {
        path: path.to_owned(),
        reason: reason.into(),
    })
}

/// The path of field `name` of the value at `path`.
pub(crate) fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// An enum value or a bound as a message shows it: strings bare.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct Checker<'a> {
    spec: &'a Spec,
}

impl Checker<'_> {
    fn check(
        &self,
        schema: &Value,
        value: &Value,
        path: &str,
        depth: usize,
    ) -> Result<(), Violation> {
        if depth > MAX_DEPTH {
            return fail(path, "is nested too deeply");
        }
        // Only a looping $ref fails to resolve, and `Spec::parse` refused those.
        let Some(schema) = self.spec.resolve(schema) else {
            return Ok(());
        };
        let Some(rules) = schema.as_object() else {
            // `true`/`false` schemas (JSON Schema), in maps' additionalProperties.
            return match schema.as_bool() {
                Some(false) => fail(path, "is not allowed"),
                _ => Ok(()),
            };
        };
        let ty = rules.get("type").and_then(Value::as_str);
        if value.is_null() {
            if rules.get("nullable").and_then(Value::as_bool) == Some(true) {
                return Ok(());
            }
            if ty.is_some() {
                return fail(path, "must not be null");
            }
        }
        if let Some(ty) = ty {
            self.check_type(ty, rules, value, path)?;
        }
        if let Some(allowed) = rules.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            let list: Vec<String> = allowed.iter().map(shown).collect();
            return fail(
                path,
                format!("must be one of {} (got {})", list.join(", "), value),
            );
        }
        match value {
            Value::Number(n) => self.check_number(rules, n, path)?,
            Value::String(s) => self.check_string(rules, s, path)?,
            Value::Array(items) => self.check_array(schema, rules, items, path, depth)?,
            Value::Object(map) => self.check_object(schema, rules, map, path, depth)?,
            Value::Null | Value::Bool(_) => {}
        }
        self.check_composition(rules, value, path, depth)
    }

    fn check_type(
        &self,
        ty: &str,
        rules: &Map<String, Value>,
        value: &Value,
        path: &str,
    ) -> Result<(), Violation> {
        let ok = match ty {
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "number" => value.is_number(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            "integer" => return self.check_integer(rules, value, path),
            _ => true,
        };
        if ok {
            return Ok(());
        }
        let expected = match ty {
            "string" => "a string",
            "boolean" => "a boolean",
            "number" => "a number",
            "array" => "an array",
            _ if path.is_empty() => "a JSON object",
            _ => "an object",
        };
        fail(path, format!("must be {expected}"))
    }

    /// An integer is a JSON number without a fraction, within int64 (int32 if so formatted).
    fn check_integer(
        &self,
        rules: &Map<String, Value>,
        value: &Value,
        path: &str,
    ) -> Result<(), Violation> {
        let range = if rules.get("format").and_then(Value::as_str) == Some("int32") {
            "int32"
        } else {
            "int64"
        };
        let Value::Number(n) = value else {
            return fail(path, "must be an integer");
        };
        let Some(i) = n.as_i64() else {
            let beyond = n.is_u64()
                || n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9.2e18);
            return if beyond {
                fail(
                    path,
                    format!("must be an integer within the {range} range (got {n})"),
                )
            } else {
                fail(path, "must be an integer")
            };
        };
        if range == "int32" && i32::try_from(i).is_err() {
            return fail(
                path,
                format!("must be an integer within the int32 range (got {i})"),
            );
        }
        Ok(())
    }

    fn check_number(
        &self,
        rules: &Map<String, Value>,
        n: &Number,
        path: &str,
    ) -> Result<(), Violation> {
        let x = n.as_f64().unwrap_or(f64::NAN);
        let (min, min_excl) = exclusive(rules, "minimum", "exclusiveMinimum");
        let (max, max_excl) = exclusive(rules, "maximum", "exclusiveMaximum");
        let as_f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
        let low_ok = min.is_none_or(|m| if min_excl { x > as_f(m) } else { x >= as_f(m) });
        let high_ok = max.is_none_or(|m| if max_excl { x < as_f(m) } else { x <= as_f(m) });
        if !low_ok || !high_ok {
            let low = |m: &Value| {
                if min_excl {
                    format!("greater than {m}")
                } else {
                    format!("at least {m}")
                }
            };
            let high = |m: &Value| {
                if max_excl {
                    format!("less than {m}")
                } else {
                    format!("at most {m}")
                }
            };
            let range = match (min, max) {
                (Some(a), Some(b)) if !min_excl && !max_excl => format!("between {a} and {b}"),
                (Some(a), Some(b)) => format!("{} and {}", low(a), high(b)),
                (Some(a), None) => low(a),
                (None, Some(b)) => high(b),
                (None, None) => String::new(),
            };
            return fail(path, format!("must be {range} (got {n})"));
        }
        if let Some(step) = rules.get("multipleOf").and_then(Value::as_number)
            && !is_multiple(n, step)
        {
            return fail(path, format!("must be a multiple of {step} (got {n})"));
        }
        Ok(())
    }

    fn check_string(
        &self,
        rules: &Map<String, Value>,
        s: &str,
        path: &str,
    ) -> Result<(), Violation> {
        let chars = s.chars().count() as u64;
        let limit = |key: &str| rules.get(key).and_then(Value::as_u64);
        if let Some(min) = limit("minLength").filter(|m| chars < *m) {
            return fail(
                path,
                if chars == 0 {
                    "must not be empty".to_owned()
                } else {
                    format!("must be at least {min} characters (got {chars})")
                },
            );
        }
        if let Some(max) = limit("maxLength").filter(|m| chars > *m) {
            return fail(
                path,
                format!("must be at most {max} characters (got {chars})"),
            );
        }
        if let Some(pattern) = rules.get("pattern").and_then(Value::as_str)
            && self
                .spec
                .pattern(pattern)
                .is_some_and(|re| re.find(s).is_none())
        {
            return fail(
                path,
                format!("must match the pattern {pattern} (got {s:?})"),
            );
        }
        let expected = match rules.get("format").and_then(Value::as_str) {
            Some("date-time") if chrono::DateTime::parse_from_rfc3339(s).is_err() => {
                "an RFC 3339 date-time such as 2026-01-01T00:00:00Z"
            }
            Some("date") if !is_date(s) => "a date (YYYY-MM-DD)",
            Some("uuid") if !is_uuid(s) => "a UUID",
            Some("email") if !is_email(s) => "an email address",
            Some("decimal") if !is_decimal(s) => "a decimal number such as 123.45",
            _ => return Ok(()),
        };
        fail(path, format!("must be {expected} (got {s:?})"))
    }

    fn check_array(
        &self,
        schema: &Value,
        rules: &Map<String, Value>,
        items: &[Value],
        path: &str,
        depth: usize,
    ) -> Result<(), Violation> {
        let n = items.len() as u64;
        let limit = |key: &str| rules.get(key).and_then(Value::as_u64);
        if let Some(min) = limit("minItems").filter(|m| n < *m) {
            return fail(path, format!("must have at least {min} items (got {n})"));
        }
        if let Some(max) = limit("maxItems").filter(|m| n > *m) {
            return fail(path, format!("must have at most {max} items (got {n})"));
        }
        if rules.get("uniqueItems").and_then(Value::as_bool) == Some(true)
            && let Some(i) = (1..items.len()).find(|&i| items[..i].contains(&items[i]))
        {
            return fail(&format!("{path}[{i}]"), "repeats an earlier item");
        }
        if let Some(item) = schema.get("items") {
            for (i, value) in items.iter().enumerate() {
                self.check(item, value, &format!("{path}[{i}]"), depth + 1)?;
            }
        }
        Ok(())
    }

    fn check_object(
        &self,
        schema: &Value,
        rules: &Map<String, Value>,
        map: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Result<(), Violation> {
        for name in rules
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = name.as_str()
                && !map.contains_key(name)
            {
                return fail(&child(path, name), "is required");
            }
        }
        let declared = schema.get("properties").and_then(Value::as_object);
        let extra = rules.get("additionalProperties");
        for (name, value) in map {
            let at = child(path, name);
            match declared.and_then(|d| d.get(name)) {
                Some(property) => self.check(property, value, &at, depth + 1)?,
                None => match extra {
                    Some(Value::Bool(false)) => {
                        return fail(
                            &at,
                            "is not a field of this object (additionalProperties: false)",
                        );
                    }
                    Some(extra @ Value::Object(_)) => self.check(extra, value, &at, depth + 1)?,
                    _ => {}
                },
            }
        }
        let n = map.len() as u64;
        let limit = |key: &str| rules.get(key).and_then(Value::as_u64);
        if let Some(min) = limit("minProperties").filter(|m| n < *m) {
            return fail(
                path,
                format!("must have at least {min} properties (got {n})"),
            );
        }
        if let Some(max) = limit("maxProperties").filter(|m| n > *m) {
            return fail(
                path,
                format!("must have at most {max} properties (got {n})"),
            );
        }
        Ok(())
    }

    fn check_composition(
        &self,
        rules: &Map<String, Value>,
        value: &Value,
        path: &str,
        depth: usize,
    ) -> Result<(), Violation> {
        for part in rules
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.check(part, value, path, depth + 1)?;
        }
        for key in ["oneOf", "anyOf"] {
            let Some(branches) = rules.get(key).and_then(Value::as_array) else {
                continue;
            };
            if let Some(chosen) = self.discriminated(rules, branches, value, path)? {
                self.check(chosen, value, path, depth + 1)?;
                continue;
            }
            let mut first = None;
            for branch in branches {
                match self.check(branch, value, path, depth + 1) {
                    Ok(()) => {
                        first = None;
                        break;
                    }
                    Err(v) => {
                        first.get_or_insert(v);
                    }
                }
            }
            if let Some(v) = first {
                return fail(
                    path,
                    format!(
                        "must match one of its {} schemas ({key}); the first says: {v}",
                        branches.len()
                    ),
                );
            }
        }
        if let Some(not) = rules.get("not")
            && self.check(not, value, path, depth + 1).is_ok()
        {
            return fail(path, "must not match the schema under `not`");
        }
        Ok(())
    }

    /// The branch a `discriminator` names for `value`, if the schema has one.
    fn discriminated<'v>(
        &self,
        rules: &'v Map<String, Value>,
        branches: &'v [Value],
        value: &Value,
        path: &str,
    ) -> Result<Option<&'v Value>, Violation> {
        let Some(property) = rules.pointer_str("/discriminator/propertyName") else {
            return Ok(None);
        };
        let Some(tag) = value.get(property).and_then(Value::as_str) else {
            return Ok(None);
        };
        let tags = discriminator_tags(rules, branches);
        match tags.iter().find(|(t, _)| t == tag) {
            Some((_, branch)) => Ok(Some(branch)),
            None => {
                let names: Vec<&str> = tags.iter().map(|(t, _)| t.as_str()).collect();
                fail(
                    &child(path, property),
                    format!("must be one of {} (got {tag:?})", names.join(", ")),
                )
            }
        }
    }
}

/// A bound and whether it is exclusive: OpenAPI 3.0 makes the exclusive flags
/// booleans; JSON Schema's numeric form is honoured too.
fn exclusive<'a>(
    rules: &'a Map<String, Value>,
    bound: &str,
    flag: &str,
) -> (Option<&'a Value>, bool) {
    let bound = rules.get(bound).filter(|b| b.is_number());
    match rules.get(flag) {
        Some(Value::Bool(b)) => (bound, *b),
        Some(v @ Value::Number(_)) => (Some(v), true),
        _ => (bound, false),
    }
}

/// Each branch's discriminator value: from the mapping, else the last segment of its `$ref`.
pub(crate) fn discriminator_tags<'v>(
    rules: &'v Map<String, Value>,
    branches: &'v [Value],
) -> Vec<(String, &'v Value)> {
    let mapping = rules
        .get("discriminator")
        .and_then(|d| d.get("mapping"))
        .and_then(Value::as_object);
    branches
        .iter()
        .filter_map(|branch| {
            let target = branch.get("$ref").and_then(Value::as_str)?;
            let tag = mapping
                .and_then(|m| m.iter().find(|(_, to)| to.as_str() == Some(target)))
                .map(|(tag, _)| tag.clone())
                .or_else(|| target.rsplit('/').next().map(str::to_owned))?;
            Some((tag, branch))
        })
        .collect()
}

trait PointerStr {
    fn pointer_str(&self, pointer: &str) -> Option<&str>;
}

impl PointerStr for Map<String, Value> {
    fn pointer_str(&self, pointer: &str) -> Option<&str> {
        let mut parts = pointer.trim_start_matches('/').split('/');
        let first = self.get(parts.next()?)?;
        parts.try_fold(first, |v, p| v.get(p))?.as_str()
    }
}

/// Whether `n` is a whole multiple of `step` (exactly for integers, to a
/// relative 1e-9 for numbers with fractions).
fn is_multiple(n: &Number, step: &Number) -> bool {
    if let (Some(a), Some(b)) = (n.as_i64(), step.as_i64()) {
        return b != 0 && a % b == 0;
    }
    let (a, b) = (
        n.as_f64().unwrap_or(f64::NAN),
        step.as_f64().unwrap_or(f64::NAN),
    );
    if b <= 0.0 || !a.is_finite() {
        return false;
    }
    let q = a / b;
    (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

/// RFC 3339 `full-date`: exactly `YYYY-MM-DD`, a real day.
pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// `local@domain.tld`: one `@`, a dotted domain, no spaces.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `-?digits(.digits)?`, the project's `format: decimal` (a money amount).
fn is_decimal(s: &str) -> bool {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
    digits(whole) && digits(fraction) && whole.len() <= 28
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Spec {
        let text = r##"
paths: {}
components:
  schemas:
    Party:
      type: object
      required: [name]
      properties:
        name: {type: string, minLength: 1}
    Checking:
      type: object
      required: [kind]
      properties: {kind: {type: string}}
    Savings:
      type: object
      required: [kind, rate]
      properties: {kind: {type: string}, rate: {type: number}}
    Body:
      type: object
      additionalProperties: false
      minProperties: 1
      properties:
        api_key: {type: string, minLength: 1}
        page: {type: integer, format: int64, minimum: 1}
        per_page: {type: integer, format: int64, minimum: 1, maximum: 500, multipleOf: 10}
        small: {type: integer, format: int32}
        rate: {type: number, exclusiveMinimum: true, minimum: 0, maximum: 1}
        code: {type: string, pattern: '\d{3}', maxLength: 5}
        day: {type: string, format: date}
        at: {type: string, format: date-time}
        note: {type: string, nullable: true}
        kind: {type: string, enum: [a, b]}
        tags: {type: array, uniqueItems: true, maxItems: 2, items: {type: string}}
        signers: {type: array, items: {$ref: "#/components/schemas/Party"}}
        labels: {type: object, additionalProperties: {type: string}, maxProperties: 1}
        holder: {allOf: [{$ref: "#/components/schemas/Party"}]}
        instrument:
          oneOf: [{$ref: "#/components/schemas/Checking"}, {$ref: "#/components/schemas/Savings"}]
          discriminator: {propertyName: kind, mapping: {checking: "#/components/schemas/Checking", savings: "#/components/schemas/Savings"}}
        anything: {not: {type: string}}
"##;
        Spec::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn message(body: Value) -> String {
        let spec = spec();
        match check(
            &spec,
            &json!({"$ref": "#/components/schemas/Body"}),
            &body,
            "",
        ) {
            Ok(()) => "accepted".into(),
            Err(v) => v.to_string(),
        }
    }

    #[test]
    fn every_keyword_names_the_field() {
        let cases = [
            (json!([]), "body: must be a JSON object"),
            (json!({}), "body: must have at least 1 properties (got 0)"),
            (json!({"api_key": {}}), "api_key: must be a string"),
            (json!({"page": 0}), "page: must be at least 1 (got 0)"),
            (json!({"page": 1.5}), "page: must be an integer"),
            (json!({"page": "2"}), "page: must be an integer"),
            (
                json!({"page": 9_223_372_036_854_775_808_u64}),
                "page: must be an integer within the int64 range (got 9223372036854775808)",
            ),
            (
                json!({"small": 2_147_483_648_i64}),
                "small: must be an integer within the int32 range (got 2147483648)",
            ),
            (
                json!({"per_page": 0}),
                "per_page: must be between 1 and 500 (got 0)",
            ),
            (
                json!({"per_page": 7}),
                "per_page: must be a multiple of 10 (got 7)",
            ),
            (
                json!({"rate": 0}),
                "rate: must be greater than 0 and at most 1 (got 0)",
            ),
            (
                json!({"code": "12"}),
                "code: must match the pattern \\d{3} (got \"12\")",
            ),
            (
                json!({"code": "123456"}),
                "code: must be at most 5 characters (got 6)",
            ),
            (
                json!({"day": "2026-2-01"}),
                "day: must be a date (YYYY-MM-DD) (got \"2026-2-01\")",
            ),
            (
                json!({"at": "2026-02-30T00:00:00Z"}),
                "at: must be an RFC 3339 date-time such as 2026-01-01T00:00:00Z (got \"2026-02-30T00:00:00Z\")",
            ),
            (
                json!({"kind": "c"}),
                "kind: must be one of a, b (got \"c\")",
            ),
            (json!({"kind": null}), "kind: must not be null"),
            (
                json!({"tags": ["x", "x"]}),
                "tags[1]: repeats an earlier item",
            ),
            (
                json!({"tags": ["x", "y", "z"]}),
                "tags: must have at most 2 items (got 3)",
            ),
            (
                json!({"signers": [{"name": "a"}, {"name": ""}]}),
                "signers[1].name: must not be empty",
            ),
            (json!({"signers": [{}]}), "signers[0].name: is required"),
            (json!({"labels": {"a": 1}}), "labels.a: must be a string"),
            (
                json!({"labels": {"a": "x", "b": "y"}}),
                "labels: must have at most 1 properties (got 2)",
            ),
            (json!({"holder": {}}), "holder.name: is required"),
            (
                json!({"instrument": {"kind": "savings"}}),
                "instrument.rate: is required",
            ),
            (
                json!({"instrument": {"kind": "cd"}}),
                "instrument.kind: must be one of checking, savings (got \"cd\")",
            ),
            (
                json!({"anything": "text"}),
                "anything: must not match the schema under `not`",
            ),
            (
                json!({"colour": "blue"}),
                "colour: is not a field of this object (additionalProperties: false)",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(message(body.clone()), expected, "{body}");
        }
        for good in [
            json!({"note": null, "page": 9_223_372_036_854_775_807_i64}),
            json!({"instrument": {"kind": "checking"}, "at": "9999-12-31T23:00:00-08:00", "day": "2024-02-29"}),
            json!({"per_page": 500, "rate": 1, "code": "x123y", "anything": 3}),
        ] {
            assert_eq!(message(good.clone()), "accepted", "{good}");
        }
    }

    #[test]
    fn formats() {
        assert!(
            is_decimal("123.45")
                && is_decimal("-1")
                && !is_decimal("")
                && !is_decimal("ipsum")
                && !is_decimal("1.")
        );
        assert!(is_email("jane.doe@example.com") && !is_email("jane.doe") && !is_email("a b@c.d"));
        assert!(
            is_uuid("123e4567-e89b-12d3-a456-426614174000")
                && !is_uuid("123e4567e89b12d3a456426614174000")
        );
    }
}
