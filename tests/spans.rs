//! The client's spans through a real OpenTelemetry pipeline
//! (`tracing-opentelemetry` into the SDK's in-memory exporter), read as a
//! trace backend would get them: one internal span per call, one client
//! span per attempt under it, with OpenTelemetry's HTTP field names.

mod common;

use std::collections::HashMap;

use ingo_banking::{Error, OPERATIONS};
use ingo_sandbox::FaultRule;
use opentelemetry::Value;
use opentelemetry::trace::{SpanKind, Status, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

/// Run `body` with spans exported to memory; the spans it ended.
async fn exported<F: std::future::Future>(body: F) -> (F::Output, Vec<SpanData>) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("spans-test")));
    let guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    let output = body.await;
    drop(guard);
    provider.force_flush().expect("flush");
    (output, exporter.get_finished_spans().expect("spans"))
}

fn attributes(span: &SpanData) -> HashMap<&str, Value> {
    span.attributes
        .iter()
        .map(|kv| (kv.key.as_str(), kv.value.clone()))
        .collect()
}

fn text(span: &SpanData, key: &str) -> Option<String> {
    attributes(span).get(key).map(|v| v.as_str().into_owned())
}

fn number(span: &SpanData, key: &str) -> Option<i64> {
    match attributes(span).get(key) {
        Some(Value::I64(n)) => Some(*n),
        Some(other) => panic!("{key} is not a number: {other:?}"),
        None => None,
    }
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> Vec<&'a SpanData> {
    spans.iter().filter(|s| s.name == name).collect()
}

/// Every attribute and event of every span, as text: where a secret must not be.
fn everything(spans: &[SpanData]) -> String {
    spans
        .iter()
        .map(|s| format!("{:?} {:?} {:?}", s.name, s.attributes, s.events.events))
        .collect()
}

/// A read retried once after a 503: a call span, two attempt spans under it,
/// the second counted as a resend, and the final status and request id on
/// the call.
#[tokio::test]
async fn a_retried_call_is_one_call_span_over_two_attempt_spans() {
    let sandbox = common::sandbox();
    sandbox.faults().add(FaultRule::status(503, None).first(1));
    let client = common::client(&sandbox);
    let (page, spans) = exported(client.list_payment_intents().per_page(5).send()).await;
    let page = page.expect("the retry succeeds");
    let request_id = page
        .headers()
        .get("x-kong-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("the sandbox names its requests")
        .to_string();

    let calls = named(&spans, "list_payment_intents");
    let [call] = calls[..] else {
        panic!("one call span: {spans:#?}");
    };
    assert_eq!(call.span_kind, SpanKind::Internal);
    assert_eq!(call.status, Status::Unset);
    let path = OPERATIONS
        .iter()
        .find(|o| o.id == "list_payment_intents")
        .expect("the operation")
        .path;
    let url = format!("{}{path}", sandbox.base_url());
    let port = i64::from(url::Url::parse(&url).unwrap().port().unwrap());
    assert_eq!(
        text(call, "ingo.operation").as_deref(),
        Some("list_payment_intents")
    );
    assert_eq!(text(call, "http.request.method").as_deref(), Some("POST"));
    assert_eq!(text(call, "url.full"), Some(url.clone()));
    assert_eq!(text(call, "server.address").as_deref(), Some("127.0.0.1"));
    assert_eq!(number(call, "server.port"), Some(port));
    assert_eq!(number(call, "http.response.status_code"), Some(200));
    assert_eq!(text(call, "ingo.request_id"), Some(request_id.clone()));
    assert_eq!(
        text(call, "ingo.idempotency_key"),
        None,
        "a read has no key"
    );

    let attempts = named(&spans, "POST");
    assert_eq!(attempts.len(), 2, "{spans:#?}");
    let (first, second) = if attempts[0].start_time <= attempts[1].start_time {
        (attempts[0], attempts[1])
    } else {
        (attempts[1], attempts[0])
    };
    for attempt in [first, second] {
        assert_eq!(attempt.span_kind, SpanKind::Client);
        assert_eq!(attempt.parent_span_id, call.span_context.span_id());
        assert_eq!(
            attempt.span_context.trace_id(),
            call.span_context.trace_id()
        );
        assert_eq!(text(attempt, "url.full"), Some(url.clone()));
        assert_eq!(
            text(attempt, "http.request.method").as_deref(),
            Some("POST")
        );
        assert_eq!(number(attempt, "server.port"), Some(port));
    }
    assert_eq!(number(first, "http.response.status_code"), Some(503));
    assert_eq!(text(first, "error.type").as_deref(), Some("503"));
    assert!(
        matches!(first.status, Status::Error { .. }),
        "{:?}",
        first.status
    );
    assert_eq!(number(first, "http.request.resend_count"), None);
    assert_eq!(number(second, "http.response.status_code"), Some(200));
    assert_eq!(number(second, "http.request.resend_count"), Some(1));
    assert_eq!(text(second, "ingo.request_id"), Some(request_id));
    assert_eq!(second.status, Status::Unset);

    let creds = sandbox.credentials();
    let shown = everything(&spans);
    for secret in [&creds.api_key, &creds.hmac_secret] {
        assert!(
            !shown.contains(secret.as_str()),
            "a secret in a span: {shown}"
        );
    }
}

/// A refused call: its span is an error, typed by the status, and names
/// the gateway's request id.
#[tokio::test]
async fn a_failed_call_span_is_an_error_with_its_status() {
    let sandbox = common::sandbox();
    let client = common::builder(&sandbox)
        .credentials(ingo_banking::Credentials::new("wrong-key", "u", "s").unwrap())
        .build()
        .unwrap();
    let (result, spans) = exported(client.list_payment_intents().call()).await;
    let error = result.expect_err("wrong credentials");
    assert!(
        matches!(error, Error::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    let calls = named(&spans, "list_payment_intents");
    let [call] = calls[..] else {
        panic!("one call span: {spans:#?}");
    };
    assert!(matches!(&call.status, Status::Error { description } if description.contains("401")));
    assert_eq!(text(call, "error.type").as_deref(), Some("401"));
    assert_eq!(number(call, "http.response.status_code"), Some(401));
    assert_eq!(
        text(call, "ingo.request_id").as_deref(),
        error.request_id(),
        "{error:?}"
    );
    assert_eq!(named(&spans, "POST").len(), 1, "a 401 is not retried");
}

/// A write carries its idempotency key on its call span, the key its body
/// carried (only when the spec in use has a write: step 3 runs this file
/// under the all-features spec).
#[tokio::test]
async fn a_write_span_names_its_idempotency_key() {
    let Some(write) = OPERATIONS.iter().find(|o| o.idempotency_key.is_some()) else {
        eprintln!("skipped: the spec in use has no write with an idempotency key");
        return;
    };
    let sandbox = common::sandbox();
    sandbox.faults().add(FaultRule::status(503, None));
    let client = common::client(&sandbox);
    let body = match write.id {
        "create_bank_account" => serde_json::json!({
            "routing_number": "021000021", "account_number": "12345678",
            "owner_id": "123e4567-e89b-12d3-a456-426614174000",
            "holder": {"first_name": "Jane", "last_name": "Doe"},
            "instrument": {"kind": "checking"}
        }),
        _ => serde_json::json!({"amount": "10.00", "currency": "usd", "user_id": "u",
                    "routing_number": "021000021", "account_number": "12345678"}),
    };
    let (result, spans) = exported(client.call_json(write.id, body)).await;
    let error = result.expect_err("every attempt gets a 503");
    let key = error
        .idempotency_key()
        .expect("the write's key")
        .to_string();
    let call = spans
        .iter()
        .find(|s| text(s, "ingo.operation").as_deref() == Some(write.id))
        .unwrap_or_else(|| panic!("a call span: {spans:#?}"));
    assert_eq!(text(call, "ingo.idempotency_key"), Some(key));
    assert_eq!(text(call, "error.type").as_deref(), Some("503"));
    let attempts = spans
        .iter()
        .filter(|s| s.parent_span_id == call.span_context.span_id())
        .count();
    assert!(attempts > 1, "the 503s were retried: {spans:#?}");
}
