//! Every error line names its cause: the OS error under a transport error,
//! the proxy that dropped a header, and for a write the idempotency key to
//! retry with. Over real HTTP on loopback, at the client's defaults.

mod common;

use std::time::Duration;

use ingo_banking::{Error, OPERATIONS, RetryPolicy};
use ingo_sandbox::FaultRule;
use serde_json::json;

#[tokio::test]
async fn a_refused_connection_says_connection_refused() {
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let client = common::builder_for(format!("http://127.0.0.1:{port}/api/v4"))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    let error = client.list_payment_intents().call().await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(text.to_lowercase().contains("connection refused"), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
}

#[tokio::test]
async fn a_missing_api_key_names_the_proxy_and_the_option() {
    let body = r#"{"message":"No API key found in request"}"#;
    let (url, _) = common::raw_server(move |_| {
        common::http_reply(
            "401 Unauthorized",
            &["Content-Type: application/json"],
            body,
        )
    })
    .await;
    let client = common::builder_for(url)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let text = client
        .list_payment_intents()
        .call()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("underscores") && text.contains("--api-key-in body"),
        "{text}"
    );
}

/// A write whose every attempt gets a 503: the error names the key the
/// client filled, the one every attempt carried.
#[tokio::test]
async fn a_failed_write_names_its_idempotency_key() {
    let Some(write) = OPERATIONS.iter().find(|o| o.idempotency_key.is_some()) else {
        eprintln!("skipped: the spec in use has no write with an idempotency key");
        return;
    };
    let sandbox = common::sandbox();
    sandbox.faults().add(FaultRule::status(503, None));
    let client = common::builder(&sandbox)
        .retry_policy(common::fast_retries())
        .build()
        .expect("client");
    let body = match write.id {
        "create_bank_account" => json!({
            "routing_number": "021000021", "account_number": "12345678",
            "owner_id": "123e4567-e89b-12d3-a456-426614174000",
            "holder": {"first_name": "Jane", "last_name": "Doe"},
            "instrument": {"kind": "checking"}
        }),
        _ => json!({"amount": "10.00", "currency": "usd", "user_id": "u",
                    "routing_number": "021000021", "account_number": "12345678"}),
    };
    let error = client.call_json(write.id, body).await.unwrap_err();
    let key = error
        .idempotency_key()
        .expect("the write's key")
        .to_string();
    assert!(error.to_string().contains(&key), "{error}");
    let field = write.idempotency_key.unwrap_or_default();
    let sent: Vec<String> = sandbox
        .requests()
        .iter()
        .filter_map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
        .filter_map(|b| b[field].as_str().map(str::to_string))
        .collect();
    assert!(
        sent.len() > 1 && sent.iter().all(|k| *k == key),
        "{sent:?} vs {key}"
    );
}
