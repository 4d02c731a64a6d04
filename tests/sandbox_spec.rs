//! The client against the spec-driven sandbox, for operations no code was
//! written for: run under `INGO_SPEC` pointing at the all-features or the
//! extended spec (scripts/test.sh does), each answer decoded into the type
//! the client generated. Built from another spec, these tests say so and pass.

mod common;

use std::collections::HashSet;

use ingo_banking::{Client, OPERATIONS};
use serde_json::{Value, json};

fn has(id: &str) -> bool {
    let built = OPERATIONS.iter().any(|o| o.id == id);
    if !built {
        eprintln!("skipped: {id} is not in the spec this crate was built from");
    }
    built
}

/// Every page of a list through `call_json` (each page decoded by the client): (total, items).
async fn walk(client: &Client, op: &str, body: Value) -> (u64, Vec<Value>) {
    let mut items = Vec::new();
    let mut total = 0;
    for page in 1..1_000 {
        let mut body = body.clone();
        body["page"] = json!(page);
        body["per_page"] = json!(30);
        let answer = client.call_json(op, body).await.expect("a page");
        total = answer["data"]["pagination"]["total"]
            .as_u64()
            .unwrap_or_default();
        let got = answer["data"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if got.is_empty() {
            break;
        }
        items.extend(got);
    }
    (total, items)
}

fn ids(items: &[Value]) -> HashSet<String> {
    items
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn bank_accounts_walk_filter_and_write_through_the_client() {
    if !has("create_bank_account") {
        return;
    }
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let (total, items) = walk(&client, "list_bank_accounts", json!({})).await;
    assert_eq!((total, ids(&items).len()), (250, 250));
    let (checking, narrowed) = walk(
        &client,
        "list_bank_accounts",
        json!({"account_kind": "checking"}),
    )
    .await;
    assert!(checking > 0 && checking < total);
    assert!(narrowed.iter().all(|a| a["account_kind"] == "checking"));

    let body = |key: &str| {
        json!({"idempotent_key": key, "routing_number": "021000021", "account_number": "12345678",
            "owner_id": "123e4567-e89b-12d3-a456-426614174000",
            "holder": {"first_name": "Jane", "last_name": "Doe"}, "instrument": {"kind": "checking"}})
    };
    let first = client
        .call_json("create_bank_account", body("order-1"))
        .await
        .expect("created");
    let again = client
        .call_json("create_bank_account", body("order-1"))
        .await
        .expect("replayed");
    assert_eq!(first, again, "the same key returns the first answer");
    let other = client
        .call_json("create_bank_account", body("order-2"))
        .await
        .expect("created");
    let id = |answer: &Value| answer["data"]["items"][0]["id"].clone();
    assert_ne!(id(&first), id(&other));
    let (after, listed) = walk(&client, "list_bank_accounts", json!({})).await;
    assert_eq!(after, 252);
    assert_eq!(
        (listed[0]["id"].clone(), listed[1]["id"].clone()),
        (id(&other), id(&first))
    );
}

#[tokio::test]
async fn the_extended_spec_operations_through_the_client() {
    if !has("list_user_payment_intents") {
        return;
    }
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let (total, items) = walk(
        &client,
        "list_user_payment_intents",
        json!({"user_id": "user-demo"}),
    )
    .await;
    assert_eq!((total, ids(&items).len()), (250, 250));
    let created = client
        .call_json(
            "create_payment_intent",
            json!({"amount": "12.50", "currency": "usd", "idempotent_key": "k-1"}),
        )
        .await
        .expect("created");
    let item = &created["data"]["items"][0];
    assert_eq!(
        (item["amount"].clone(), item["currency"].clone()),
        (json!("12.50"), json!("usd"))
    );
    let first = client
        .call_json("list_payment_intents", json!({"per_page": 1}))
        .await
        .expect("a page");
    assert_eq!(first["data"]["items"][0]["id"], item["id"]);
    assert_eq!(first["data"]["pagination"]["total"], 2_501);
}
