//! Checks a request body against the constraints the spec puts on it, before
//! any network I/O. The rules are generated from the spec (`REQUEST_RULES`).

use serde_json::Value;

/// The constraints of one operation's request body.
#[derive(Debug)]
pub struct OperationRules {
    pub operation_id: &'static str,
    pub fields: &'static [FieldRule],
}

/// The constraints of one body field, as the spec states them.
#[derive(Debug)]
pub struct FieldRule {
    pub name: &'static str,
    pub required: bool,
    pub integer: bool,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub one_of: &'static [&'static str],
    pub date_time: bool,
}

/// A body field outside what the spec allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The body field at fault, as the spec names it.
    pub field: String,
    /// What rule it breaks.
    pub reason: String,
}

/// Check `body` against the rules of `operation_id` (unknown operations pass).
pub fn check(operation_id: &str, body: &Value) -> Result<(), Violation> {
    let Some(rules) = crate::generated::REQUEST_RULES
        .iter()
        .find(|r| r.operation_id == operation_id)
    else {
        return Ok(());
    };
    let empty = serde_json::Map::new();
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
    rules
        .fields
        .iter()
        .try_for_each(|rule| rule.check(object.get(rule.name)))
}

impl FieldRule {
    fn violation(&self, reason: String) -> Violation {
        Violation {
            field: self.name.to_string(),
            reason,
        }
    }

    fn check(&self, value: Option<&Value>) -> Result<(), Violation> {
        let value = match value {
            None | Some(Value::Null) if self.required => {
                return Err(self.violation("is required".into()));
            }
            None | Some(Value::Null) => return Ok(()),
            Some(v) => v,
        };
        if self.integer {
            let Some(n) = value.as_i64() else {
                return Err(self.violation(format!("must be an integer (got {value})")));
            };
            let out_of_range =
                self.minimum.is_some_and(|min| n < min) || self.maximum.is_some_and(|max| n > max);
            if out_of_range {
                let range = match (self.minimum, self.maximum) {
                    (Some(min), Some(max)) => format!("between {min} and {max}"),
                    (Some(min), None) => format!("at least {min}"),
                    (None, Some(max)) => format!("at most {max}"),
                    (None, None) => String::new(),
                };
                return Err(self.violation(format!("must be {range} (got {n})")));
            }
        }
        if let Value::String(s) = value {
            let chars = s.chars().count() as u64;
            if self.min_length.is_some_and(|min| chars < min) {
                return Err(self.violation(if chars == 0 {
                    "must not be empty".into()
                } else {
                    format!(
                        "must be at least {} characters",
                        self.min_length.unwrap_or_default()
                    )
                }));
            }
            if let Some(max) = self.max_length.filter(|max| chars > *max) {
                return Err(self.violation(format!("must be at most {max} characters")));
            }
            if !self.one_of.is_empty() && !self.one_of.contains(&s.as_str()) {
                return Err(self.violation(format!(
                    "must be one of {} (got {s:?})",
                    self.one_of.join(", ")
                )));
            }
            if self.date_time && chrono::DateTime::parse_from_rfc3339(s).is_err() {
                return Err(self.violation(format!("must be an RFC 3339 date-time (got {s:?})")));
            }
        }
        Ok(())
    }
}
