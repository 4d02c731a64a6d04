//! Request ids on every response, and the request log: bodies, refused
//! requests, and clients that gave up.

mod common;

use std::collections::HashSet;
use std::io::{ErrorKind, Write};
use std::time::{Duration, Instant};

use common::*;
use ingo_sandbox::{
    FaultKind, FaultRule, RECORDED_BODY_BYTES, RequestRecord, Sandbox, SandboxConfig,
};
use serde_json::{Value, json};

fn started(config: SandboxConfig) -> Sandbox {
    Sandbox::start_with(config).expect("start the sandbox")
}

/// Waits (at most 10 s) until the log holds `n` records.
fn wait_for_records(sandbox: &Sandbox, n: usize) -> Vec<RequestRecord> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = sandbox.requests();
        if log.len() >= n || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn every_response_carries_a_unique_request_id_that_is_logged() {
    let sandbox = started(SandboxConfig::default());
    sandbox
        .faults()
        .add(FaultRule::new(FaultKind::EmptyBody { code: 502 }).first(1));
    let mut responses = vec![
        post(&sandbox, INTENTS, &json!({})),              // 502, empty
        post(&sandbox, INTENTS, &json!({})),              // 200
        post(&sandbox, INTENTS, &json!({"per_page": 0})), // 400
        post(&sandbox, "/nowhere", &json!({})),           // 404
        post_with(
            &sandbox,
            INTENTS,
            &json!({}),
            &Tweaks {
                secret: Some("wrong".into()),
                ..Tweaks::default()
            },
        ), // 401
    ];
    // A head that does not parse is answered (400) and logged too.
    responses.push(exchange(&sandbox, b"{{{ not http\r\n\r\n"));
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [502, 200, 400, 404, 401, 400]);
    let ids: Vec<String> = responses
        .iter()
        .map(|r| {
            r.header("x-kong-request-id")
                .unwrap_or_else(|| panic!("no request id on a {}", r.status))
                .to_owned()
        })
        .collect();
    assert!(
        ids.iter()
            .all(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())),
        "{ids:?}"
    );
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    let log = sandbox.requests();
    let logged: Vec<Option<String>> = log.iter().map(|r| r.request_id.clone()).collect();
    assert_eq!(logged, ids.into_iter().map(Some).collect::<Vec<_>>());
    assert_eq!(
        log.last()
            .map(|r| (r.method.as_str(), r.path.as_str(), r.status)),
        Some(("", "", 400))
    );
}

#[test]
fn the_request_id_header_is_configurable() {
    let custom = started(SandboxConfig {
        request_id_header: Some("X-Request-Id".into()),
        ..SandboxConfig::default()
    });
    let response = post_ok(&custom, INTENTS, &json!({}));
    assert!(response.header("x-request-id").is_some());
    assert_eq!(response.header("x-kong-request-id"), None);
    assert_eq!(
        custom.requests()[0].request_id.as_deref(),
        response.header("x-request-id")
    );
    for none in [None, Some(String::new())] {
        let quiet = started(SandboxConfig {
            request_id_header: none,
            ..SandboxConfig::default()
        });
        let response = post_ok(&quiet, INTENTS, &json!({}));
        assert!(
            !response
                .headers
                .iter()
                .any(|(n, _)| n.to_ascii_lowercase().contains("request-id"))
        );
        assert_eq!(quiet.requests()[0].request_id, None);
    }
    let invalid = Sandbox::start_with(SandboxConfig {
        request_id_header: Some("X-Request Id\r\n".into()),
        ..SandboxConfig::default()
    });
    assert_eq!(
        invalid.map(|_| ()).map_err(|e| e.kind()),
        Err(ErrorKind::InvalidInput)
    );
}

#[test]
fn records_keep_the_body_as_received() {
    let sandbox = started(SandboxConfig::default());
    let body = json!({"page": 3, "per_page": 7, "idempotent_key": "key-123"});
    post_ok(&sandbox, INTENTS, &body);
    // Refused requests keep their body too.
    post_with(
        &sandbox,
        INTENTS,
        &json!({"page": 4}),
        &Tweaks {
            secret: Some("wrong".into()),
            ..Tweaks::default()
        },
    );
    let log = sandbox.requests();
    let sent: Value = serde_json::from_slice(&log[0].body).expect("JSON");
    assert_eq!(sent["page"], 3);
    assert_eq!(sent["idempotent_key"], "key-123");
    assert_eq!(log[0].body, serde_json::to_vec(&body).unwrap_or_default());
    assert_eq!(log[0].body_len, log[0].body.len());
    assert_eq!(log[1].status, 401);
    assert_eq!(log[1].body, br#"{"page":4}"#);

    // A large body is kept up to the cap; body_len has its full length.
    let padding = "x".repeat(RECORDED_BODY_BYTES + 5_000);
    post_ok(
        &sandbox,
        INTENTS,
        &json!({"per_page": 1, "padding": padding}),
    );
    let big = sandbox.requests().pop().expect("a record");
    assert_eq!(big.body.len(), RECORDED_BODY_BYTES);
    assert!(big.body_len > RECORDED_BODY_BYTES);
    assert!(big.body.starts_with(br#"{"padding":"xxx"#));
}

#[test]
fn a_client_that_gives_up_during_a_delay_is_logged() {
    let sandbox = started(SandboxConfig {
        faults: vec![FaultRule::new(FaultKind::Delay(Duration::from_secs(3)))],
        ..SandboxConfig::default()
    });
    let body = br#"{"per_page":2}"#;
    {
        let mut stream = connect(&sandbox);
        stream
            .write_all(&raw_request(&sandbox, INTENTS, body, &Tweaks::default()))
            .expect("send");
        // Hang up without waiting for the answer.
    }
    let log = wait_for_records(&sandbox, 1);
    assert_eq!(log.len(), 1, "{log:?}");
    let record = &log[0];
    assert!(record.signature_verified);
    assert_eq!(record.faults, [FaultKind::Delay(Duration::from_secs(3))]);
    assert_eq!(record.status, 200, "the status it would have got");
    assert_eq!(record.body, body);
    assert!(record.request_id.is_some());
}
