//! What independent contract tools found, each fixed: a page with an item the
//! types cannot hold names the item and the field; numbers in free-form
//! `metadata` come back exactly as sent.

mod common;

use std::time::Duration;

use ingo_banking::{Error, RetryPolicy};
use serde_json::json;

fn intent(id: &str, amount: &str) -> serde_json::Value {
    json!({"id": id, "amount": amount, "currency": "usd", "status": "pending"})
}

async fn client_answering(page: serde_json::Value) -> ingo_banking::Client {
    let body = page.to_string();
    let (url, _) = common::raw_server(move |_| {
        common::http_reply("200 OK", &["Content-Type: application/json"], &body)
    })
    .await;
    common::builder_for(url)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

#[tokio::test]
async fn an_undecodable_item_is_named_by_its_index_and_field() {
    for bad in ["", "ipsum", "1e400"] {
        let page = json!({
            "status": "success", "message": "ok",
            "data": {
                "items": [intent("ptra-0", "1.00"), intent("ptra-1", "2.00"), intent("ptra-2", bad)],
                "pagination": {"page": 1, "per_page": 3, "total": 3}
            }
        });
        let client = client_answering(page).await;
        match client.list_payment_intents().call().await {
            Err(Error::UndecodableResponse { reason, .. }) => assert!(
                reason.contains("at `data.items[2].amount`"),
                "amount {bad:?}: {reason}"
            ),
            other => panic!("amount {bad:?}: expected UndecodableResponse, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn metadata_numbers_round_trip_to_the_last_digit() {
    // 17 significant digits, which a plain serde_json parse changes in the last one.
    let numbers = [
        "0.30000000000000004",
        "123456789.12345679",
        "1.7976931348623157e308",
    ];
    let mut item = intent("ptra-0", "1.00");
    for (i, n) in numbers.iter().enumerate() {
        item["metadata"][format!("n{i}")] = serde_json::from_str(n).expect("a number");
    }
    let page = json!({
        "status": "success", "message": "ok",
        "data": {"items": [item], "pagination": {"page": 1, "per_page": 1, "total": 1}}
    });
    let client = client_answering(page).await;
    let response = client.list_payment_intents().call().await.expect("decodes");
    let items = response.data.expect("data").items;
    let metadata = serde_json::to_value(&items[0].metadata).expect("encodes");
    for (i, n) in numbers.iter().enumerate() {
        let expected: f64 = n.parse().expect("f64");
        assert_eq!(metadata[format!("n{i}")].as_f64(), Some(expected), "{n}");
    }
}
