//! Every fault kind is observable on the wire, and scoping works.

mod common;

use std::io::{ErrorKind, Read, Write};
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

/// Sends a signed request and reads whatever comes back until the server
/// closes (or resets), keeping what arrived either way.
fn raw_exchange(sandbox: &Sandbox) -> (String, std::io::Result<usize>, Vec<u8>) {
    let body = serde_json::to_vec(&page()).unwrap_or_default();
    let mut stream = connect(sandbox);
    stream
        .write_all(&raw_request(sandbox, INTENTS, &body, &Tweaks::default()))
        .expect("send");
    let mut received = Vec::new();
    let read = read_until_end(&mut stream, &mut received);
    let text = String::from_utf8_lossy(&received).into_owned();
    (text, read, received)
}

/// Like `read_to_end`, but keeps the bytes read before an error.
fn read_until_end(stream: &mut impl Read, out: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(out.len()),
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
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
fn drop_connection_resets_mid_body() {
    let sandbox = sandbox_with(vec![FaultRule::new(FaultKind::DropConnection).first(1)]);
    let (text, read, _) = raw_exchange(&sandbox);
    // A reset, not a clean close: reading ends in ECONNRESET. The head and
    // half the body come first, unless the reset overtakes them (a kernel
    // may discard unread data when the RST arrives).
    let error = read.expect_err("the connection is reset, not closed");
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error}");
    if !text.is_empty() {
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        let (declared, actual) = declared_and_actual(&text);
        assert!(actual < declared, "{declared} vs {actual}");
    }
    eprintln!("received {} bytes before the reset", text.len());
    let log = sandbox.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].status, log[0].faults.as_slice()),
        (200, &[FaultKind::DropConnection][..])
    );
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

#[test]
fn empty_body_has_no_content_type() {
    let sandbox = sandbox_with(vec![FaultRule::new(FaultKind::EmptyBody { code: 502 })]);
    let response = post(&sandbox, INTENTS, &page());
    assert_eq!(response.status, 502);
    assert_eq!(response.header("content-length"), Some("0"));
    assert_eq!(response.header("content-type"), None);
    assert!(response.body.is_empty());
    assert!(response.header("x-kong-request-id").is_some());
}

#[test]
fn text_body_is_plain_text() {
    let sandbox = sandbox_with(vec!["text:503".parse::<FaultKind>().expect("parse").into()]);
    let response = post(&sandbox, INTENTS, &page());
    assert_eq!(response.status, 503);
    assert_eq!(response.header("content-type"), Some("text/plain"));
    assert!(
        String::from_utf8_lossy(&response.body)
            .starts_with("upstream connect error or disconnect/reset before headers"),
        "{:?}",
        String::from_utf8_lossy(&response.body)
    );
}

#[test]
fn kong_errors_have_only_a_message() {
    let sandbox = sandbox_with(Vec::new());
    let cases = [
        (
            "kong:429:3",
            429,
            r#"{"message":"API rate limit exceeded"}"#,
            Some("3"),
        ),
        (
            "kong:429",
            429,
            r#"{"message":"API rate limit exceeded"}"#,
            None,
        ),
        (
            "kong:503",
            503,
            r#"{"message":"The upstream server is currently unavailable"}"#,
            None,
        ),
        ("kong:401", 401, r#"{"message":"Unauthorized"}"#, None),
        (
            "kong:418",
            418,
            r#"{"message":"The upstream server responded with 418"}"#,
            None,
        ),
    ];
    for (spec, status, body, retry_after) in cases {
        sandbox.faults().clear();
        sandbox
            .faults()
            .add(spec.parse::<FaultKind>().expect("parse"));
        let response = post(&sandbox, INTENTS, &page());
        assert_eq!(response.status, status, "{spec}");
        assert_eq!(String::from_utf8_lossy(&response.body), body, "{spec}");
        assert_eq!(response.header("retry-after"), retry_after, "{spec}");
        assert_eq!(
            response.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        let challenge = (status == 401).then_some("hmac");
        assert_eq!(response.header("www-authenticate"), challenge, "{spec}");
    }
}

#[test]
fn any_retry_after_value_goes_out_verbatim() {
    let sandbox = sandbox_with(Vec::new());
    for value in [
        "18446744073709551615",
        "Fri, 17 Jan 2020 19:59:29 GMT",
        "garbage",
        "0",
        "-5",
    ] {
        for kind in ["status", "kong"] {
            let spec = format!("{kind}:429:{value}");
            sandbox.faults().clear();
            sandbox
                .faults()
                .add(spec.parse::<FaultKind>().expect("parse"));
            let response = post(&sandbox, INTENTS, &page());
            assert_eq!(response.status, 429, "{spec}");
            assert_eq!(response.header("retry-after"), Some(value), "{spec}");
        }
    }
}

#[test]
fn control_characters_cannot_split_the_head() {
    // The parser refuses them; a rule built in code gets spaces instead.
    assert!("status:429:1\r\nX-Evil: yes".parse::<FaultKind>().is_err());
    let sandbox = sandbox_with(vec![FaultRule::status(429, Some("1\r\nX-Evil: yes"))]);
    let response = post(&sandbox, INTENTS, &page());
    assert_eq!(response.status, 429);
    assert_eq!(response.header("x-evil"), None);
    assert_eq!(response.header("retry-after"), Some("1  X-Evil: yes"));
}

/// Reads up to and including the blank line that ends a response head.
fn read_head(stream: &mut impl Read) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!("head cut short: {other:?} after {head:?}"),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[test]
fn slow_body_takes_its_time_and_arrives_whole() {
    let sandbox = sandbox_with(Vec::new());
    let normal = post(&sandbox, INTENTS, &page()).body;
    sandbox
        .faults()
        .add(FaultKind::SlowBody(Duration::from_millis(800)));
    let started = Instant::now();
    let slow = post(&sandbox, INTENTS, &page());
    // A lower bound only: the sandbox sleeps 800 ms in all before the last chunk.
    assert!(started.elapsed() >= Duration::from_millis(800));
    assert_eq!(slow.status, 200);
    assert_eq!(slow.body, normal);
    assert_eq!(
        sandbox.requests().last().map(|r| r.faults.clone()),
        Some(vec![FaultKind::SlowBody(Duration::from_millis(800))])
    );
}

#[test]
fn a_client_timeout_fires_in_the_middle_of_a_slow_body() {
    // Ten chunks 600 ms apart; the client allows 100 ms between reads.
    let sandbox = sandbox_with(vec![FaultRule::new(FaultKind::SlowBody(
        Duration::from_secs(6),
    ))]);
    let body = serde_json::to_vec(&page()).unwrap_or_default();
    let mut stream = connect(&sandbox);
    stream
        .write_all(&raw_request(&sandbox, INTENTS, &body, &Tweaks::default()))
        .expect("send");
    let head = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let (declared, _) = declared_and_actual(&head);
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("set timeout");
    let mut received = Vec::new();
    let read = read_until_end(&mut stream, &mut received);
    let error = read.expect_err("the client's timeout fires first");
    assert!(
        matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{error}"
    );
    assert!(
        received.len() < declared,
        "{} of {declared}",
        received.len()
    );
}

#[test]
fn faults_fire_before_routing() {
    const CREATE: &str = "/payment-intent/create";
    let sandbox = sandbox_with(vec![
        FaultRule::status(503, Some("1")).first(1).only(CREATE),
    ]);
    // An operation the sandbox does not know still gets the fault…
    let faulted = post(&sandbox, CREATE, &page());
    assert_eq!(faulted.status, 503);
    assert_eq!(faulted.header("retry-after"), Some("1"));
    // …and without one, its 404.
    assert_eq!(post(&sandbox, CREATE, &page()).status, 404);

    sandbox.faults().add(
        "kong:429:2"
            .parse::<FaultKind>()
            .map(|k| FaultRule::new(k).first(2))
            .expect("parse"),
    );
    let limited = post(&sandbox, CREATE, &page());
    assert_eq!(limited.status, 429);
    assert_eq!(limited.message(), "API rate limit exceeded");
    // A wrong method on a known path: the fault, not the 405.
    let put = post_with(
        &sandbox,
        INTENTS,
        &page(),
        &Tweaks {
            method: Some("PUT"),
            ..Tweaks::default()
        },
    );
    assert_eq!(put.status, 429);
    assert_eq!(post(&sandbox, CREATE, &page()).status, 404);
    let log = sandbox.requests();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [503, 404, 429, 429, 404]
    );
    assert!(log[2].path.ends_with(CREATE) && log[2].faults.len() == 1);
}

#[test]
fn rule_counting_is_exact_under_concurrent_requests() {
    let sandbox = sandbox_with(vec![
        FaultRule::status(503, None).first(7).only(INTENTS),
        FaultRule::new(FaultKind::ExtraFields)
            .every(5)
            .only(INTENTS),
    ]);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    (0..15)
                        .map(|_| post(&sandbox, INTENTS, &page()).status)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    assert_eq!(statuses.len(), 60);
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 7);
    let log = sandbox.requests();
    assert_eq!(log.len(), 60);
    let fired = |kind: &FaultKind| log.iter().filter(|r| r.faults.contains(kind)).count();
    assert_eq!(fired(&FaultKind::ExtraFields), 12);
    assert_eq!(
        log.iter().filter(|r| r.status == 503).count(),
        7,
        "the log agrees with the wire"
    );
}
