//! Every operation the crate was generated with is keyed and signed by the
//! one hook, with no per-operation code. Run under `INGO_SPEC` pointing at
//! an extended spec (scripts/test.sh does), it also proves a new operation
//! and a new optional field appear from the spec alone.

mod common;

use ingo_banking::{Error, OPERATIONS};

#[tokio::test]
async fn every_operation_of_the_spec_is_keyed_and_signed() {
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let (user, business) = common::first_business(&sandbox);
    for op in OPERATIONS {
        let mut body = serde_json::Map::new();
        for field in op.required {
            let value = match *field {
                "user_id" => user.clone(),
                "business_id" => business.clone(),
                "currency" => "usd".to_string(),
                "routing_number" => "021000021".to_string(),
                "account_number" => "12345678".to_string(),
                _ => "regeneration-check".to_string(),
            };
            body.insert(field.to_string(), value.into());
        }
        let result = client.call_json(op.id, body.into()).await;
        let log = sandbox.requests();
        let record = log
            .iter()
            .rev()
            .find(|r| r.path.ends_with(op.path))
            .unwrap_or_else(|| panic!("{}: no request reached the sandbox", op.id));
        assert!(record.signature_verified, "{}: {record:?}", op.id);
        assert_eq!(
            record.auth_failure, None,
            "{}: the api key was accepted",
            op.id
        );
        // The sandbox serves every operation of the spec.
        match result {
            Ok(json) => assert_eq!(json["status"], "success", "{}", op.id),
            Err(e) => panic!("{}: {e}", op.id),
        }
    }
}

#[test]
fn the_generated_operations_match_the_spec_in_use() {
    let ids: Vec<_> = OPERATIONS.iter().map(|o| o.id).collect();
    assert!(
        ids.contains(&"list_contacts") && ids.contains(&"list_payment_intents"),
        "{ids:?}"
    );
    if std::env::var_os("INGO_SPEC").is_some_and(|s| !s.is_empty()) {
        assert!(
            ids.contains(&"list_user_payment_intents"),
            "the third operation is generated: {ids:?}"
        );
        let intents = OPERATIONS
            .iter()
            .find(|o| o.id == "list_payment_intents")
            .unwrap();
        assert!(
            intents.fields.contains(&"currency"),
            "the new optional field is generated"
        );
        let third = OPERATIONS
            .iter()
            .find(|o| o.id == "list_user_payment_intents")
            .unwrap();
        assert!(third.paginated && third.required == ["user_id"]);
    } else {
        assert_eq!(ids.len(), 2);
    }
}

/// The extended spec's write operations (see `tests/fixtures/extend_spec.py`),
/// present only when the crate was built from it (`scripts/test.sh`, step 3).
fn write_operations() -> Option<(&'static str, &'static str)> {
    let has = |id: &str| OPERATIONS.iter().any(|o| o.id == id);
    if has("create_payment_intent") && has("cancel_payment_intent") {
        return Some(("create_payment_intent", "cancel_payment_intent"));
    }
    assert!(
        std::env::var_os("INGO_SPEC").is_none_or(|s| s.is_empty()),
        "built from INGO_SPEC, but the write operations are missing"
    );
    None
}

fn body_json(record: &ingo_sandbox::RequestRecord) -> serde_json::Value {
    serde_json::from_slice(&record.body).expect("a JSON body")
}

/// A write the spec does not mark safe to repeat, without an idempotency
/// key: a 503 may mean it was done, so it is not sent again.
#[tokio::test]
async fn a_write_without_an_idempotency_key_is_not_repeated_once_it_may_have_arrived() {
    let Some((_, cancel)) = write_operations() else {
        return;
    };
    let sandbox = common::sandbox();
    sandbox
        .faults()
        .add(ingo_sandbox::FaultRule::status(503, None).first(1));
    let client = common::client(&sandbox);
    let descriptor = OPERATIONS.iter().find(|o| o.id == cancel).unwrap();
    assert!(!descriptor.idempotent && descriptor.idempotency_key.is_none());
    let error = client
        .call_json(cancel, serde_json::json!({"id": "ptra-1"}))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Api { status: 503, .. }), "{error:?}");
    assert_eq!(sandbox.requests().len(), 1, "sent once");
}

/// A write whose body carries an idempotency key is retried; the client
/// filled the key once, so every attempt carries the same one.
#[tokio::test]
async fn a_write_with_an_idempotency_key_is_retried_with_the_same_key() {
    let Some((create, _)) = write_operations() else {
        return;
    };
    let sandbox = common::sandbox();
    sandbox
        .faults()
        .add(ingo_sandbox::FaultRule::status(503, None).first(2));
    let client = common::client(&sandbox);
    let descriptor = OPERATIONS.iter().find(|o| o.id == create).unwrap();
    assert_eq!(descriptor.idempotency_key, Some("idempotent_key"));
    let result = client
        .call_json(
            create,
            serde_json::json!({"amount": "10.00", "currency": "usd"}),
        )
        .await;
    // Once the faults are spent, the sandbox creates the payment intent.
    let created = result.expect("the third attempt is served");
    assert_eq!(created["data"]["items"][0]["amount"], "10.00");
    let log = sandbox.requests();
    assert_eq!(log.len(), 3, "two 503s, then the third attempt");
    let keys: Vec<String> = log
        .iter()
        .map(|r| body_json(r)["idempotent_key"].as_str().unwrap().to_string())
        .collect();
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    assert!(uuid::Uuid::parse_str(&keys[0]).is_ok(), "{keys:?}");

    // A key the caller chose is kept as is; another call gets a fresh one.
    let _ = client
        .call_json(
            create,
            serde_json::json!({"amount": "10.00", "currency": "usd", "idempotent_key": "order-42"}),
        )
        .await;
    let _ = client
        .call_json(
            create,
            serde_json::json!({"amount": "10.00", "currency": "usd"}),
        )
        .await;
    let log = sandbox.requests();
    assert_eq!(body_json(&log[3])["idempotent_key"], "order-42");
    assert_ne!(body_json(&log[4])["idempotent_key"], keys[0].as_str());
}

/// A connect error means the request never left: any operation is retried.
/// Nothing listens on the port at first; a server opens it a moment later,
/// and the write (not safe to repeat, no idempotency key) gets through.
#[tokio::test]
async fn a_connect_error_is_retried_for_any_operation() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some((_, cancel)) = write_operations() else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("the port is free again");
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let _ = socket.read(&mut buf).await;
        let reply = common::http_reply(
            "200 OK",
            &["Content-Type: application/json", "Connection: close"],
            r#"{"status":"success","message":"cancelled"}"#,
        );
        socket.write_all(&reply).await.unwrap();
    });
    // Many quick retries, so the attempts span the moment the port opens.
    let retry = ingo_banking::RetryPolicy::default()
        .max_attempts(40)
        .base_delay(std::time::Duration::from_millis(50))
        .max_delay(std::time::Duration::from_millis(100));
    let client = common::builder_for(format!("http://127.0.0.1:{port}/api/v4"))
        .retry_policy(retry)
        .build()
        .unwrap();
    let response = client
        .call_json(cancel, serde_json::json!({"id": "ptra-1"}))
        .await
        .expect("retried past the refused connections");
    assert_eq!(response["message"], "cancelled");
    server.await.unwrap();
}
