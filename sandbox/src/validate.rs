//! The queries of the two seed operations, read from a body the spec's rules
//! have already accepted (`schema_check.rs`): nothing here refuses a body, a
//! field the spec in use lacks or types otherwise is simply absent.

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::intents::IntentFilter;

/// Paging of a list request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Paging {
    pub page: u64,
    pub per_page: u64,
}

impl Paging {
    /// `page` and `per_page` of a body, else the defaults (1 and 10).
    pub fn of(map: &Map<String, Value>, defaults: Paging) -> Paging {
        let read = |field: &str, default: u64| {
            map.get(field)
                .and_then(Value::as_u64)
                .filter(|n| *n >= 1)
                .unwrap_or(default)
        };
        Paging {
            page: read("page", defaults.page),
            per_page: read("per_page", defaults.per_page),
        }
    }
}

impl Default for Paging {
    fn default() -> Paging {
        Paging {
            page: 1,
            per_page: 10,
        }
    }
}

/// A contacts request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ContactsQuery {
    pub user_id: String,
    pub business_id: String,
    pub contact_type: Option<String>,
    pub paging: Paging,
}

/// A payment-intents request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IntentsQuery {
    pub filter: IntentFilter,
    /// The search as sent (echoed in the pagination).
    pub search: Option<String>,
    pub paging: Paging,
}

fn string(map: &Map<String, Value>, field: &str) -> Option<String> {
    map.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// A date-time bound in Unix nanoseconds.
pub(crate) fn date_time_ns(text: &str) -> Option<i128> {
    let parsed = DateTime::parse_from_rfc3339(text).ok()?;
    Some(
        i128::from(parsed.timestamp()) * 1_000_000_000
            + i128::from(parsed.timestamp_subsec_nanos()),
    )
}

/// The query of a `POST /business/customers/get-all` body.
pub(crate) fn contacts(map: &Map<String, Value>, paging: Paging) -> ContactsQuery {
    ContactsQuery {
        user_id: string(map, "user_id").unwrap_or_default(),
        business_id: string(map, "business_id").unwrap_or_default(),
        contact_type: string(map, "type"),
        paging,
    }
}

/// The query of a `POST /payment-intent/program/all` body.
pub(crate) fn intents(map: &Map<String, Value>, paging: Paging) -> IntentsQuery {
    let search = string(map, "search");
    let date = |field: &str| string(map, field).as_deref().and_then(date_time_ns);
    let filter = IntentFilter {
        status: string(map, "status_str"),
        start_ns: date("start_date"),
        end_ns: date("end_date"),
        action: string(map, "pi_action"),
        entity_type: string(map, "entity_type"),
        direction: string(map, "payment_direction"),
        search: search.as_ref().map(|s| s.to_lowercase()),
    };
    IntentsQuery {
        filter,
        search,
        paging,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_unknown_fields() {
        let body = json!({"whatever": [1], "search": "AbC"});
        let map = body.as_object().cloned().unwrap_or_default();
        let q = intents(&map, Paging::of(&map, Paging::default()));
        assert_eq!(
            (q.paging, q.filter.search.clone(), q.search.clone()),
            (
                Paging {
                    page: 1,
                    per_page: 10
                },
                Some("abc".to_owned()),
                Some("AbC".to_owned())
            )
        );
    }
}
