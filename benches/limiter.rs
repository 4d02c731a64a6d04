//! The shared limiter (feature `redis`) against the in-process pacer, with a
//! real `redis-server` started here on a free loopback port. Prints figures,
//! asserts nothing. Run: `cargo bench --features redis --bench limiter`.
//!
//! 1. Per-request overhead: `acquire` + `answered` alone, and whole calls
//!    against a local sandbox, with no pacing, the in-process pacer and the
//!    Redis limiter, both at a rate too high to wait (so what is timed is the
//!    limiter's own work: a mutex, or one round trip to Redis). Rounds
//!    alternate; medians.
//! 2. The aggregate start rate of N = 1, 3 and 8 processes (this binary run
//!    again) sharing one key at 5/s: starts timed at the sandbox.

#[path = "../tests/common/redis.rs"]
mod redis;
#[path = "../tests/common/workers.rs"]
mod workers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ingo_banking::{
    Client, Credentials, IntoLimiter, Limiter, LimiterSetup, LocalLimiter, RateLimit, RedisLimiter,
};
use ingo_sandbox::{Sandbox, SandboxConfig};
use workers::Job;

/// Rounds of each measurement, alternating the variants.
const ROUNDS: usize = 7;
/// Acquires per round, limiter alone.
const ACQUIRES: usize = 5_000;
/// Calls per round, end to end.
const CALLS: usize = 500;
/// A rate no limiter waits for (interval 0).
const UNLIMITED: u32 = u32::MAX;
/// The calls all processes make together, at N processes.
const STARTS: u32 = 48;

fn main() {
    if workers::run_if_worker() {
        return;
    }
    let Some(redis) = redis::RedisServer::start() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(overhead(&redis));
    drop(runtime);
    aggregate(&redis);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn credentials(sandbox: &Sandbox) -> Credentials {
    let c = sandbox.credentials();
    Credentials::new(&c.api_key, &c.hmac_username, &c.hmac_secret).expect("credentials")
}

async fn overhead(redis: &redis::RedisServer) {
    let sandbox = Sandbox::start_with(SandboxConfig::default()).expect("sandbox");
    let unlimited = RateLimit::per_second(UNLIMITED);
    let setup = LimiterSetup::new(unlimited, &credentials(&sandbox));
    let local: Arc<dyn Limiter> = LocalLimiter::new(unlimited)
        .expect("limit")
        .into_limiter(&setup)
        .expect("limiter");
    let shared: Arc<dyn Limiter> = RedisLimiter::new(&redis.url())
        .expect("URL")
        .into_limiter(&setup)
        .expect("limiter");
    let time_acquires = |limiter: Arc<dyn Limiter>| async move {
        let t = Instant::now();
        for _ in 0..ACQUIRES {
            limiter.acquire(None).await.expect("a slot");
            limiter.answered();
        }
        t.elapsed().as_nanos() as f64 / ACQUIRES as f64 / 1_000.0
    };
    // Warm-up: connection, scripts loaded.
    time_acquires(shared.clone()).await;
    let (mut l, mut r) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        l.push(time_acquires(local.clone()).await);
        r.push(time_acquires(shared.clone()).await);
    }
    let (l, r) = (median(l), median(r));
    println!("limiter alone: acquire + answered, {ACQUIRES} per round, median of {ROUNDS} rounds");
    println!("  in-process pacer  {l:>9.2} µs");
    println!("  Redis limiter     {r:>9.2} µs   ratio {:.1}", r / l);
    if redis.keys("ingo-banking:*").len() != 1 {
        println!("  (warning: the Redis limiter fell back; its figure is the fallback's)");
    }

    let client = |limiter: Option<Arc<dyn Limiter>>| {
        let builder = Client::builder()
            .base_url(sandbox.base_url())
            .credentials(credentials(&sandbox));
        match limiter {
            None => builder.rate_limit(None),
            Some(limiter) => builder.rate_limit(Some(unlimited)).rate_limiter(limiter),
        }
        .build()
        .expect("client")
    };
    let clients = [client(None), client(Some(local)), client(Some(shared))];
    let time_calls = |client: &Client| {
        let client = client.clone();
        async move {
            let t = Instant::now();
            for _ in 0..CALLS {
                workers::one_call(&client, "user-demo")
                    .await
                    .expect("a call");
            }
            t.elapsed().as_nanos() as f64 / CALLS as f64 / 1_000.0
        }
    };
    for c in &clients {
        time_calls(c).await;
    }
    let mut per = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for (c, v) in clients.iter().zip(per.iter_mut()) {
            v.push(time_calls(c).await);
        }
    }
    let [none, local, shared] = per.map(median);
    println!(
        "whole calls against the sandbox, {CALLS} sequential per round, median of {ROUNDS} rounds"
    );
    println!("  no pacing         {none:>9.1} µs");
    println!("  in-process pacer  {local:>9.1} µs");
    println!(
        "  Redis limiter     {shared:>9.1} µs   ratio {:.2} (Redis / in-process), +{:.1} µs per call",
        shared / local,
        shared - local
    );
}

fn aggregate(redis: &redis::RedisServer) {
    println!(
        "aggregate start rate at one key, limit 5/s, {STARTS} calls in all, timed at the sandbox"
    );
    for n in [1u32, 3, 8] {
        let _ = redis.command(&["FLUSHALL"]);
        let sandbox = Sandbox::start_with(SandboxConfig::default()).expect("sandbox");
        let url = redis.url();
        let (_, arrived) = workers::arrivals(&sandbox, || {
            let running: Vec<_> = (0..n)
                .map(|i| {
                    let job = Job::Calls {
                        n: STARTS / n,
                        user: format!("user-{i}"),
                    };
                    workers::spawn(&[], &sandbox, Some(&url), &job)
                })
                .collect();
            let deadline = Instant::now() + Duration::from_secs(120);
            for w in running {
                let done = w.finish(deadline);
                if let Some(e) = done.report.error {
                    println!("  (a worker failed: {e})");
                }
            }
        });
        let (Some(first), Some(last)) = (arrived.first(), arrived.last()) else {
            println!("  N = {n}: no request arrived");
            continue;
        };
        let busy = last.duration_since(*first).as_secs_f64();
        let rate = (arrived.len() - 1) as f64 / busy;
        let busiest = workers::most_in_window(&arrived, Duration::from_secs(1));
        let refused = sandbox
            .requests()
            .iter()
            .filter(|r| r.status != 200)
            .count();
        println!(
            "  N = {n}: {} starts in {busy:.2} s: {rate:.2}/s ({:.0} % of the limit), busiest second {busiest}, {refused} not 200",
            arrived.len(),
            rate / 5.0 * 100.0
        );
    }
}
