//! One client, many requests in flight: every request is signed over its own
//! bytes, none is lost, duplicated or retried, and the pages come back intact.

mod common;

use std::collections::{BTreeSet, HashSet};

use futures::StreamExt;
use ingo_sandbox::SandboxConfig;

const CALLS: i64 = 1_000;
const CONCURRENCY: usize = 64;
const PER_PAGE: i64 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_from_one_client_all_verify() {
    let sandbox = common::sandbox_with(SandboxConfig {
        payment_intents: 5_000,
        ..Default::default()
    });
    let client = common::client(&sandbox);

    let results: Vec<_> = futures::stream::iter(1..=CALLS)
        .map(|page| {
            let call = client
                .list_payment_intents()
                .page(page)
                .per_page(PER_PAGE)
                .call();
            async move { (page, call.await) }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;

    assert_eq!(results.len(), CALLS as usize);
    let mut pages = BTreeSet::new();
    let mut ids = HashSet::new();
    let mut items = 0usize;
    for (asked, result) in results {
        let response = result.unwrap_or_else(|e| panic!("page {asked} failed: {e}"));
        let data = response
            .data
            .unwrap_or_else(|| panic!("page {asked} has no data"));
        assert_eq!(data.pagination.page, asked, "page echo");
        assert_eq!(data.pagination.per_page, PER_PAGE);
        assert_eq!(data.items.len(), PER_PAGE as usize, "page {asked} is short");
        assert!(
            pages.insert(data.pagination.page),
            "page {} answered twice",
            data.pagination.page
        );
        items += data.items.len();
        ids.extend(data.items.into_iter().map(|pi| pi.id));
    }
    assert_eq!(pages, (1..=CALLS).collect::<BTreeSet<_>>());
    assert_eq!(items, 5_000);
    assert_eq!(ids.len(), 5_000, "ids repeated across pages");

    let log = sandbox.requests();
    assert_eq!(
        log.len(),
        CALLS as usize,
        "one request per call, no retries"
    );
    for record in &log {
        assert!(record.signature_verified, "{record:?}");
        assert_eq!(record.status, 200, "{record:?}");
        assert_eq!(record.auth_failure, None, "{record:?}");
        assert_eq!(
            record.path,
            ingo_sandbox::PAYMENT_INTENTS_PATH,
            "{record:?}"
        );
    }
}

/// Pacing through the real client: a burst of 16 concurrent calls under a
/// limit of 5 per 200 ms cannot finish before three more windows have begun.
/// (A lower bound only: a slow machine can only make it longer. The exact
/// 5-per-window property is checked under tokio's paused clock in
/// `src/pacing.rs`, where no network is involved.)
#[tokio::test]
async fn a_burst_through_the_client_is_paced() {
    let sandbox = common::sandbox();
    let client = ingo_banking::Client::builder()
        .base_url(sandbox.base_url())
        .credentials(common::credentials(&sandbox))
        .rate_limit(Some(ingo_banking::RateLimit::new(
            5,
            std::time::Duration::from_millis(200),
        )))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let results = futures::future::join_all(
        (0..16).map(|_| client.list_payment_intents().per_page(1).call()),
    )
    .await;
    assert!(results.iter().all(|r| r.is_ok()));
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sandbox.requests().len(), 16);
}
