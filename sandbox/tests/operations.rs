//! The two operations: response shapes, validation, filters, pagination,
//! determinism, and a million payment intents.

mod common;

use std::collections::HashSet;

use common::*;
use ingo_sandbox::{
    EMPTY_BUSINESS_ID, NOT_FOUND_BUSINESS_ID, NOT_FOUND_USER_ID, Sandbox, SandboxConfig,
};
use serde_json::{Value, json};

fn started(config: SandboxConfig) -> Sandbox {
    Sandbox::start_with(config).expect("start the sandbox")
}

fn contacts_body(sandbox: &Sandbox, extra: Value) -> Value {
    let (user, business) = sandbox.businesses()[0].clone();
    let mut body = json!({"user_id": user, "business_id": business});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

#[test]
fn contacts_have_the_spec_shape() {
    let sandbox = started(SandboxConfig::default());
    assert_eq!(sandbox.businesses().len(), 6);
    let response = post_ok(&sandbox, CONTACTS, &contacts_body(&sandbox, json!({})));
    assert_eq!(response.header("content-type"), Some("application/json"));
    let value = response.json();
    assert_eq!(value["status"], "success");
    assert_eq!(value["message"], "operation completed");
    let pagination = &value["data"]["pagination"];
    assert_eq!(pagination["page"], 1);
    assert_eq!(pagination["per_page"], 10);
    assert_eq!(pagination["total"], 37);
    assert_eq!(pagination["sort"], "created_at:desc");
    assert_eq!(pagination["search"], Value::Null);
    let items = response.items();
    assert_eq!(items.len(), 10);
    for item in &items {
        assert!(
            item["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("bcus-"))
        );
        assert!(["customers", "vendors"].contains(&item["contact_type"].as_str().unwrap_or("")));
        for field in [
            "first_name",
            "last_name",
            "business_name",
            "email",
            "phone_number",
        ] {
            assert!(item[field].is_string() || item[field].is_null(), "{field}");
        }
    }
    // Business contacts (no person's name) exist in a business of 37.
    let all = post_ok(
        &sandbox,
        CONTACTS,
        &contacts_body(&sandbox, json!({"per_page": 500})),
    )
    .items();
    assert!(
        all.iter()
            .any(|c| c["first_name"].is_null() && c["business_name"].is_string())
    );
}

#[test]
fn payment_intents_have_the_spec_shape() {
    let sandbox = started(SandboxConfig::default());
    let response = post_ok(&sandbox, INTENTS, &json!({"per_page": 25}));
    let value = response.json();
    assert_eq!(value["status"], "success");
    assert_eq!(value["data"]["pagination"]["total"], 2_500);
    assert_eq!(sandbox.payment_intent_count(), 2_500);
    let items = response.items();
    assert_eq!(items.len(), 25);
    for item in &items {
        assert!(
            item["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("ptra-") && id.len() == 41)
        );
        let amount = item["amount"].as_str().unwrap_or("");
        let (whole, cents) = amount.split_once('.').unwrap_or(("", ""));
        assert!(whole.parse::<u32>().is_ok() && cents.len() == 2, "{amount}");
        assert_eq!(item["currency"], "usd");
        for field in [
            "direction",
            "action",
            "category",
            "status",
            "entity_type",
            "entity_id",
            "idempotent_key",
        ] {
            assert!(item[field].is_string(), "{field}");
        }
        let date = item["posting_date"].as_str().unwrap_or("");
        assert!(
            chrono::DateTime::parse_from_rfc3339(date).is_ok() && date.ends_with(".000Z"),
            "{date}"
        );
        assert!(item["metadata"].is_object());
    }
    // Every value of every enum occurs within the first 1,080 items.
    let many: Vec<Value> = (1..=3)
        .flat_map(|page| {
            post_ok(&sandbox, INTENTS, &json!({"per_page": 500, "page": page})).items()
        })
        .collect();
    let seen = |field: &str| -> HashSet<String> {
        many.iter()
            .filter_map(|i| i[field].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(seen("status").len(), 6);
    assert_eq!(seen("category").len(), 6);
    assert_eq!(seen("action").len(), 5);
    assert_eq!(seen("entity_type").len(), 3);
    assert_eq!(seen("direction").len(), 2);
}

#[test]
fn invalid_bodies_are_400_naming_the_field() {
    let sandbox = started(SandboxConfig::default());
    let cases = [
        (
            INTENTS,
            json!({"per_page": 0}),
            "per_page: must be between 1 and 500 (got 0)",
        ),
        (
            INTENTS,
            json!({"per_page": 501}),
            "per_page: must be between 1 and 500 (got 501)",
        ),
        (
            INTENTS,
            json!({"page": 0}),
            "page: must be at least 1 (got 0)",
        ),
        (INTENTS, json!({"page": "2"}), "page: must be an integer"),
        (
            INTENTS,
            json!({"pi_action": "later"}),
            "pi_action: must be one of",
        ),
        (
            INTENTS,
            json!({"entity_type": "robot"}),
            "entity_type: must be one of",
        ),
        (
            INTENTS,
            json!({"payment_direction": "up"}),
            "payment_direction: must be one of",
        ),
        (
            INTENTS,
            json!({"start_date": "yesterday"}),
            "start_date: must be an RFC 3339",
        ),
        (
            INTENTS,
            json!({"end_date": "2026-02-30T00:00:00Z"}),
            "end_date: must be an RFC 3339",
        ),
        (
            INTENTS,
            json!({"status_str": 3}),
            "status_str: must be a string",
        ),
        (INTENTS, json!([1, 2]), "body: must be a JSON object"),
        (
            CONTACTS,
            json!({"business_id": "buss-1"}),
            "user_id: is required",
        ),
        (
            CONTACTS,
            json!({"user_id": "user-1", "business_id": ""}),
            "business_id: must not be empty",
        ),
        (
            CONTACTS,
            json!({"user_id": "user-1", "business_id": "b", "per_page": 0}),
            "per_page: must be between 1 and 500 (got 0)",
        ),
    ];
    for (path, body, expected) in cases {
        let response = post(&sandbox, path, &body);
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.json()["status"], "error");
        let message = response.message();
        assert!(message.starts_with(expected), "{body}: {message}");
    }
    // Unknown fields are ignored.
    post_ok(&sandbox, INTENTS, &json!({"color": "blue"}));
}

#[test]
fn reserved_ids_answer_not_found_or_an_empty_list() {
    let sandbox = started(SandboxConfig::default());
    let cases = [
        (
            "user-x",
            NOT_FOUND_BUSINESS_ID.to_owned(),
            "business_id: business buss-not-found not found for user user-x",
        ),
        (
            "user-x",
            format!("{NOT_FOUND_BUSINESS_ID}-2"),
            "business_id: business buss-not-found-2 not found for user user-x",
        ),
        (
            NOT_FOUND_USER_ID,
            "buss-y".to_owned(),
            "user_id: user user-not-found not found",
        ),
    ];
    for (user, business, expected) in cases {
        let response = post(
            &sandbox,
            CONTACTS,
            &json!({"user_id": user, "business_id": business}),
        );
        assert_eq!(response.status, 404, "{business}");
        assert_eq!(response.json()["status"], "error");
        assert_eq!(response.message(), expected);
    }
    let empty = post_ok(
        &sandbox,
        CONTACTS,
        &json!({"user_id": "user-x", "business_id": EMPTY_BUSINESS_ID, "per_page": 500}),
    );
    assert_eq!((empty.total(), empty.items().len()), (0, 0));
    assert_eq!(empty.json()["status"], "success");
}

#[test]
fn any_ids_serve_deterministic_contacts() {
    let config = SandboxConfig {
        seed: 5,
        ..SandboxConfig::default()
    };
    let a = started(config.clone());
    let b = started(config);
    let other_seed = started(SandboxConfig::default());
    let all = |s: &Sandbox, user: &str, business: &str| {
        let response = post_ok(
            s,
            CONTACTS,
            &json!({"user_id": user, "business_id": business, "per_page": 500}),
        );
        assert_eq!(response.total(), 37);
        response.items()
    };
    let ids = |items: &[Value]| -> HashSet<String> {
        items
            .iter()
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect()
    };
    let picked = all(&a, "user-anything", "buss-anything");
    assert_eq!(picked.len(), 37);
    assert_eq!(ids(&picked).len(), 37);
    assert_eq!(picked, all(&b, "user-anything", "buss-anything"));
    assert_ne!(picked, all(&other_seed, "user-anything", "buss-anything"));
    // Other ids, other contacts, and no shared contact ids.
    for (user, business) in [
        ("user-anything", "buss-other"),
        ("user-other", "buss-anything"),
        ("u", "b"),
    ] {
        let other = all(&a, user, business);
        assert!(ids(&picked).is_disjoint(&ids(&other)), "{user} {business}");
    }
    // The listed example pairs are pairs like any other.
    let (user, business) = a.businesses()[0].clone();
    assert_eq!(all(&a, &user, &business), all(&b, &user, &business));
}

#[test]
fn the_contact_type_filter() {
    let sandbox = started(SandboxConfig::default());
    let mut totals = 0;
    for kind in ["customers", "vendors"] {
        let response = post_ok(
            &sandbox,
            CONTACTS,
            &contacts_body(&sandbox, json!({"type": kind, "per_page": 500})),
        );
        let items = response.items();
        assert!(!items.is_empty());
        assert_eq!(items.len() as u64, response.total());
        assert!(items.iter().all(|c| c["contact_type"] == kind));
        totals += response.total();
    }
    assert_eq!(totals, 37);
    let none = post_ok(
        &sandbox,
        CONTACTS,
        &contacts_body(&sandbox, json!({"type": "partners"})),
    );
    assert_eq!((none.total(), none.items().len()), (0, 0));
}

fn intents_filtered(sandbox: &Sandbox, filter: Value) -> (u64, Vec<Value>) {
    let mut body = filter.clone();
    if let Some(map) = body.as_object_mut() {
        map.insert("per_page".into(), json!(500));
    }
    let response = post_ok(sandbox, INTENTS, &body);
    (response.total(), response.items())
}

#[test]
fn every_payment_intent_filter_narrows_correctly() {
    let sandbox = started(SandboxConfig::default());
    let (all, _) = intents_filtered(&sandbox, json!({}));
    assert_eq!(all, 2_500);
    let exact = [
        ("status_str", "status", "failed"),
        ("pi_action", "action", "hold"),
        ("entity_type", "entity_type", "business"),
        ("payment_direction", "direction", "debit"),
    ];
    for (filter, field, value) in exact {
        let (total, items) = intents_filtered(&sandbox, json!({ filter: value }));
        assert!(total > 0 && total < all, "{filter}: {total}");
        assert_eq!(items.len() as u64, total.min(500));
        assert!(items.iter().all(|i| i[field] == value), "{filter}");
    }
    // Combined filters intersect.
    let (both, items) = intents_filtered(
        &sandbox,
        json!({"status_str": "failed", "payment_direction": "debit"}),
    );
    assert!(both > 0);
    assert!(
        items
            .iter()
            .all(|i| i["status"] == "failed" && i["direction"] == "debit")
    );
    let (unknown_status, _) = intents_filtered(&sandbox, json!({"status_str": "nope"}));
    assert_eq!(unknown_status, 0);
}

#[test]
fn the_date_range_is_inclusive_at_both_ends() {
    let sandbox = started(SandboxConfig::default());
    let page = post_ok(&sandbox, INTENTS, &json!({"per_page": 100})).items();
    let newest = page[10]["posting_date"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let oldest = page[40]["posting_date"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (total, items) =
        intents_filtered(&sandbox, json!({"start_date": oldest, "end_date": newest}));
    assert_eq!(total, 31);
    assert_eq!(items.first().map(|i| &i["id"]), Some(&page[10]["id"]));
    assert_eq!(items.last().map(|i| &i["id"]), Some(&page[40]["id"]));
    // Offsets in other zones mean the same instant.
    let (only_start, _) = intents_filtered(&sandbox, json!({"start_date": oldest}));
    assert_eq!(only_start, 41);
    let (reversed, _) =
        intents_filtered(&sandbox, json!({"start_date": newest, "end_date": oldest}));
    assert_eq!(reversed, 0);
    // A date filter combined with another filter.
    let (combined, items) = intents_filtered(
        &sandbox,
        json!({"start_date": oldest, "end_date": newest, "status_str": "pending"}),
    );
    assert_eq!(
        combined as usize,
        page[10..=40]
            .iter()
            .filter(|i| i["status"] == "pending")
            .count()
    );
    assert!(items.iter().all(|i| i["status"] == "pending"));
}

#[test]
fn search_is_a_case_insensitive_substring() {
    let sandbox = started(SandboxConfig::default());
    let first = post_ok(&sandbox, INTENTS, &json!({"per_page": 1})).items();
    let id = first[0]["id"].as_str().unwrap_or_default().to_uppercase();
    let response = post_ok(&sandbox, INTENTS, &json!({"search": id}));
    assert_eq!(response.total(), 1);
    assert_eq!(response.json()["data"]["pagination"]["search"], json!(id));
    let (total, items) = intents_filtered(&sandbox, json!({"search": "WIRE"}));
    assert!(total > 0);
    assert!(items.iter().all(|i| {
        serde_json::to_string(i)
            .unwrap_or_default()
            .to_lowercase()
            .contains("wire")
    }));
    let (batch, items) = intents_filtered(&sandbox, json!({"search": "batch"}));
    assert!(batch > 0);
    assert!(items.iter().all(|i| i["metadata"]["channel"] == "batch"));
}

#[test]
fn walking_every_page_yields_total_distinct_items_newest_first() {
    let sandbox = started(SandboxConfig::default());
    for filter in [
        json!({}),
        json!({"status_str": "completed"}),
        json!({"pi_action": "check", "search": "a"}),
    ] {
        let mut ids = HashSet::new();
        let mut dates = Vec::new();
        let mut total = None;
        for page in 1.. {
            let mut body = filter.clone();
            if let Some(map) = body.as_object_mut() {
                map.insert("page".into(), json!(page));
                map.insert("per_page".into(), json!(37));
            }
            let response = post_ok(&sandbox, INTENTS, &body);
            total.get_or_insert(response.total());
            let items = response.items();
            if items.is_empty() {
                break;
            }
            for item in items {
                assert!(ids.insert(item["id"].as_str().unwrap_or_default().to_owned()));
                dates.push(item["posting_date"].as_str().unwrap_or_default().to_owned());
            }
        }
        assert_eq!(Some(ids.len() as u64), total, "{filter}");
        assert!(
            dates.windows(2).all(|w| w[0] > w[1]),
            "{filter}: not newest first"
        );
    }
    // A page past the end is empty but keeps the total.
    let past = post_ok(
        &sandbox,
        INTENTS,
        &json!({"page": 1_000_000, "per_page": 500}),
    );
    assert_eq!((past.items().len(), past.total()), (0, 2_500));
}

#[test]
fn the_same_seed_gives_the_same_pages() {
    let config = SandboxConfig {
        seed: 99,
        ..SandboxConfig::default()
    };
    let a = started(config.clone());
    let b = started(config);
    let c = started(SandboxConfig {
        seed: 100,
        ..SandboxConfig::default()
    });
    let body = json!({"page": 3, "per_page": 20, "status_str": "pending"});
    let page = |s: &Sandbox| post_ok(s, INTENTS, &body).json()["data"].clone();
    assert_eq!(page(&a), page(&b));
    assert_ne!(page(&a), page(&c));
    assert_eq!(a.businesses(), b.businesses());
    let contacts =
        |s: &Sandbox| post_ok(s, CONTACTS, &contacts_body(s, json!({}))).json()["data"].clone();
    assert_eq!(contacts(&a), contacts(&b));
}

#[test]
fn a_million_payment_intents_serve_a_deep_page() {
    let sandbox = started(SandboxConfig {
        payment_intents: 1_000_000,
        ..SandboxConfig::default()
    });
    let response = post_ok(&sandbox, INTENTS, &json!({"page": 2000, "per_page": 500}));
    assert_eq!(response.total(), 1_000_000);
    let items = response.items();
    assert_eq!(items.len(), 500);
    let ids: HashSet<&str> = items.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids.len(), 500);
    let dates: Vec<&str> = items
        .iter()
        .filter_map(|i| i["posting_date"].as_str())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] > w[1]));
    let beyond = post_ok(&sandbox, INTENTS, &json!({"page": 2001, "per_page": 500}));
    assert!(beyond.items().is_empty());
    // A date-only filter on the big set is index arithmetic too.
    let (first, last) = (dates[0], dates[499]);
    let window = post_ok(
        &sandbox,
        INTENTS,
        &json!({"start_date": last, "end_date": first, "per_page": 500}),
    );
    assert_eq!(window.total(), 500);
}
