//! Deterministic values generated from a schema: the same schema and key
//! always give the same value, honouring types, formats, enums, patterns,
//! lengths, ranges, `multipleOf`, nesting, required and nullable fields.
//!
//! Every string and number is checked against its schema (retrying a few
//! keys); a schema that cannot be satisfied falls back to its `example` or
//! `default`, and otherwise is an [`Unsatisfiable`] naming the field.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::data::{hash, hash_str, mix, uuid_like};
use crate::pattern;
use crate::schema_check::{check, child, discriminator_tags};
use crate::spec::Spec;

/// Past this depth only required fields and minimal arrays are generated.
const SHALLOW_DEPTH: usize = 4;
/// Past this depth generation gives up (a schema whose required fields recurse).
const MAX_DEPTH: usize = 16;
/// The longest generated string and the most items of a generated array.
const MAX_STRING_CHARS: u64 = 4096;
const MAX_ITEMS: u64 = 64;
/// How many keys a leaf value is tried with before falling back.
const ATTEMPTS: u64 = 8;
/// 2026-04-16T12:34:56Z: the newest generated date-time.
pub(crate) const ANCHOR_SECS: i64 = 1_776_342_896;
pub(crate) const YEAR_SECS: i64 = 365 * 86_400;

const WORDS: [&str; 16] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa",
];
const FIRST_NAMES: [&str; 8] = [
    "jane", "john", "maria", "wei", "aisha", "carlos", "olga", "kenji",
];

/// No value of the schema could be generated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot generate {}: {reason}", if path.is_empty() { "the value" } else { path })]
pub(crate) struct Unsatisfiable {
    pub path: String,
    pub reason: String,
}

/// A value of `schema` chosen by `key`; `path` names it in errors.
pub(crate) fn generate(
    spec: &Spec,
    schema: &Value,
    key: u64,
    path: &str,
) -> Result<Value, Unsatisfiable> {
    Generator { spec }.value(schema, key, path, 0)
}

/// Unix seconds of item `i` of `count` on a timeline over the year before
/// the anchor: strictly decreasing in `i`, jittered within its step.
pub(crate) fn timeline_secs(jitter: u64, i: u64, count: u64) -> i64 {
    let step = (YEAR_SECS / i64::try_from(count.max(1)).unwrap_or(i64::MAX)).max(1);
    ANCHOR_SECS
        - i64::try_from(i)
            .unwrap_or(i64::MAX / 2)
            .saturating_mul(step)
        - (jitter % step.unsigned_abs()) as i64
}

/// `2026-04-16T12:34:56.000Z`.
pub(crate) fn format_millis(secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// A string unique to `index` (its first 64 bits are a bijection of it).
pub(crate) fn unique_text(index: u64, salt: u64) -> String {
    uuid_like(mix(index ^ mix(salt)), mix(index.wrapping_add(salt)))
}

fn fail<T>(path: &str, reason: impl Into<String>) -> Result<T, Unsatisfiable> {
    Err(Unsatisfiable {
        path: path.to_owned(),
        reason: reason.into(),
    })
}

fn pick<T>(list: &[T], h: u64) -> Option<&T> {
    list.get((h % list.len().max(1) as u64) as usize)
}

struct Generator<'a> {
    spec: &'a Spec,
}

impl Generator<'_> {
    fn value(
        &self,
        schema: &Value,
        key: u64,
        path: &str,
        depth: usize,
    ) -> Result<Value, Unsatisfiable> {
        if depth > MAX_DEPTH {
            return fail(
                path,
                "the schema nests too deeply (do required fields recurse?)",
            );
        }
        let Some(schema) = self.spec.resolve(schema) else {
            return fail(path, "its $ref loops");
        };
        let Some(rules) = schema.as_object() else {
            return Ok(Value::String(WORDS[0].to_owned()));
        };
        if rules.get("nullable").and_then(Value::as_bool) == Some(true)
            && mix(key ^ 0x4E55).is_multiple_of(5)
        {
            return Ok(Value::Null);
        }
        if let Some(allowed) = rules.get("enum").and_then(Value::as_array) {
            let values: Vec<&Value> = allowed.iter().filter(|v| !v.is_null()).collect();
            return match pick(&values, key) {
                Some(v) => Ok((*v).clone()),
                None => Ok(Value::Null),
            };
        }
        for composite in ["oneOf", "anyOf"] {
            if let Some(branches) = rules.get(composite).and_then(Value::as_array) {
                return self.branch(rules, branches, key, path, depth);
            }
        }
        if let Some(parts) = rules.get("allOf").and_then(Value::as_array) {
            return self.all_of(schema, parts, key, path, depth);
        }
        let ty = rules.get("type").and_then(Value::as_str).unwrap_or(
            if rules.contains_key("properties") || rules.contains_key("additionalProperties") {
                "object"
            } else if rules.contains_key("items") {
                "array"
            } else {
                "string"
            },
        );
        match ty {
            "object" => self.object(schema, rules, key, path, depth),
            "array" => self.array(schema, rules, key, path, depth),
            "boolean" => Ok(Value::Bool(key & 1 == 1)),
            _ => self.leaf(schema, rules, ty, key, path),
        }
    }

    /// A string, integer or number, checked, retried, else the schema's example or default.
    fn leaf(
        &self,
        schema: &Value,
        rules: &Map<String, Value>,
        ty: &str,
        key: u64,
        path: &str,
    ) -> Result<Value, Unsatisfiable> {
        let mut last = None;
        for attempt in 0..ATTEMPTS {
            let k = hash(key, &[attempt]);
            let candidate = match ty {
                "integer" => integer(rules, k),
                "number" => number(rules, k),
                // Every other try stretches unbounded repetitions to the minLength.
                _ => string(rules, k, attempt % 2 == 0),
            };
            match candidate.map(|v| (check(self.spec, schema, &v, path), v)) {
                Some((Ok(()), v)) => return Ok(v),
                Some((Err(violation), _)) => last = Some(violation.reason),
                None => {}
            }
        }
        for fallback in ["example", "default"] {
            if let Some(v) = rules.get(fallback)
                && check(self.spec, schema, v, path).is_ok()
            {
                return Ok(v.clone());
            }
        }
        let pattern = rules
            .get("pattern")
            .and_then(Value::as_str)
            .map(|p| format!(" (pattern {p})"))
            .unwrap_or_default();
        fail(
            path,
            format!(
                "no generated {ty}{pattern} fits its schema{}; give the schema an `example` or pin the data",
                last.map(|r| format!(" (the last try {r})"))
                    .unwrap_or_default()
            ),
        )
    }

    fn branch(
        &self,
        rules: &Map<String, Value>,
        branches: &[Value],
        key: u64,
        path: &str,
        depth: usize,
    ) -> Result<Value, Unsatisfiable> {
        let Some(branch) = pick(branches, key) else {
            return fail(path, "oneOf/anyOf has no schemas");
        };
        let mut value = self.value(branch, mix(key), path, depth + 1)?;
        // The discriminator must name the branch generated.
        if let (Some(property), Value::Object(map)) = (
            rules
                .get("discriminator")
                .and_then(|d| d.get("propertyName"))
                .and_then(Value::as_str),
            &mut value,
        ) && let Some((tag, _)) = discriminator_tags(rules, branches)
            .into_iter()
            .find(|(_, b)| std::ptr::eq(*b, branch))
        {
            map.insert(property.to_owned(), Value::String(tag));
        }
        Ok(value)
    }

    fn all_of(
        &self,
        schema: &Value,
        parts: &[Value],
        key: u64,
        path: &str,
        depth: usize,
    ) -> Result<Value, Unsatisfiable> {
        let mut merged = Map::new();
        let own = schema.as_object().map(|rules| {
            let mut rest = rules.clone();
            rest.remove("allOf");
            rest.remove("nullable");
            Value::Object(rest)
        });
        let has_own = own
            .as_ref()
            .is_some_and(|o| o.get("properties").is_some() || o.get("type").is_some());
        let all = parts.iter().chain(own.iter().filter(|_| has_own));
        for (i, part) in all.enumerate() {
            match self.value(part, hash(key, &[i as u64]), path, depth + 1)? {
                Value::Object(map) => {
                    for (name, v) in map {
                        merged.entry(name).or_insert(v);
                    }
                }
                // allOf over non-objects: the first part's value.
                other if i == 0 => return Ok(other),
                _ => {}
            }
        }
        Ok(Value::Object(merged))
    }

    fn object(
        &self,
        schema: &Value,
        rules: &Map<String, Value>,
        key: u64,
        path: &str,
        depth: usize,
    ) -> Result<Value, Unsatisfiable> {
        let required: Vec<&str> = rules
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let properties = schema.get("properties").and_then(Value::as_object);
        let mut map = Map::new();
        let mut optional = Vec::new();
        for (name, property) in properties.into_iter().flatten() {
            let is_required = required.contains(&name.as_str());
            let wanted = is_required
                || (depth < SHALLOW_DEPTH && !mix(key ^ hash_str(name)).is_multiple_of(4));
            if wanted {
                let value = self.value(
                    property,
                    hash(key, &[hash_str(name)]),
                    &child(path, name),
                    depth + 1,
                )?;
                map.insert(name.clone(), value);
            } else {
                optional.push((name, property));
            }
        }
        let extra = rules.get("additionalProperties").filter(|a| a.is_object());
        if let Some(extra) = extra
            && depth < SHALLOW_DEPTH
            && key.is_multiple_of(2)
        {
            let name = pick(&WORDS, key >> 8).copied().unwrap_or("alpha");
            map.insert(
                name.to_owned(),
                self.value(extra, mix(key ^ 7), &child(path, name), depth + 1)?,
            );
        }
        let limit = |name: &str| rules.get(name).and_then(Value::as_u64);
        if let Some(min) = limit("minProperties") {
            let mut optional = optional.into_iter();
            let mut n = 0u64;
            while (map.len() as u64) < min {
                if let Some((name, property)) = optional.next() {
                    let value = self.value(
                        property,
                        hash(key, &[hash_str(name)]),
                        &child(path, name),
                        depth + 1,
                    )?;
                    map.insert(name.clone(), value);
                    continue;
                }
                let name = format!("extra_{n}");
                let value = match rules.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        return fail(
                            path,
                            format!("minProperties {min} needs more fields than it declares"),
                        );
                    }
                    Some(extra @ Value::Object(_)) => {
                        self.value(extra, hash(key, &[n]), &child(path, &name), depth + 1)?
                    }
                    _ => Value::String(WORDS[(n % 16) as usize].to_owned()),
                };
                map.insert(name, value);
                n += 1;
                if n > MAX_ITEMS {
                    return fail(
                        path,
                        format!("minProperties {min} is more than the sandbox generates"),
                    );
                }
            }
        }
        if let Some(max) = limit("maxProperties") {
            let removable: Vec<String> = map
                .keys()
                .filter(|k| !required.contains(&k.as_str()))
                .cloned()
                .collect();
            for name in removable.into_iter().rev() {
                if (map.len() as u64) <= max {
                    break;
                }
                map.remove(&name);
            }
        }
        Ok(Value::Object(map))
    }

    fn array(
        &self,
        schema: &Value,
        rules: &Map<String, Value>,
        key: u64,
        path: &str,
        depth: usize,
    ) -> Result<Value, Unsatisfiable> {
        let min = rules.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        if min > MAX_ITEMS {
            return fail(
                path,
                format!("minItems {min} is more than the sandbox generates ({MAX_ITEMS})"),
            );
        }
        let spread = if depth < SHALLOW_DEPTH { 3 } else { 0 };
        let max = rules
            .get("maxItems")
            .and_then(Value::as_u64)
            .unwrap_or(u64::MAX)
            .min(min + spread)
            .max(min);
        let count = min + key % (max - min + 1);
        let unique = rules.get("uniqueItems").and_then(Value::as_bool) == Some(true);
        let item = schema
            .get("items")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        let mut items: Vec<Value> = Vec::new();
        let mut k = 0u64;
        while (items.len() as u64) < count && k < count * ATTEMPTS {
            let at = format!("{path}[{}]", items.len());
            let value = self.value(&item, hash(key, &[k]), &at, depth + 1)?;
            k += 1;
            if !(unique && items.contains(&value)) {
                items.push(value);
            }
        }
        if (items.len() as u64) < min {
            return fail(
                path,
                format!("cannot find {min} distinct items (uniqueItems)"),
            );
        }
        Ok(Value::Array(items))
    }
}

/// An integer within the schema's bounds and `multipleOf`; `None` if there is none.
fn integer(rules: &Map<String, Value>, key: u64) -> Option<Value> {
    let int32 = rules.get("format").and_then(Value::as_str) == Some("int32");
    let (type_min, type_max) = if int32 {
        (i64::from(i32::MIN), i64::from(i32::MAX))
    } else {
        (i64::MIN, i64::MAX)
    };
    let (min, min_excl, max, max_excl) = bounds(rules);
    let lo = min.map_or(type_min, |m| {
        let m = m.ceil() as i64;
        if min_excl && m as f64 == min.unwrap_or_default() {
            m.saturating_add(1)
        } else {
            m
        }
    });
    let hi = max.map_or(type_max, |m| {
        let m = m.floor() as i64;
        if max_excl && m as f64 == max.unwrap_or_default() {
            m.saturating_sub(1)
        } else {
            m
        }
    });
    // A small, readable window inside the bounds.
    let (lo, hi) = match (min.is_some(), max.is_some()) {
        (false, false) => (lo.max(0), hi.min(10_000)),
        (true, false) => (lo, hi.min(lo.saturating_add(10_000))),
        (false, true) => (lo.max(hi.saturating_sub(10_000)).max(hi.min(0)), hi),
        (true, true) => (lo, hi),
    };
    let step = i128::from(
        rules
            .get("multipleOf")
            .and_then(Value::as_i64)
            .filter(|s| *s > 0)
            .unwrap_or(1),
    );
    let (lo, hi) = (i128::from(lo), i128::from(hi));
    let first = lo.div_euclid(step) + i128::from(lo.rem_euclid(step) != 0);
    let last = hi.div_euclid(step);
    if first > last {
        return None;
    }
    let span = u128::try_from(last - first).ok()?.saturating_add(1);
    let k = first + i128::try_from(u128::from(key) % span).ok()?;
    i64::try_from(k * step).ok().map(Value::from)
}

/// A number with two decimals (or a multiple of `multipleOf`) within the bounds.
fn number(rules: &Map<String, Value>, key: u64) -> Option<Value> {
    let (min, min_excl, max, max_excl) = bounds(rules);
    let lo = min.unwrap_or_else(|| max.map_or(0.0, |m| (m - 1000.0).min(0.0)));
    let hi = max.unwrap_or(lo + 1000.0);
    let fraction = (key % 10_001) as f64 / 10_000.0;
    let mut x = lo + fraction * (hi - lo);
    if let Some(step) = rules
        .get("multipleOf")
        .and_then(Value::as_f64)
        .filter(|s| *s > 0.0)
    {
        let first = (lo / step).ceil();
        let last = (hi / step).floor();
        if first > last {
            return None;
        }
        x = (first + ((key % 1000) as f64).min(last - first)).round() * step;
    } else {
        x = (x * 100.0).round() / 100.0;
    }
    if (min_excl && x <= lo) || (max_excl && x >= hi) {
        x = (lo + hi) / 2.0;
    }
    serde_json::Number::from_f64(x).map(Value::Number)
}

/// (minimum, exclusive?, maximum, exclusive?) in OpenAPI 3.0's boolean form or JSON Schema's numeric one.
fn bounds(rules: &Map<String, Value>) -> (Option<f64>, bool, Option<f64>, bool) {
    let side = |bound: &str, flag: &str| match rules.get(flag) {
        Some(Value::Number(n)) => (n.as_f64(), true),
        Some(Value::Bool(b)) => (rules.get(bound).and_then(Value::as_f64), *b),
        _ => (rules.get(bound).and_then(Value::as_f64), false),
    };
    let (min, min_excl) = side("minimum", "exclusiveMinimum");
    let (max, max_excl) = side("maximum", "exclusiveMaximum");
    (min, min_excl, max, max_excl)
}

/// A string for the schema's format or pattern, or words fitted to its lengths.
fn string(rules: &Map<String, Value>, key: u64, stretch: bool) -> Option<Value> {
    let h = mix(key);
    let secs = ANCHOR_SECS - (h % YEAR_SECS.unsigned_abs()) as i64;
    let text = match rules.get("format").and_then(Value::as_str) {
        Some("date-time") => format_millis(secs),
        Some("date") => DateTime::<Utc>::from_timestamp(secs, 0)?
            .format("%Y-%m-%d")
            .to_string(),
        Some("uuid") => uuid_like(h, mix(h)),
        Some("email") => format!(
            "{}.{}{}@example.com",
            pick(&FIRST_NAMES, h)?,
            pick(&WORDS, h >> 8)?,
            h % 1000
        ),
        Some("decimal") => {
            let cents = 1 + h % 2_500_000;
            format!("{}.{:02}", cents / 100, cents % 100)
        }
        _ => match rules.get("pattern").and_then(Value::as_str) {
            Some(p) => {
                let min = rules.get("minLength").and_then(Value::as_u64).unwrap_or(0);
                let stretch = if stretch {
                    u32::try_from(min.min(MAX_STRING_CHARS)).unwrap_or(0)
                } else {
                    0
                };
                pattern::sample(p, key, stretch)?
            }
            None => words(rules, h),
        },
    };
    Some(Value::String(text))
}

/// One to three words, padded or cut to the schema's lengths.
fn words(rules: &Map<String, Value>, h: u64) -> String {
    let min = rules
        .get("minLength")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .min(MAX_STRING_CHARS);
    let max = rules
        .get("maxLength")
        .and_then(Value::as_u64)
        .unwrap_or(MAX_STRING_CHARS)
        .min(MAX_STRING_CHARS);
    let count = 1 + h % 3;
    let mut text: Vec<&str> = (0..count)
        .filter_map(|i| pick(&WORDS, h >> (8 * (i + 1))))
        .copied()
        .collect();
    let mut s = text.join(" ");
    while (s.chars().count() as u64) < min {
        text.push(
            pick(&WORDS, mix(h ^ s.len() as u64))
                .copied()
                .unwrap_or("alpha"),
        );
        s = text.join(" ");
    }
    s.chars()
        .take(usize::try_from(max).unwrap_or(usize::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leaves_honour_their_rules() {
        let spec = Spec::parse("paths: {}").unwrap_or_else(|e| panic!("{e}"));
        let schemas = [
            json!({"type": "integer", "minimum": 10, "maximum": 95, "multipleOf": 7}),
            json!({"type": "integer", "format": "int32", "exclusiveMinimum": true, "minimum": 2_147_483_640_i64}),
            json!({"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 1}),
            json!({"type": "number", "multipleOf": 0.25, "minimum": -1}),
            json!({"type": "string", "minLength": 30, "maxLength": 31}),
            json!({"type": "string", "format": "decimal"}),
            json!({"type": "string", "format": "email"}),
            json!({"type": "string", "format": "date"}),
            json!({"type": "array", "uniqueItems": true, "minItems": 2, "items": {"type": "boolean"}}),
            json!({"type": "object", "minProperties": 3, "additionalProperties": {"type": "integer", "maximum": -5}}),
        ];
        for schema in schemas {
            for key in 0..40 {
                let value =
                    generate(&spec, &schema, key, "x").unwrap_or_else(|e| panic!("{schema}: {e}"));
                assert_eq!(
                    check(&spec, &schema, &value, "x"),
                    Ok(()),
                    "{schema}: {value}"
                );
                assert_eq!(generate(&spec, &schema, key, "x").ok(), Some(value));
            }
        }
        let impossible = json!({"type": "integer", "minimum": 5, "maximum": 4});
        assert!(generate(&spec, &impossible, 1, "n").is_err_and(|e| e.path == "n"));
        let fallback = json!({"type": "string", "pattern": "(?=a)abc", "example": "abc"});
        assert_eq!(generate(&spec, &fallback, 1, "n"), Ok(json!("abc")));
    }
}
