//! Request-body validation (after authentication). Every failure is a 400
//! whose message starts with the offending field's name.

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::intents::{ACTIONS, DIRECTIONS, ENTITY_TYPES, IntentFilter};

/// Paging of a list request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Paging {
    pub page: u64,
    pub per_page: u64,
}

/// A validated contacts request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ContactsQuery {
    pub user_id: String,
    pub business_id: String,
    pub contact_type: Option<String>,
    pub paging: Paging,
}

/// A validated payment-intents request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IntentsQuery {
    pub filter: IntentFilter,
    /// The search as sent (echoed in the pagination).
    pub search: Option<String>,
    pub paging: Paging,
}

/// A validation failure; the message names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Invalid(pub String);

fn object(body: &[u8]) -> Result<Map<String, Value>, Invalid> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Invalid("body: must be a JSON object".into())),
    }
}

/// An optional string field (`null` counts as absent).
fn string(map: &Map<String, Value>, field: &str) -> Result<Option<String>, Invalid> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Invalid(format!("{field}: must be a string"))),
    }
}

fn required(map: &Map<String, Value>, field: &str) -> Result<String, Invalid> {
    match string(map, field)? {
        None => Err(Invalid(format!("{field}: is required"))),
        Some(s) if s.is_empty() => Err(Invalid(format!("{field}: must not be empty"))),
        Some(s) => Ok(s),
    }
}

fn integer(map: &Map<String, Value>, field: &str, default: u64, max: u64) -> Result<u64, Invalid> {
    let value = match map.get(field) {
        None | Some(Value::Null) => return Ok(default),
        Some(v) => v,
    };
    let out_of_range = |got: &dyn std::fmt::Display| {
        Invalid(if max == u64::MAX {
            format!("{field}: must be at least 1 (got {got})")
        } else {
            format!("{field}: must be between 1 and {max} (got {got})")
        })
    };
    match value.as_u64() {
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(out_of_range(&n)),
        None => match value.as_i64() {
            Some(n) => Err(out_of_range(&n)),
            None => Err(Invalid(format!("{field}: must be an integer"))),
        },
    }
}

fn paging(map: &Map<String, Value>) -> Result<Paging, Invalid> {
    Ok(Paging {
        page: integer(map, "page", 1, u64::MAX)?,
        per_page: integer(map, "per_page", 10, 500)?,
    })
}

fn one_of(
    map: &Map<String, Value>,
    field: &str,
    allowed: &[&str],
) -> Result<Option<String>, Invalid> {
    match string(map, field)? {
        Some(v) if !allowed.contains(&v.as_str()) => Err(Invalid(format!(
            "{field}: must be one of {} (got {v:?})",
            allowed.join(", ")
        ))),
        other => Ok(other),
    }
}

/// A date-time bound in Unix nanoseconds.
fn date_time(map: &Map<String, Value>, field: &str) -> Result<Option<i128>, Invalid> {
    let Some(text) = string(map, field)? else {
        return Ok(None);
    };
    let parsed = DateTime::parse_from_rfc3339(&text).map_err(|_| {
        Invalid(format!(
            "{field}: must be an RFC 3339 date-time such as 2026-01-01T00:00:00Z (got {text:?})"
        ))
    })?;
    Ok(Some(
        i128::from(parsed.timestamp()) * 1_000_000_000
            + i128::from(parsed.timestamp_subsec_nanos()),
    ))
}

/// Validates a `POST /business/customers/get-all` body.
pub(crate) fn contacts(body: &[u8]) -> Result<ContactsQuery, Invalid> {
    let map = object(body)?;
    Ok(ContactsQuery {
        user_id: required(&map, "user_id")?,
        business_id: required(&map, "business_id")?,
        contact_type: string(&map, "type")?,
        paging: paging(&map)?,
    })
}

/// Validates a `POST /payment-intent/program/all` body.
pub(crate) fn intents(body: &[u8]) -> Result<IntentsQuery, Invalid> {
    let map = object(body)?;
    let search = string(&map, "search")?;
    let filter = IntentFilter {
        status: string(&map, "status_str")?,
        start_ns: date_time(&map, "start_date")?,
        end_ns: date_time(&map, "end_date")?,
        action: one_of(&map, "pi_action", &ACTIONS)?,
        entity_type: one_of(&map, "entity_type", &ENTITY_TYPES)?,
        direction: one_of(&map, "payment_direction", &DIRECTIONS)?,
        search: search.as_ref().map(|s| s.to_lowercase()),
    };
    Ok(IntentsQuery {
        filter,
        search,
        paging: paging(&map)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<T: std::fmt::Debug>(r: Result<T, Invalid>) -> String {
        match r {
            Ok(v) => format!("accepted {v:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn messages_name_the_field() {
        assert_eq!(
            message(intents(br#"{"per_page":0}"#)),
            "per_page: must be between 1 and 500 (got 0)"
        );
        assert_eq!(
            message(intents(br#"{"per_page":501}"#)),
            "per_page: must be between 1 and 500 (got 501)"
        );
        assert_eq!(
            message(intents(br#"{"page":-2}"#)),
            "page: must be at least 1 (got -2)"
        );
        assert_eq!(
            message(intents(br#"{"page":1.5}"#)),
            "page: must be an integer"
        );
        assert_eq!(message(intents(b"[]")), "body: must be a JSON object");
        assert!(
            message(intents(br#"{"pi_action":"later"}"#)).starts_with("pi_action: must be one of")
        );
        assert!(message(intents(br#"{"end_date":"2026-13-01"}"#)).starts_with("end_date: must be"));
        assert_eq!(
            message(contacts(br#"{"business_id":"b"}"#)),
            "user_id: is required"
        );
        assert_eq!(
            message(contacts(br#"{"user_id":"u","business_id":""}"#)),
            "business_id: must not be empty"
        );
    }

    #[test]
    fn defaults_and_unknown_fields() {
        let q = intents(br#"{"whatever":[1],"search":"AbC"}"#);
        assert_eq!(
            q.as_ref()
                .map(|q| (q.paging, q.filter.search.clone(), q.search.clone())),
            Ok((
                Paging {
                    page: 1,
                    per_page: 10
                },
                Some("abc".to_owned()),
                Some("AbC".to_owned())
            ))
        );
    }
}
