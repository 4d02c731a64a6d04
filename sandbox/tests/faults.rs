//! Every fault kind is observable on the wire, and scoping works.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use ingo_sandbox::{FaultKind, FaultRule, Sandbox, SandboxConfig};
use serde_json::{Value, json};

fn sandbox_with(rules: Vec<FaultRule>) -> Sandbox {
    Sandbox::start_with(SandboxConfig {
        faults: rules,
        ..SandboxConfig::default()
    })
    .expect("start the sandbox")
}

fn page() -> Value {
    json!({"per_page": 10})
}

#[test]
fn status_faults_carry_retry_after_and_the_envelope() {
    let sandbox = sandbox_with(vec![FaultRule::status(429, Some("2")).first(1)]);
    let limited = post(&sandbox, INTENTS, &page());
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("2"));
    assert_eq!(limited.json()["status"], "error");
    assert!(limited.header("date").is_some());
    assert_eq!(post(&sandbox, INTENTS, &page()).status, 200);

    sandbox.faults().add(FaultRule::status(
        503,
        Some("Fri, 17 Jan 2020 19:59:29 GMT"),
    ));
    let unavailable = post(&sandbox, INTENTS, &page());
    assert_eq!(unavailable.status, 503);
    assert_eq!(
        unavailable.header("retry-after"),
        Some("Fri, 17 Jan 2020 19:59:29 GMT")
    );
    // Faults apply only after authentication: a bad signature is still a 401.
    let unsigned = post_with(
        &sandbox,
        INTENTS,
        &page(),
        &Tweaks {
            secret: Some("wrong".into()),
            ..Tweaks::default()
        },
    );
    assert_eq!(unsigned.status, 401);
    let log = sandbox.requests();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 200, 503, 401]
    );
    assert!(log[0].signature_verified && log[0].faults.len() == 1);
    sandbox.faults().clear();
    assert_eq!(post(&sandbox, INTENTS, &page()).status, 200);
}

#[test]
fn first_n_every_kth_and_operation_scoping() {
    let sandbox = sandbox_with(vec![
        FaultRule::status(502, None).every(3).only(INTENTS),
        FaultRule::status(500, None).first(2).only(CONTACTS),
    ]);
    let statuses: Vec<u16> = (0..7)
        .map(|_| post(&sandbox, INTENTS, &page()).status)
        .collect();
    assert_eq!(statuses, [200, 200, 502, 200, 200, 502, 200]);
    let (user, business) = sandbox.businesses()[0].clone();
    let contacts = json!({"user_id": user, "business_id": business});
    let statuses: Vec<u16> = (0..4)
        .map(|_| post(&sandbox, CONTACTS, &contacts).status)
        .collect();
    assert_eq!(statuses, [500, 500, 200, 200]);
}

#[test]
fn delay_then_serve() {
    let sandbox = sandbox_with(vec![FaultRule::new(FaultKind::Delay(
        Duration::from_millis(300),
    ))]);
    let started = Instant::now();
    let response = post(&sandbox, INTENTS, &page());
    assert_eq!(response.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

/// Sends a signed request and reads whatever comes back until the server closes.
fn raw_exchange(sandbox: &Sandbox) -> (String, std::io::Result<usize>, Vec<u8>) {
    let body = serde_json::to_vec(&page()).unwrap_or_default();
    let mut stream = connect(sandbox);
    stream
        .write_all(&raw_request(sandbox, INTENTS, &body, &Tweaks::default()))
        .expect("send");
    let mut received = Vec::new();
    let read = stream.read_to_end(&mut received);
    let text = String::from_utf8_lossy(&received).into_owned();
    (text, read, received)
}

fn declared_and_actual(text: &str) -> (usize, usize) {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let declared = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (declared, body.len())
}

#[test]
fn truncated_body_is_shorter_than_its_content_length() {
    let sandbox = sandbox_with(vec![FaultRule::new(FaultKind::TruncatedBody)]);
    let (text, read, _) = raw_exchange(&sandbox);
    assert!(read.is_ok());
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
    let (declared, actual) = declared_and_actual(&text);
    assert!(actual > 0 && actual < declared, "{declared} vs {actual}");
}

#[test]
fn drop_connection_cuts_the_response() {
    let sandbox = sandbox_with(vec![FaultRule::new(FaultKind::DropConnection).first(1)]);
    let (text, read, _) = raw_exchange(&sandbox);
    // Either the reset arrives before the partial data is read, or the data
    // is short of what the headers promise.
    if read.is_ok() {
        let (declared, actual) = declared_and_actual(&text);
        assert!(actual < declared, "{declared} vs {actual}");
    }
    assert_eq!(post(&sandbox, INTENTS, &page()).status, 200);
}

#[test]
fn malformed_json_does_not_parse() {
    let sandbox = sandbox_with(vec![FaultRule::new(FaultKind::MalformedJson)]);
    let response = post(&sandbox, INTENTS, &page());
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(serde_json::from_slice::<Value>(&response.body).is_err());
}

#[test]
fn html_error_page_is_html() {
    let sandbox = sandbox_with(vec![FaultRule::new(FaultKind::HtmlErrorPage { code: 502 })]);
    let response = post(&sandbox, INTENTS, &page());
    assert_eq!(response.status, 502);
    assert_eq!(response.header("content-type"), Some("text/html"));
    assert!(String::from_utf8_lossy(&response.body).contains("<title>502 Bad Gateway</title>"));
}

#[test]
fn unknown_enum_values_and_extra_fields() {
    let sandbox = sandbox_with(vec![
        FaultRule::new(FaultKind::UnknownEnumValue),
        FaultRule::new(FaultKind::ExtraFields),
    ]);
    let response = post(&sandbox, INTENTS, &page());
    let value = response.json();
    let items = response.items();
    assert_eq!(
        items
            .iter()
            .filter(|i| i["status"] == "under_review")
            .count(),
        1
    );
    assert_eq!(
        items
            .iter()
            .filter(|i| i["direction"] == "sideways")
            .count(),
        1
    );
    assert!(value.get("request_id").is_some());
    assert!(value["data"].get("cursor").is_some());
    assert!(value["data"]["pagination"].get("has_more").is_some());
    assert!(items.iter().all(|i| i.get("x_unknown_field").is_some()));
}

#[test]
fn short_and_repeated_pages() {
    let sandbox = sandbox_with(vec![FaultRule::new(FaultKind::ShortPage).first(1)]);
    let short = post(&sandbox, INTENTS, &page());
    assert_eq!(short.items().len(), 5);
    assert_eq!(short.total(), 2_500);
    assert_eq!(post(&sandbox, INTENTS, &page()).items().len(), 10);

    let first_page = post(&sandbox, INTENTS, &page()).items();
    sandbox.faults().add(FaultRule::new(FaultKind::RepeatPage));
    let third = post(&sandbox, INTENTS, &json!({"per_page": 10, "page": 3}));
    assert_eq!(third.items(), first_page);
    assert_eq!(third.json()["data"]["pagination"]["page"], 3);
}
