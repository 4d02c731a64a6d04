//! Every ordinary OpenAPI 3.0 schema feature works from the spec alone.
//!
//! Run under `INGO_SPEC` pointing at the spec written by
//! `tests/fixtures/all_features.py` (scripts/test.sh does): its bank-account
//! operations use pattern, uuid/date/date-time/email/byte formats,
//! int32/int64, double/float, multipleOf, minProperties/maxProperties,
//! readOnly, booleans, arrays, nested objects, allOf, oneOf, nullable enums
//! and maps, in the request and in the response items. Built from any
//! other spec, these tests say so and pass without checking anything.

mod common;

use std::time::Duration;

use ingo_banking::{Error, OPERATIONS, RetryPolicy};
use serde_json::{Value, json};

/// Whether the crate was generated from the all-features spec.
fn all_features_spec() -> bool {
    let built = OPERATIONS.iter().any(|o| o.id == "create_bank_account");
    if !built {
        eprintln!("skipped: build with INGO_SPEC=<tests/fixtures/all_features.py output> to run");
    }
    built
}

/// A body using every feature, valid against the spec.
fn valid_body() -> Value {
    json!({
        "idempotent_key": "create-0001",
        "routing_number": "021000021",
        "account_number": "12345678",
        "owner_id": "123e4567-e89b-12d3-a456-426614174000",
        "opened_on": "2026-01-31",
        "verify_at": "2026-02-01T09:30:00Z",
        "contact_email": "jane.doe@example.com",
        "amount_cents": 2500,
        "limit": 1000.5,
        "fee_rate": 0.01,
        "is_primary": true,
        "tags": ["payroll", "ops"],
        "signers": [{"name": "Jane Doe", "email": "jane.doe@example.com", "weight": 2}],
        "address": {"line1": "1 Main St", "city": "New York", "postal_code": "10001-1234", "country": "US"},
        "holder": {"first_name": "Jane", "last_name": "Doe", "date_of_birth": "1990-05-17", "role": "owner"},
        "instrument": {"kind": "savings", "interest_rate": 0.025},
        "account_kind": null,
        "labels": {"team": "treasury"},
        "transfer_step": 0.75,
        "retries": 10,
        "checksum": "aGVsbG8=",
        "pin": "1234"
    })
}

#[tokio::test]
async fn a_create_using_every_feature_is_keyed_and_signed() {
    if !all_features_spec() {
        return;
    }
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let result = client.call_json("create_bank_account", valid_body()).await;
    let log = sandbox.requests();
    assert_eq!(log.len(), 1, "{log:?}");
    let record = &log[0];
    assert!(record.path.ends_with("/bank-account/create"), "{record:?}");
    assert!(record.signature_verified, "{record:?}");
    assert_eq!(record.auth_failure, None, "the api key was accepted");
    // The sandbox serves the write: the account it created, with the fields sent.
    let created = result.expect("the sandbox creates the account");
    let account = &created["data"]["items"][0];
    assert_eq!(account["routing_number"], "021000021");
    assert_eq!(account["holder"]["role"], "owner");
}

#[tokio::test]
async fn a_rule_broken_anywhere_in_the_body_is_refused_before_sending() {
    if !all_features_spec() {
        return;
    }
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let cases: Vec<(&str, Value)> = vec![
        ("routing_number", json!("02100002")),
        ("account_number", json!("1234")),
        ("account_number", json!("12345x78")),
        ("owner_id", json!("user-8f3a2b1c")),
        ("opened_on", json!("31/01/2026")),
        ("verify_at", json!("tomorrow")),
        ("contact_email", json!("jane.doe")),
        ("amount_cents", json!(0)),
        ("limit", json!(-1.5)),
        ("fee_rate", json!(0)),
        ("tags", json!([])),
        ("tags", json!(["a", "b", "c", "d", "e", "f"])),
        ("tags[1]", json!(["a", "a"])),
        ("signers[0].email", json!([{"name": "x", "email": "nope"}])),
        (
            "address.postal_code",
            json!({"line1": "x", "city": "y", "postal_code": "1"}),
        ),
        (
            "address.city",
            json!({"line1": "x", "postal_code": "10001"}),
        ),
        ("holder.last_name", json!({"first_name": "Jane"})),
        (
            "holder.role",
            json!({"first_name": "Jane", "last_name": "Doe", "role": "boss"}),
        ),
        ("instrument", json!({"kind": "money-market"})),
        ("account_kind", json!("brokerage")),
        ("labels.team", json!({"team": 7})),
        ("labels", json!({})),
        ("labels", json!({"a": "1", "b": "2", "c": "3", "d": "4"})),
        ("transfer_step", json!(0.3)),
        ("retries", json!(7)),
        ("retries", json!(4_294_967_295_u64)),
        (
            "signers[0].weight",
            json!([{"name": "x", "weight": 2_147_483_648_u64}]),
        ),
        ("checksum", json!("not base64!")),
        ("id", json!("bacc-1")),
        ("pin", json!("12345")),
        ("contact_email", Value::Null),
    ];
    for (path, value) in cases {
        let top = path.split(['.', '[']).next().unwrap_or(path);
        let mut body = valid_body();
        body[top] = value;
        match client.call_json("create_bank_account", body).await {
            Err(Error::InvalidRequest { field, reason }) => {
                assert_eq!(field, path, "{reason}")
            }
            other => panic!("{path}: expected InvalidRequest, got {other:?}"),
        }
    }
    assert!(
        sandbox.requests().is_empty(),
        "nothing may reach the server"
    );
}

/// A server that answers every request with `body` (status 200).
async fn canned(body: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = socket.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}/api/v4")
}

#[tokio::test]
async fn a_page_with_values_the_spec_does_not_foresee_still_decodes() {
    if !all_features_spec() {
        return;
    }
    // Everything here breaks a response constraint or lists a value the spec
    // does not: none of it may fail the page.
    let account = json!({
        "id": "bacc-1",
        "routing_number": "12",
        "account_number": "1",
        "owner_id": "user-8f3a2b1c-0e44-4f2d-9a11-7b23cc90d1ef",
        "opened_on": "2026-01-31",
        "verified_at": null,
        "contact_email": "not an email",
        "balance_cents": 9_007_199_254_740_993_i64,
        "amount_cents": 0,
        "limit": -3.5,
        "fee_rate": 0.5,
        "is_primary": false,
        "tags": ["a", "b", "c", "d", "e", "f"],
        "features": ["ach", "zelle"],
        "signers": [{"name": "Jane", "nickname": "JD"}],
        "address": {"line1": "1 Main St", "city": "Mexico City", "postal_code": "06600", "country": "MX"},
        "holder": {"first_name": "Jane", "last_name": "Doe", "role": "guardian"},
        "instrument": {"kind": "savings", "interest_rate": 0.025},
        "account_kind": null,
        "status": "frozen",
        "co_holder": null,
        "location": [40.7, -74.0, 10.0],
        "labels": {"team": "treasury"},
        "metadata": {"anything": [1, {"goes": true}]},
        "added_by_a_later_api_version": {"x": 1}
    });
    let page = json!({
        "status": "success",
        "message": "operation completed",
        "data": {
            "items": [account],
            "pagination": {"page": 1, "per_page": 10, "total": 1}
        }
    });
    let url = canned(page.to_string()).await;
    let client = common::builder_for(url)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let decoded = client
        .call_json("list_bank_accounts", json!({"per_page": 10}))
        .await
        .expect("the page decodes");
    let item = &decoded["data"]["items"][0];
    for key in [
        "routing_number",
        "account_number",
        "owner_id",
        "amount_cents",
        "tags",
        "features",
        "address",
        "holder",
        "instrument",
        "status",
        "location",
        "labels",
    ] {
        assert_eq!(item[key], account[key], "{key} is kept as sent");
    }
    assert_eq!(item["account_kind"], Value::Null);
    assert_eq!(item["verified_at"], Value::Null);
    assert_eq!(item["signers"][0]["name"], "Jane");
}

/// `per_page: 7` under `multipleOf: 10` is refused before sending (the typed
/// builders are checked the same way, by the outside crate of
/// scripts/dependent-spec.sh, which can name them).
#[tokio::test]
async fn a_multiple_of_violation_is_refused_before_sending() {
    if !all_features_spec() {
        return;
    }
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    match client
        .call_json("list_bank_accounts", json!({"per_page": 7}))
        .await
    {
        Err(Error::InvalidRequest { field, reason }) => {
            assert_eq!(field, "per_page");
            assert!(reason.contains("multiple of 10"), "{reason}");
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    assert!(
        sandbox.requests().is_empty(),
        "nothing may reach the server"
    );
}
