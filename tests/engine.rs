//! The request engine where the parts meet, at the defaults a user gets
//! (pacing at 5/s, retries, prefetch on): one test per defect found in the
//! first version (a hang, a panic, a double fetch, a misclassification), then
//! the engine's contract: bodies read whole and bounded, classification by
//! status, request ids, clock skew, absurd numbers.
//!
//! No timed assertions: every walk runs under a generous outer timeout that
//! fails the test instead of hanging the suite.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use ingo_banking::{Error, RateLimit, RetryPolicy};
use ingo_sandbox::{FaultKind, FaultRule, SandboxConfig};

const INTENTS: &str = "/payment-intent/program/all";
/// Far longer than any walk here needs; reaching it means a hang.
const HANG: Duration = Duration::from_secs(120);

fn intents(n: u64) -> ingo_sandbox::Sandbox {
    common::sandbox_with(SandboxConfig {
        payment_intents: n,
        ..Default::default()
    })
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(HANG, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: still running after {HANG:?} (a hang)"))
}

/// Walk every payment intent with prefetch, returning the ids in order.
async fn walk(client: &ingo_banking::Client, per_page: i64) -> Result<Vec<String>, Error> {
    client
        .list_payment_intents()
        .per_page(per_page)
        .items()
        .prefetch(true)
        .map_ok(|pi| pi.id)
        .try_collect()
        .await
}

fn assert_each_once(ids: &[String], expected: usize) {
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), expected, "items yielded");
    assert_eq!(distinct.len(), expected, "distinct ids");
}

// ---- the four defects ----

/// Defect: one 429 in the middle of a paced, prefetching walk hung it forever
/// (the prefetched request held the pacer's lock while unpolled).
#[tokio::test]
async fn one_429_mid_walk_does_not_hang_a_paced_prefetching_walk() {
    let sandbox = intents(2_000);
    // The sixth request: by then the pacer's window is full, so the
    // prefetched request is waiting for a slot when the 429 arrives.
    sandbox
        .faults()
        .add(FaultRule::status(429, Some("1")).every(6).first(1));
    let client = common::defaults(&sandbox).build().unwrap();
    let ids = within("walk", walk(&client, 200)).await.unwrap();
    assert_each_once(&ids, 2_000);
    let log = sandbox.requests();
    assert_eq!(log.iter().filter(|r| r.status == 429).count(), 1);
    common::assert_no_page_refetched(&log, Duration::from_secs(30));
}

/// Defect: `Retry-After: 18446744073709551615` panicked (`Instant + Duration`).
#[tokio::test]
async fn an_absurd_retry_after_neither_panics_nor_waits() {
    let sandbox = intents(100);
    sandbox.faults().add(
        FaultRule::status(429, Some("18446744073709551615"))
            .first(1)
            .only(INTENTS),
    );
    let client = common::defaults(&sandbox).build().unwrap();
    let page = within("call", client.list_payment_intents().call())
        .await
        .expect("an implausible Retry-After is ignored and the retry succeeds");
    assert_eq!(page.data.unwrap().items.len(), 10);
    assert_eq!(sandbox.requests().len(), 2);

    // Forever: the client gives up within its deadline, with a typed error.
    sandbox
        .faults()
        .add(FaultRule::status(429, Some("18446744073709551615")));
    let client = common::defaults(&sandbox)
        .retry_policy(RetryPolicy::default().deadline(Duration::from_secs(3)))
        .build()
        .unwrap();
    let error = within("call", client.list_payment_intents().call())
        .await
        .expect_err("always 429");
    assert!(
        matches!(
            error,
            Error::RateLimited {
                status: Some(429),
                retry_after: None,
                ..
            }
        ),
        "{error:?}"
    );
}

/// Defect: a consumer slower than the per-attempt timeout made the
/// prefetched page, already answered, time out and be fetched again.
#[tokio::test]
async fn a_consumer_slower_than_the_attempt_timeout_fetches_each_page_once() {
    let sandbox = intents(300);
    let timeout = Duration::from_millis(400);
    let client = common::defaults(&sandbox).timeout(timeout).build().unwrap();
    let mut pages = client
        .list_payment_intents()
        .per_page(50)
        .pages()
        .prefetch(true);
    let mut ids = Vec::new();
    within("slow walk", async {
        while let Some(page) = pages.try_next().await.unwrap() {
            ids.extend(page.items.into_iter().map(|pi| pi.id));
            // Database writes, say: longer than an attempt may take.
            tokio::time::sleep(timeout * 2).await;
        }
    })
    .await;
    assert_each_once(&ids, 300);
    let log = sandbox.requests();
    assert_eq!(log.len(), 6, "six pages, six requests: {log:?}");
}

/// Defect: an nginx HTML 503 that outlasted the retries was reported as an
/// undecodable response instead of the 503 it is.
#[tokio::test]
async fn an_html_503_that_outlasts_the_retries_is_a_transient_503() {
    let sandbox = intents(100);
    sandbox
        .faults()
        .add(FaultRule::new(FaultKind::HtmlErrorPage { code: 503 }));
    let client = common::builder(&sandbox).build().unwrap();
    let error = client.list_payment_intents().call().await.unwrap_err();
    match &error {
        Error::Api {
            status: 503,
            excerpt: Some(excerpt),
            envelope: None,
            ..
        } => assert!(excerpt.contains("503 Service Unavailable"), "{excerpt}"),
        other => panic!("expected Api 503, got {other:?}"),
    }
    assert!(error.is_transient());
    assert_eq!(sandbox.requests().len(), 4, "every attempt was made");
}

// ---- bodies ----

#[tokio::test]
async fn a_reset_or_a_timeout_in_the_middle_of_a_body_is_retried() {
    for fault in [
        FaultKind::DropConnection,
        FaultKind::TruncatedBody,
        FaultKind::SlowBody(Duration::from_secs(3)),
    ] {
        let sandbox = intents(100);
        sandbox
            .faults()
            .add(FaultRule::new(fault.clone()).first(1).only(INTENTS));
        let client = common::builder(&sandbox)
            .timeout(Duration::from_millis(800))
            .build()
            .unwrap();
        let page = within("call", client.list_payment_intents().per_page(100).call())
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(page.data.unwrap().items.len(), 100, "{fault:?}");
        assert_eq!(sandbox.requests().len(), 2, "{fault:?}: one retry");
    }
}

#[tokio::test]
async fn a_body_past_the_cap_is_a_typed_error_that_names_the_cap() {
    let sandbox = intents(1_000);
    let client = common::builder(&sandbox)
        .max_response_bytes(10_000)
        .build()
        .unwrap();
    let error = client
        .list_payment_intents()
        .per_page(500)
        .call()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::ResponseTooLarge {
                status: 200,
                limit: 10_000,
                request_id: Some(_),
                idempotency_key: None,
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("10000 bytes"), "{error}");
    assert_eq!(sandbox.requests().len(), 1, "a size is not transient");
}

#[tokio::test]
async fn an_endless_or_oversized_body_is_refused_without_buffering_it() {
    // Announced: 10 GB. Not announced: chunks for ever.
    let (announced, _) = common::raw_server(|_| {
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{"
            .to_vec()
    })
    .await;
    let (endless, _) = common::raw_server(|_| {
        let mut reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        // 64 MiB of chunks, more than four times the cap, then no end.
        for _ in 0..64 * 16 {
            reply.extend_from_slice(b"10000\r\n");
            reply.extend_from_slice(&[b' '; 0x10000]);
            reply.extend_from_slice(b"\r\n");
        }
        reply
    })
    .await;
    for url in [announced, endless] {
        let client = common::builder_for(url.clone()).build().unwrap();
        let error = within("call", client.list_payment_intents().call())
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::ResponseTooLarge {
                    limit: ingo_banking::DEFAULT_MAX_RESPONSE_BYTES,
                    ..
                }
            ),
            "{url}: {error:?}"
        );
    }
}

// ---- classification by status, whatever the body ----

#[tokio::test]
async fn errors_are_classified_by_status_whatever_the_body() {
    type Expect = fn(&Error) -> bool;
    let cases: Vec<(FaultKind, Expect)> = vec![
        (
            FaultKind::EmptyBody { code: 502 },
            |e| matches!(e, Error::Api { status: 502, message, excerpt: None, .. } if message.contains("Bad Gateway")),
        ),
        (
            FaultKind::TextBody { code: 503 },
            |e| matches!(e, Error::Api { status: 503, excerpt: Some(x), .. } if x.contains("upstream")),
        ),
        (
            FaultKind::KongError {
                code: 429,
                retry_after: None,
            },
            |e| matches!(e, Error::RateLimited { status: Some(429), message, .. } if message == "API rate limit exceeded"),
        ),
        (
            FaultKind::KongError {
                code: 403,
                retry_after: None,
            },
            |e| matches!(e, Error::Unauthorized { status: 403, .. }),
        ),
        (FaultKind::HtmlErrorPage { code: 500 }, |e| {
            matches!(e, Error::Api { status: 500, .. }) && !e.is_transient()
        }),
        (
            FaultKind::HtmlErrorPage { code: 404 },
            |e| matches!(e, Error::Api { status: 404, message, .. } if message == "Not Found"),
        ),
        (FaultKind::MalformedJson, |e| {
            matches!(
                e,
                Error::UndecodableResponse {
                    status: Some(200),
                    request_id: Some(_),
                    ..
                }
            )
        }),
    ];
    for (fault, expected) in cases {
        let sandbox = intents(100);
        sandbox.faults().add(FaultRule::new(fault.clone()));
        let client = common::builder(&sandbox).build().unwrap();
        let error = client.list_payment_intents().call().await.unwrap_err();
        assert!(expected(&error), "{fault:?} gave {error:?}");
        // The id support asks for is the one of the last response.
        let last = sandbox.requests().pop().unwrap();
        assert_eq!(error.request_id(), last.request_id.as_deref(), "{fault:?}");
        assert!(
            error
                .to_string()
                .contains(last.request_id.as_deref().unwrap()),
            "{error}"
        );
    }
}

#[tokio::test]
async fn kong_refusals_are_unauthorized_with_the_gateways_message_and_request_id() {
    let sandbox = intents(10);
    let c = sandbox.credentials();
    let client = ingo_banking::Client::builder()
        .base_url(sandbox.base_url())
        .credentials(
            ingo_banking::Credentials::new(&c.api_key, &c.hmac_username, "a-wrong-secret").unwrap(),
        )
        .build()
        .unwrap();
    let error = client.list_payment_intents().call().await.unwrap_err();
    let last = sandbox.requests().pop().unwrap();
    match &error {
        Error::Unauthorized {
            status: 401,
            message,
            request_id,
            idempotency_key: None,
        } => {
            assert!(message.contains("signature"), "{message}");
            assert_eq!(request_id, &last.request_id);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sandbox.requests().len(), 1, "a refusal is not retried");
}

#[tokio::test]
async fn every_attempt_is_traced_with_its_request_id() {
    use std::sync::{Arc, Mutex};
    let sandbox = common::sandbox_with(SandboxConfig {
        request_id_header: Some("X-Request-Id".into()),
        ..Default::default()
    });
    sandbox
        .faults()
        .add(FaultRule::status(503, None).first(1).only(INTENTS));
    let client = common::builder(&sandbox).build().unwrap();
    let logs = Arc::new(Mutex::new(Vec::<u8>::new()));
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || common::LogWriter(writer.clone()))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // A callsite first hit by a parallel test with no subscriber may have
    // cached "never"; ask every callsite again.
    tracing::callsite::rebuild_interest_cache();
    client.list_payment_intents().call().await.unwrap();
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let log = sandbox.requests();
    assert_eq!(log.len(), 2);
    for record in &log {
        let id = record
            .request_id
            .as_deref()
            .expect("the sandbox sent an id");
        let line = logs
            .lines()
            .find(|l| l.contains("ingo request attempt") && l.contains(id))
            .unwrap_or_else(|| panic!("no attempt event names {id}: {logs}"));
        assert!(
            line.contains(&format!("status={}", record.status)),
            "{line}"
        );
    }
}

// ---- clock skew ----

#[tokio::test]
async fn concurrent_calls_each_recover_from_a_ten_minute_skew() {
    let sandbox = intents(100);
    sandbox.set_clock_offset(600);
    let client = common::defaults(&sandbox).build().unwrap();
    let calls = (0..4).map(|_| client.list_payment_intents().call());
    let results = within("calls", futures::future::join_all(calls)).await;
    for result in results {
        result.expect("each call recovers, not only the one that moved the estimate");
    }
    let log = sandbox.requests();
    let rejected = log.iter().filter(|r| r.status == 401).count();
    assert!(rejected <= 4, "at most one rejection per call: {log:?}");
    assert_eq!(log.len() - rejected, 4);
}

#[tokio::test]
async fn a_date_on_a_cached_response_is_not_adopted() {
    // Every answer is a 401 whose `Date` is ten minutes ahead, but marked as
    // served from a cache: it says nothing about the server's clock now.
    let (url, heads) = common::raw_server(|_| {
        let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(600));
        common::http_reply(
            "401 Unauthorized",
            &[&format!("Date: {date}"), "Age: 30"],
            r#"{"message":"HMAC signature cannot be verified, a valid date or x-date header is required"}"#,
        )
    })
    .await;
    let client = common::builder_for(url).build().unwrap();
    let error = client.list_payment_intents().call().await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    assert_eq!(heads.lock().unwrap().len(), 1, "no skew retry");
    assert!(
        format!("{client:?}").contains("clock_offset_ms: 0"),
        "{client:?}"
    );
}

// ---- numbers from callers ----

#[tokio::test]
async fn duration_max_everywhere_neither_panics_nor_hangs() {
    let sandbox = intents(100);
    let client = common::defaults(&sandbox)
        .timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .retry_policy(
            RetryPolicy::default()
                .deadline(Duration::MAX)
                .base_delay(Duration::MAX)
                .max_delay(Duration::MAX),
        )
        .rate_limit(Some(RateLimit::new(u32::MAX, Duration::MAX)))
        .build()
        .unwrap();
    let page = within("call", client.list_payment_intents().call())
        .await
        .unwrap();
    assert_eq!(page.data.unwrap().items.len(), 10);

    for bad in [
        common::defaults(&sandbox).timeout(Duration::ZERO).build(),
        common::defaults(&sandbox)
            .rate_limit(Some(RateLimit::new(0, Duration::from_secs(1))))
            .build(),
        common::defaults(&sandbox)
            .retry_policy(RetryPolicy::default().max_attempts(0))
            .build(),
        common::defaults(&sandbox).max_response_bytes(0).build(),
    ] {
        assert!(
            matches!(bad, Err(Error::Configuration(_))),
            "{:?}",
            bad.err()
        );
    }
}

#[tokio::test]
async fn a_walk_dropped_midway_stops_its_prefetched_requests() {
    let sandbox = intents(5_000);
    let client = common::builder(&sandbox).build().unwrap();
    let mut items = client
        .list_payment_intents()
        .per_page(100)
        .items()
        .prefetch(true);
    let first: Vec<_> = within("first items", (&mut items).take(150).collect::<Vec<_>>()).await;
    assert_eq!(first.len(), 150);
    drop(items);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let requests = sandbox.requests().len();
    assert!(
        (2..=4).contains(&requests),
        "two pages read, at most two prefetched: {requests}"
    );
}

// ---- the constructor ----

/// A proxy set on the builder carries the requests (a corporate network),
/// with the builder's own rules kept: HTTP/1.1, the signed path as sent.
#[tokio::test]
async fn requests_go_through_a_proxy_set_on_the_builder() {
    let (proxy, heads) = common::raw_server(|_| {
        common::http_reply(
            "200 OK",
            &["Content-Type: application/json"],
            r#"{"status":"success","message":"operation completed","data":{"items":[],"pagination":{"page":1,"per_page":10,"total":0}}}"#,
        )
    })
    .await;
    let proxy_root = proxy.trim_end_matches("/api/v4").to_string();
    // Nothing listens at the API's address: only the proxy can answer.
    let client = common::builder_for("http://127.0.0.1:9/api/v4".into())
        .proxy(reqwest::Proxy::http(&proxy_root).unwrap())
        .build()
        .unwrap();
    let page = client.list_payment_intents().call().await.unwrap();
    assert_eq!(page.data.unwrap().pagination.total, 0);
    let heads = heads.lock().unwrap();
    assert_eq!(heads.len(), 1);
    let request_line = heads[0].lines().next().unwrap();
    assert_eq!(
        request_line,
        "POST http://127.0.0.1:9/api/v4/payment-intent/program/all HTTP/1.1"
    );
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains("authorization: hmac username=")
    );
}
