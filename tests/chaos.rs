//! Chaos: walks of thousands of payment intents with pacing on (5/s, the
//! default) and prefetch on, through the faults a real gateway and the
//! proxies in front of it produce: 429s with every kind of `Retry-After`,
//! HTML, empty and text error pages, resets and truncation in the middle of
//! a body, a slow first byte, a slow body, and a consumer slower than the
//! attempt timeout.
//!
//! Every walk must end (an outer timeout fails the test rather than hang the
//! suite), yield each item exactly once (count and distinct ids), and the
//! sandbox's log must show no page requested more often than it failed, plus
//! one. One test per fault kind, then a proptest over random schedules.

mod common;

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use futures::TryStreamExt;
use ingo_banking::RetryPolicy;
use ingo_sandbox::{FaultKind, FaultRule, SandboxConfig};
use proptest::prelude::*;

const INTENTS: &str = "/payment-intent/program/all";
/// Far longer than any walk here needs; reaching it means a hang.
const HANG: Duration = Duration::from_secs(180);
/// The attempt timeout of the chaos clients: short, so that faults past it
/// cost a second, not the default thirty.
const ATTEMPT: Duration = Duration::from_secs(1);

/// One chaos run: the sandbox's size and faults, and how the walk consumes.
#[derive(Debug, Clone)]
struct Schedule {
    items: u64,
    per_page: i64,
    faults: Vec<FaultRule>,
    /// Sleep this long after each page (a consumer doing slow work).
    consumer: Duration,
    /// Attempts in all; the default (4) unless a schedule stacks faults.
    max_attempts: u32,
}

impl Schedule {
    fn one(kind: FaultKind) -> Self {
        Schedule {
            items: 1_000,
            per_page: 100,
            faults: vec![FaultRule::new(kind).every(3).only(INTENTS)],
            consumer: Duration::ZERO,
            max_attempts: RetryPolicy::default().max_attempts,
        }
    }

    async fn run(&self) {
        let sandbox = common::sandbox_with(SandboxConfig {
            payment_intents: self.items,
            ..Default::default()
        });
        for rule in &self.faults {
            sandbox.faults().add(rule.clone());
        }
        // The user's defaults (pacing 5/s, retries, 60 s deadline), a shorter
        // attempt timeout.
        let client = common::defaults(&sandbox)
            .timeout(ATTEMPT)
            .retry_policy(RetryPolicy::default().max_attempts(self.max_attempts))
            .build()
            .expect("client");
        let mut pages = client
            .list_payment_intents()
            .per_page(self.per_page)
            .pages()
            .prefetch(true);
        let mut ids = Vec::new();
        let walk = async {
            while let Some(page) = pages.try_next().await? {
                ids.extend(page.items.into_iter().map(|pi| pi.id));
                if !self.consumer.is_zero() {
                    tokio::time::sleep(self.consumer).await;
                }
            }
            Ok::<_, ingo_banking::Error>(())
        };
        match tokio::time::timeout(HANG, walk).await {
            Err(_) => panic!("{self:?}: the walk hangs"),
            Ok(Err(e)) => panic!("{self:?}: the walk failed: {e}"),
            Ok(Ok(())) => {}
        }
        let distinct: HashSet<&String> = ids.iter().collect();
        assert_eq!(ids.len() as u64, self.items, "{self:?}: items yielded");
        assert_eq!(distinct.len() as u64, self.items, "{self:?}: distinct ids");
        let log = sandbox.requests();
        let faulted = log.iter().filter(|r| !r.faults.is_empty()).count();
        assert!(
            faulted > 0,
            "{self:?}: no fault fired, the run proves nothing"
        );
        common::assert_no_page_refetched(&log, ATTEMPT);
    }
}

fn http_date_in(secs: u64) -> String {
    httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs))
}

fn rate_limited(retry_after: Option<&str>) -> FaultKind {
    FaultKind::Status {
        code: 429,
        retry_after: retry_after.map(str::to_string),
    }
}

#[tokio::test]
async fn a_429_without_retry_after() {
    Schedule::one(rate_limited(None)).run().await;
}

#[tokio::test]
async fn a_429_with_retry_after_zero_and_one() {
    Schedule::one(rate_limited(Some("0"))).run().await;
    Schedule::one(rate_limited(Some("1"))).run().await;
}

#[tokio::test]
async fn a_429_with_retry_after_as_an_http_date() {
    Schedule::one(rate_limited(Some(&http_date_in(1))))
        .run()
        .await;
}

#[tokio::test]
async fn a_429_with_garbage_or_huge_retry_after() {
    Schedule::one(rate_limited(Some("soon, maybe"))).run().await;
    Schedule::one(rate_limited(Some("18446744073709551615")))
        .run()
        .await;
}

#[tokio::test]
async fn kongs_own_429() {
    Schedule::one(FaultKind::KongError {
        code: 429,
        retry_after: Some("1".into()),
    })
    .run()
    .await;
}

#[tokio::test]
async fn html_502_and_503_pages() {
    Schedule::one(FaultKind::HtmlErrorPage { code: 502 })
        .run()
        .await;
    Schedule::one(FaultKind::HtmlErrorPage { code: 503 })
        .run()
        .await;
}

#[tokio::test]
async fn empty_and_text_error_bodies() {
    Schedule::one(FaultKind::EmptyBody { code: 503 })
        .run()
        .await;
    Schedule::one(FaultKind::TextBody { code: 502 }).run().await;
}

#[tokio::test]
async fn a_reset_in_the_middle_of_the_body() {
    Schedule::one(FaultKind::DropConnection).run().await;
    Schedule::one(FaultKind::TruncatedBody).run().await;
}

#[tokio::test]
async fn a_slow_first_byte_under_and_past_the_attempt_timeout() {
    Schedule::one(FaultKind::Delay(Duration::from_millis(100)))
        .run()
        .await;
    Schedule::one(FaultKind::Delay(ATTEMPT * 2)).run().await;
}

#[tokio::test]
async fn a_slow_body_under_and_past_the_attempt_timeout() {
    Schedule::one(FaultKind::SlowBody(Duration::from_millis(100)))
        .run()
        .await;
    Schedule::one(FaultKind::SlowBody(ATTEMPT * 2)).run().await;
}

#[tokio::test]
async fn a_consumer_slower_than_the_attempt_timeout_with_faults() {
    Schedule {
        items: 2_000,
        per_page: 250,
        faults: vec![
            FaultRule::new(rate_limited(Some("1")))
                .every(4)
                .only(INTENTS),
            FaultRule::new(FaultKind::DropConnection)
                .every(5)
                .only(INTENTS),
        ],
        consumer: ATTEMPT + ATTEMPT / 4,
        max_attempts: RetryPolicy::default().max_attempts,
    }
    .run()
    .await;
}

/// Every fault kind the chaos walks draw from.
fn any_fault() -> impl Strategy<Value = FaultKind> {
    let retry_after = prop_oneof![
        Just(None),
        Just(Some("0".to_string())),
        Just(Some("1".to_string())),
        Just(Some("garbage".to_string())),
        Just(Some("18446744073709551615".to_string())),
        Just(()).prop_map(|()| Some(http_date_in(1))),
    ];
    prop_oneof![
        retry_after.prop_map(|retry_after| FaultKind::Status {
            code: 429,
            retry_after
        }),
        Just(FaultKind::KongError {
            code: 429,
            retry_after: None
        }),
        Just(FaultKind::HtmlErrorPage { code: 502 }),
        Just(FaultKind::HtmlErrorPage { code: 503 }),
        Just(FaultKind::EmptyBody { code: 503 }),
        Just(FaultKind::TextBody { code: 502 }),
        Just(FaultKind::Status {
            code: 504,
            retry_after: None
        }),
        Just(FaultKind::DropConnection),
        Just(FaultKind::TruncatedBody),
        Just(FaultKind::Delay(Duration::from_millis(100))),
        Just(FaultKind::Delay(ATTEMPT * 2)),
        Just(FaultKind::SlowBody(Duration::from_millis(100))),
        Just(FaultKind::SlowBody(ATTEMPT * 2)),
    ]
}

fn any_schedule() -> impl Strategy<Value = Schedule> {
    let rules = prop::collection::vec((any_fault(), 3u32..=8), 1..=3);
    (
        rules,
        prop_oneof![Just(100i64), Just(250)],
        prop::bool::weighted(0.25),
    )
        .prop_map(|(rules, per_page, slow)| Schedule {
            items: 2_000,
            per_page,
            faults: rules
                .into_iter()
                .map(|(kind, k)| FaultRule::new(kind).every(k).only(INTENTS))
                .collect(),
            consumer: if slow {
                ATTEMPT + ATTEMPT / 4
            } else {
                Duration::ZERO
            },
            // Three stacked rules can fail a page's first attempts together;
            // enough attempts that a schedule cannot exhaust them.
            max_attempts: 10,
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 6,
        max_shrink_iters: 8,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_fault_schedules_yield_every_item_once(schedule in any_schedule()) {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(schedule.run());
    }
}
