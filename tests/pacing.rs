//! Pacing against gateways at the defaults a user gets (pacing at 5/s,
//! retries, prefetch on), each walk under an outer timeout: a gateway
//! stricter than documented (nginx's `limit_req` at 5 r/s with no burst) is
//! met with a few 429s, not half the requests, and costs little time, by the
//! in-process pacer and (feature `redis`) by the shared limiter.

mod common;
#[cfg(feature = "redis")]
#[path = "common/redis.rs"]
mod redis;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use ingo_banking::ClientBuilder;
use ingo_sandbox::{RateLimitMode, SandboxConfig};

/// Far longer than any walk here needs; reaching it means a hang.
const HANG: Duration = Duration::from_secs(120);

/// The case: 62 pages of 10 through a strict limiter at 5 r/s, by a
/// client `configure` makes from the defaults.
async fn walk_a_strict_gateway(configure: impl FnOnce(ClientBuilder) -> ClientBuilder) {
    const RATE: u32 = 5;
    const PAGES: u64 = 62;
    let sandbox = common::sandbox_with(SandboxConfig {
        payment_intents: PAGES * 10,
        rate_limit: Some(RATE),
        rate_limit_mode: RateLimitMode::Strict,
        ..Default::default()
    });
    let client = configure(common::defaults(&sandbox)).build().unwrap();
    let started = Instant::now();
    let walk = client
        .list_payment_intents()
        .per_page(10)
        .items()
        .prefetch(true)
        .map_ok(|pi| pi.id)
        .try_collect::<Vec<_>>();
    let ids = tokio::time::timeout(HANG, walk)
        .await
        .expect("the walk hangs")
        .expect("the walk fails");
    let took = started.elapsed();
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), distinct.len()), (620, 620), "every item once");
    let log = sandbox.requests();
    let refused = log.iter().filter(|r| r.status == 429).count();
    // What the gateway allows: one start every 1/RATE s.
    let ideal = Duration::from_secs(PAGES) / RATE;
    eprintln!("{PAGES} pages in {took:?} (ideal {ideal:?}), {refused} refused");
    assert_eq!(
        log.len() - refused,
        PAGES as usize,
        "each page answered once"
    );
    assert!(refused <= 10, "{refused} refusals");
    assert!(
        took <= ideal.mul_f64(1.25),
        "{took:?}, more than 1.25 x the ideal {ideal:?}"
    );
}

#[tokio::test]
async fn a_strict_gateway_costs_a_few_refusals_and_little_time() {
    walk_a_strict_gateway(|defaults| defaults).await;
}

/// The same through a real `redis-server` (started here on a free loopback port).
#[cfg(feature = "redis")]
#[tokio::test]
async fn a_strict_gateway_through_redis_costs_a_few_refusals() {
    let Some(redis) = redis::RedisServer::start() else {
        return;
    };
    let limiter = ingo_banking::RedisLimiter::new(&redis.url()).unwrap();
    walk_a_strict_gateway(|defaults| defaults.rate_limiter(limiter)).await;
}
