//! A real client stack (reqwest/hyper) over keep-alive, and the sandbox
//! running inside someone else's tokio runtime.

mod common;

use common::*;
use ingo_sandbox::Sandbox;
use serde_json::{Value, json};

async fn send(
    client: &reqwest::Client,
    sandbox: &Sandbox,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    let bytes = serde_json::to_vec(body).expect("serialise");
    let target = full_path(sandbox, path);
    let mut request = client
        .post(format!("http://{}{target}", addr(sandbox)))
        .body(bytes.clone());
    for (name, value) in signed_headers(sandbox, "POST", &target, &bytes, &Tweaks::default()) {
        request = request.header(name, value);
    }
    request.send().await.expect("send")
}

#[tokio::test]
async fn reqwest_keep_alive_round_trips() {
    let sandbox = Sandbox::start().expect("start");
    let client = {
        // This reqwest shares the client's rustls, which needs its provider.
        ingo_banking::install_tls_provider();
        reqwest::Client::builder()
    }
    .http1_only()
    .build()
    .expect("client");
    let mut ids = Vec::new();
    for page in 1..=3 {
        let response = send(
            &client,
            &sandbox,
            INTENTS,
            &json!({"page": page, "per_page": 4}),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert!(response.headers().contains_key("date"));
        let value: Value = response.json().await.expect("json");
        for item in value["data"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            ids.push(item["id"].clone());
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 12);
    assert!(
        sandbox
            .requests()
            .iter()
            .all(|r| r.status == 200 && r.signature_verified)
    );
}

#[tokio::test(start_paused = true)]
async fn works_under_a_paused_clock() {
    let sandbox = Sandbox::start().expect("start");
    let client = {
        // This reqwest shares the client's rustls, which needs its provider.
        ingo_banking::install_tls_provider();
        reqwest::Client::builder()
    }
    .http1_only()
    .build()
    .expect("client");
    let response = send(&client, &sandbox, INTENTS, &json!({})).await;
    assert_eq!(response.status(), 200);
}
