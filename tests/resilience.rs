//! Production behaviour against the sandbox's fault injection: transient
//! faults end in success with every attempt freshly signed, permanent ones in
//! their typed error, unknown enum values decode, clock skew is corrected.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use ingo_banking::types::PaymentIntentStatus;
use ingo_banking::{ApiKeyPlacement, Error, RetryPolicy};
use ingo_sandbox::{FaultKind, FaultRule, SandboxConfig};

const INTENTS: &str = "/payment-intent/program/all";

async fn one_page(
    client: &ingo_banking::Client,
) -> Result<ingo_banking::types::ListPaymentIntentsResponse, Error> {
    client.list_payment_intents().per_page(20).call().await
}

#[tokio::test]
async fn transient_faults_end_in_success_with_every_attempt_freshly_signed() {
    let transient = [
        FaultRule::status(503, None),
        FaultRule::status(502, None),
        FaultRule::status(504, None),
        FaultRule::status(429, Some("1")),
    ];
    for fault in transient {
        let sandbox = common::sandbox();
        sandbox.faults().add(fault.clone().first(2).only(INTENTS));
        let client = common::builder(&sandbox)
            .timeout(Duration::from_millis(1500))
            .build()
            .unwrap();
        let page = one_page(&client)
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(page.data.unwrap().items.len(), 20, "{fault:?}");
        let log = sandbox.requests();
        // A delayed request whose client gave up is not logged by the sandbox.
        let logged = if matches!(fault.kind, FaultKind::Delay(_)) {
            1
        } else {
            3
        };
        assert_eq!(
            log.len(),
            logged,
            "{fault:?}: two faulted attempts then success: {log:?}"
        );
        assert!(
            log.iter()
                .all(|r| r.signature_verified && r.auth_failure.is_none()),
            "{fault:?}: {log:?}"
        );
    }
}

#[tokio::test]
async fn an_attempt_past_its_timeout_is_abandoned_and_retried() {
    let sandbox = common::sandbox();
    sandbox.faults().add(
        FaultRule::new(FaultKind::Delay(Duration::from_secs(10)))
            .first(2)
            .only(INTENTS),
    );
    let client = common::builder(&sandbox)
        .timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    let started = Instant::now();
    let page = one_page(&client).await.unwrap();
    assert_eq!(page.data.unwrap().items.len(), 20);
    // Two attempts cut at 0.8 s each, then one served at once: far below the 10 s delay.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let sandbox = common::sandbox();
    sandbox
        .faults()
        .add(FaultRule::status(429, Some("1")).first(1));
    let client = common::client(&sandbox);
    let started = Instant::now();
    one_page(&client).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn rate_limit_that_outlasts_the_budget_is_a_typed_error() {
    let sandbox = common::sandbox();
    sandbox.faults().add(FaultRule::status(429, Some("7")));
    let retry = common::fast_retries().deadline(Duration::from_secs(3));
    let client = common::client_with(&sandbox, ApiKeyPlacement::Header, retry);
    let started = Instant::now();
    match one_page(&client).await {
        Err(Error::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(7)))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn permanent_faults_end_in_their_typed_error_inside_the_deadline() {
    let deadline = Duration::from_secs(10);
    type Expect = fn(&Error) -> bool;
    let cases: Vec<(FaultRule, Expect)> = vec![
        (FaultRule::new(FaultKind::MalformedJson), |e| {
            matches!(
                e,
                Error::UndecodableResponse {
                    status: Some(200),
                    ..
                }
            )
        }),
        (FaultRule::new(FaultKind::TruncatedBody), |e| {
            matches!(
                e,
                Error::Transport { .. } | Error::UndecodableResponse { .. }
            )
        }),
        (FaultRule::new(FaultKind::DropConnection), |e| {
            matches!(
                e,
                Error::Transport { .. } | Error::UndecodableResponse { .. }
            )
        }),
        // Classified by status first: an HTML 502 that outlasts the retries
        // is the 502 it is, transient, with an excerpt of the page.
        (
            FaultRule::new(FaultKind::HtmlErrorPage { code: 502 }),
            |e| {
                matches!(e, Error::Api { status: 502, excerpt: Some(excerpt), .. }
                if excerpt.contains("<html>"))
                    && e.is_transient()
            },
        ),
        (FaultRule::status(400, None), |e| {
            matches!(e, Error::Api { status: 400, .. })
        }),
        (FaultRule::status(404, None), |e| {
            matches!(e, Error::Api { status: 404, .. })
        }),
        (FaultRule::status(500, None), |e| {
            matches!(e, Error::Api { status: 500, .. })
        }),
    ];
    for (fault, expected) in cases {
        let sandbox = common::sandbox();
        sandbox.faults().add(fault.clone());
        let retry = common::fast_retries().deadline(deadline);
        let client = common::client_with(&sandbox, ApiKeyPlacement::Header, retry);
        let started = Instant::now();
        let error = one_page(&client).await.expect_err("a fault must surface");
        assert!(expected(&error), "{fault:?} gave {error:?}");
        assert!(!error.to_string().is_empty());
        assert!(
            started.elapsed() < deadline + Duration::from_secs(1),
            "{fault:?} took {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn unknown_enum_values_and_extra_fields_do_not_break_a_page() {
    let sandbox = common::sandbox();
    sandbox
        .faults()
        .add(FaultRule::new(FaultKind::UnknownEnumValue));
    sandbox.faults().add(FaultRule::new(FaultKind::ExtraFields));
    let client = common::client(&sandbox);
    let items = one_page(&client).await.unwrap().data.unwrap().items;
    assert_eq!(items.len(), 20, "the rest of the page is intact");
    let unknown: Vec<_> = items.iter().filter(|pi| !pi.status.is_known()).collect();
    assert_eq!(unknown.len(), 1);
    assert_eq!(
        unknown[0].status,
        PaymentIntentStatus::Unknown("under_review".into())
    );
    assert_eq!(unknown[0].status.to_string(), "under_review");
}

#[tokio::test]
async fn a_non_success_envelope_on_2xx_is_an_error() {
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    // Decode a body as if the server had said 200 with status "error".
    let body: ingo_banking::types::ListPaymentIntentsResponse =
        serde_json::from_str(r#"{"status":"error","message":"maintenance"}"#).unwrap();
    let envelope =
        <ingo_banking::builder::ListPaymentIntents as ingo_banking::Operation>::envelope(&body);
    assert_eq!(envelope, Some(("error", "maintenance")));
    drop((sandbox, client));
}

#[tokio::test]
async fn clock_skew_of_ten_minutes_is_corrected_after_at_most_one_rejection() {
    for offset in [600i64, -600] {
        let sandbox = common::sandbox();
        sandbox.set_clock_offset(offset);
        let client = common::client(&sandbox);
        one_page(&client)
            .await
            .unwrap_or_else(|e| panic!("offset {offset}: {e}"));
        one_page(&client).await.unwrap();
        let log = sandbox.requests();
        let rejected: Vec<_> = log.iter().filter(|r| r.status == 401).collect();
        assert_eq!(rejected.len(), 1, "offset {offset}: {log:?}");
        assert!(
            rejected[0]
                .auth_failure
                .as_deref()
                .unwrap_or_default()
                .contains("x-date")
        );
        assert_eq!(log.len(), 3, "one rejection, then both calls pass");
    }
}

#[tokio::test]
async fn a_server_repeating_a_page_stops_the_walk_with_an_error() {
    let sandbox = common::sandbox();
    sandbox.faults().add(FaultRule::new(FaultKind::RepeatPage));
    let client = common::client(&sandbox);
    let result: Result<Vec<_>, _> = client
        .list_payment_intents()
        .per_page(50)
        .items()
        .try_collect()
        .await;
    assert!(
        matches!(result, Err(Error::Pagination { page: 2, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_walk_over_100_000_payment_intents_yields_each_id_once() {
    let sandbox = common::sandbox_with(SandboxConfig {
        payment_intents: 100_000,
        ..Default::default()
    });
    let client = common::client(&sandbox);
    let mut ids = HashSet::with_capacity(100_000);
    let mut pages = client
        .list_payment_intents()
        .per_page(500)
        .pages()
        .prefetch(true);
    let mut largest_page = 0;
    while let Some(page) = pages.try_next().await.unwrap() {
        largest_page = largest_page.max(page.items.len());
        ids.extend(page.items.into_iter().map(|pi| pi.id));
    }
    assert_eq!(ids.len(), 100_000);
    // The walk hands out one page at a time: never more than per_page items.
    assert_eq!(largest_page, 500);
}

#[tokio::test]
async fn missing_api_key_and_plain_http_to_a_remote_host_are_refused() {
    let err = ingo_banking::Client::builder()
        .base_url("http://api.example.com/api/v4")
        .credentials(ingo_banking::Credentials::new("k", "u", "s").unwrap())
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Configuration(ref m) if m.contains("https")),
        "{err}"
    );
    assert!(ingo_banking::Credentials::new("", "u", "s").is_err());
}

#[tokio::test]
async fn a_slow_server_ends_in_timeout_inside_the_deadline() {
    let sandbox = common::sandbox();
    sandbox
        .faults()
        .add(FaultRule::new(FaultKind::Delay(Duration::from_secs(5))));
    let client = common::builder(&sandbox)
        .retry_policy(common::fast_retries().deadline(Duration::from_secs(2)))
        .timeout(Duration::from_millis(600))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = one_page(&client).await.expect_err("too slow");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_closed_port_is_a_transport_error_after_retries() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = common::builder_for(format!("http://127.0.0.1:{port}/api/v4"))
        .build()
        .unwrap();
    let error = one_page(&client).await.expect_err("nothing listens");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(error.is_transient());
}

#[tokio::test]
async fn redirects_are_never_followed_and_carry_no_credentials_elsewhere() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The other host: records whether anything reaches it.
    let elsewhere = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere_port = elsewhere.local_addr().unwrap().port();
    let reached = tokio::spawn(async move {
        tokio::time::timeout(Duration::from_millis(500), elsewhere.accept())
            .await
            .is_ok()
    });
    // The API: answers every request with a redirect to the other host.
    let api = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_port = api.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut socket, _) = api.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let _ = socket.read(&mut buf).await;
        let reply = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{elsewhere_port}/steal\r\nContent-Length: 0\r\n\r\n"
        );
        let _ = socket.write_all(reply.as_bytes()).await;
    });
    let client = common::builder_for(format!("http://127.0.0.1:{api_port}/api/v4"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = one_page(&client).await.expect_err("a redirect is not data");
    assert!(
        matches!(&error, Error::Api { status: 307, message, .. } if message.contains("not followed")),
        "{error:?}"
    );
    assert!(!reached.await.unwrap(), "the client followed the redirect");
}

#[tokio::test]
async fn an_absurd_server_date_is_not_adopted_and_nothing_panics() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A server that answers 401 with a `Date` no `X-Date` can follow.
    let api = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = api.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = api.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let body = r#"{"status":"error","message":"x-date skew"}"#;
                    let reply = format!(
                        "HTTP/1.1 401 Unauthorized\r\nDate: Fri, 31 Dec 9999 23:59:59 GMT\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let client = common::builder_for(format!("http://127.0.0.1:{port}/api/v4"))
        .build()
        .unwrap();
    for _ in 0..2 {
        let error = one_page(&client).await.expect_err("always 401");
        assert!(
            matches!(error, Error::Unauthorized { status: 401, .. }),
            "{error:?}"
        );
    }
}
