//! The rate budget shared through a real `redis-server` (feature `redis`),
//! started by these tests on a free loopback port: worker processes (this
//! binary run again, see `common/workers.rs`) on one key, against one
//! sandbox, at the defaults (pacing at 5/s, retries, prefetch as the CLI
//! walks), each test under an outer timeout. The tests run one at a time:
//! they measure time on a 2-core host.
#![cfg(feature = "redis")]

mod common;
#[path = "common/redis.rs"]
mod redis;
#[path = "common/workers.rs"]
mod workers;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ingo_banking::{Client, Error, RedisLimiter};
use ingo_sandbox::{FaultRule, Sandbox, SandboxConfig};
use redis::RedisServer;
use workers::{Finished, Job};

/// Far past what any test here needs: reaching it means a hang.
const HANG: Duration = Duration::from_secs(120);
/// The harness arguments that run only [`worker`] in a child.
const WORKER_ARGS: &[&str] = &["worker", "--exact", "--nocapture", "--test-threads=1", "-q"];
/// The one-second window the sandbox's gateway counts in (Kong's).
const SECOND: Duration = Duration::from_secs(1);

/// A worker process's job, when this binary was started as one; else nothing.
#[test]
fn worker() {
    workers::run_if_worker();
}

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Run an in-process test on a runtime of its own (two workers, as the host has two cores).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// A sandbox whose gateway admits at most 5 starts in any sliding second
/// (Kong's plugin) and refuses more with 429: a log without 429s had no
/// second with more than 5 starts.
fn kong_gateway(payment_intents: u64) -> Sandbox {
    common::sandbox_with(SandboxConfig {
        rate_limit: Some(5),
        payment_intents,
        ..Default::default()
    })
}

fn calls(n: u32, user: &str) -> Job {
    Job::Calls {
        n,
        user: user.into(),
    }
}

/// Start one worker per job against `sandbox`, all on `redis`'s budget.
fn start_workers(sandbox: &Sandbox, redis: &RedisServer, jobs: &[Job]) -> Vec<workers::Worker> {
    workers::spawn_all(WORKER_ARGS, sandbox, &redis.url(), jobs)
}

/// Run one worker per job against `sandbox`, all on `redis`'s budget.
fn run_workers(sandbox: &Sandbox, redis: &RedisServer, jobs: &[Job]) -> Vec<Finished> {
    workers::finish_all(start_workers(sandbox, redis, jobs), Instant::now() + HANG)
}

fn refusals(sandbox: &Sandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count()
}

fn assert_all_answered(finished: &[Finished], each: u64) {
    for (i, f) in finished.iter().enumerate() {
        assert_eq!(
            (f.report.ok, f.report.error.as_deref()),
            (each, None),
            "worker {i}:\n{}",
            f.stderr
        );
    }
}

/// The user a logged `list_contacts` call was for.
fn user_of(record: &ingo_sandbox::RequestRecord) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(&record.body).ok()?;
    body.get("user_id")?.as_str().map(str::to_string)
}

/// Three processes, one key, 40 calls each: the gateway sees at most 5
/// starts in any second (not one 429), and every call succeeds.
#[test]
fn three_processes_on_one_key_stay_within_its_budget() {
    let _serial = serial();
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sandbox = kong_gateway(100);
    let jobs = [
        calls(40, "user-a"),
        calls(40, "user-b"),
        calls(40, "user-c"),
    ];
    let started = Instant::now();
    let (finished, arrived) = workers::arrivals(&sandbox, || run_workers(&sandbox, &redis, &jobs));
    let took = started.elapsed();
    assert_all_answered(&finished, 40);
    let log = sandbox.requests();
    let busiest = workers::most_in_window(&arrived, SECOND);
    eprintln!(
        "120 calls from 3 processes in {took:?}: {} requests, busiest second (as watched) {busiest}",
        log.len()
    );
    assert_eq!(
        refusals(&sandbox),
        0,
        "the gateway saw a second with more than 5 starts"
    );
    assert_eq!(log.len(), 120, "one request per call");
    // The shared budget, not three: 120 starts at 5/s take about 24 s.
    assert!(took >= Duration::from_secs(22), "{took:?}");
}

/// A `Retry-After: 2` answered to one process holds the others too: after the
/// slots already handed out, nobody starts until the hold ends.
#[test]
fn a_retry_after_answered_to_one_process_holds_the_others() {
    let _serial = serial();
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sandbox = common::sandbox_with(SandboxConfig::default());
    let jobs = [
        calls(12, "user-a"),
        calls(12, "user-b"),
        calls(12, "user-c"),
    ];
    let (finished, arrived) = workers::arrivals(&sandbox, || {
        let running = start_workers(&sandbox, &redis, &jobs);
        // Mid-run, the next request (whoever sends it) is answered 429, Retry-After: 2.
        let deadline = Instant::now() + HANG;
        while sandbox.requests().len() < 10 {
            assert!(Instant::now() < deadline, "the workers did not start");
            std::thread::sleep(Duration::from_millis(5));
        }
        sandbox
            .faults()
            .add(FaultRule::status(429, Some("2")).first(1));
        workers::finish_all(running, Instant::now() + HANG)
    });
    assert_all_answered(&finished, 12);
    let log = sandbox.requests();
    let held = log
        .iter()
        .position(|r| r.status == 429)
        .expect("one request was answered 429");
    let (at, who) = (arrived[held], user_of(&log[held]));
    let others: Vec<Duration> = log
        .iter()
        .zip(&arrived)
        .filter(|(r, t)| user_of(r) != who && **t > at)
        .map(|(_, t)| t.duration_since(at))
        .collect();
    eprintln!("429 to {who:?}; the others' next starts after it: {others:?}");
    // Slots handed out before the hold (at most two intervals ahead, 420 ms)
    // still start; nothing else does until the hold's end, 2 s after the 429.
    let during: Vec<_> = others
        .iter()
        .filter(|d| **d > Duration::from_millis(600) && **d < Duration::from_millis(1_900))
        .collect();
    assert!(
        during.is_empty(),
        "others started during the hold: {during:?}"
    );
    assert!(
        others.iter().any(|d| *d >= Duration::from_millis(1_900)),
        "the others resumed after the hold"
    );
}

/// `SCRIPT FLUSH` again and again mid-run: the scripts are loaded again, no
/// call is lost, the budget holds, and no process falls back.
#[test]
fn scripts_flushed_mid_run_lose_nothing() {
    let _serial = serial();
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sandbox = kong_gateway(100);
    let jobs = [calls(20, "user-a"), calls(20, "user-b")];
    let running = start_workers(&sandbox, &redis, &jobs);
    let mut flushes = 0;
    let deadline = Instant::now() + HANG;
    while sandbox.requests().len() < 36 {
        assert!(Instant::now() < deadline, "the workers stalled");
        if sandbox.requests().len() >= 4 {
            let flushed = redis.command(&["SCRIPT", "FLUSH"]).expect("SCRIPT FLUSH");
            assert_eq!(flushed, redis::Reply::Text("OK".into()));
            flushes += 1;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let finished = workers::finish_all(running, deadline);
    assert!(flushes >= 5, "{flushes} flushes");
    assert_all_answered(&finished, 20);
    for f in &finished {
        assert!(
            !f.stderr.contains("unavailable"),
            "fell back:\n{}",
            f.stderr
        );
    }
    assert_eq!(refusals(&sandbox), 0);
    assert_eq!(sandbox.requests().len(), 40);
}

/// Redis killed mid-run: every walk completes through the in-process
/// fallback, every item once; restarted, Redis is used again by every process.
#[test]
fn redis_killed_mid_run_loses_no_item_and_sharing_resumes() {
    let _serial = serial();
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let sandbox = kong_gateway(300);
    let jobs = [
        Job::Walk { per_page: 10 },
        Job::Walk { per_page: 10 },
        Job::Walk { per_page: 10 },
    ];
    let running = start_workers(&sandbox, &redis, &jobs);
    let deadline = Instant::now() + HANG;
    let wait_for = |n: usize| {
        while sandbox.requests().len() < n {
            assert!(Instant::now() < deadline, "the walks stalled");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait_for(12);
    redis.kill();
    // Past the slots Redis handed out before it died, each process paces
    // alone at its share: 1/3, as Redis last counted the sharers. Their sum
    // stays within the budget (5/s; 0.5 each would make 7.5/s). A slower
    // machine only lowers the rate.
    let killed_at = sandbox.requests().len();
    wait_for(killed_at + 6);
    let (counted_from, since) = (sandbox.requests().len(), Instant::now());
    wait_for(counted_from + 20);
    let outage_rate =
        (sandbox.requests().len() - counted_from) as f64 / since.elapsed().as_secs_f64();
    assert!(
        outage_rate <= 5.5,
        "{outage_rate:.2} starts/s while Redis was down: over the budget"
    );
    redis.restart();
    // Sharing resumes: the budget's key is written again, within a few probes.
    let restarted = Instant::now();
    while redis.keys("ingo-banking:*").is_empty() {
        assert!(
            restarted.elapsed() < Duration::from_secs(10),
            "no process used Redis again"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let finished = workers::finish_all(running, deadline);
    for (i, f) in finished.iter().enumerate() {
        let r = &f.report;
        assert_eq!(
            (r.ok, r.distinct, r.error.as_deref()),
            (300, 300, None),
            "worker {i}:\n{}",
            f.stderr
        );
        let warnings = f.stderr.matches("is unavailable").count();
        assert_eq!(warnings, 1, "one warning per outage:\n{}", f.stderr);
        assert!(f.stderr.contains("is back"), "worker {i}:\n{}", f.stderr);
    }
    eprintln!(
        "{} requests, {} refused by the gateway; {outage_rate:.2} starts/s while Redis was down",
        sandbox.requests().len(),
        refusals(&sandbox)
    );
}

/// A client of `sandbox` pacing through the Redis at `url`.
fn redis_client(sandbox: &Sandbox, limiter: RedisLimiter) -> Client {
    common::defaults(sandbox)
        .rate_limiter(limiter)
        .build()
        .expect("client builds")
}

async fn one_call(client: &Client) -> Result<(), Error> {
    workers::one_call(client, "user-demo").await
}

/// Two keys on one Redis: two budgets. 15 calls on each, at the same time,
/// take as long as 15 calls (not 30), and Redis holds two keys that name no
/// credential.
#[test]
fn two_keys_share_nothing() {
    let _serial = serial();
    let Some(redis) = RedisServer::start() else {
        return;
    };
    block_on(async {
        let sandboxes: Vec<Sandbox> = ["one", "two"]
            .into_iter()
            .map(|name| {
                common::sandbox_with(SandboxConfig {
                    api_key: Some(format!("key-{name}")),
                    hmac_username: Some(format!("user-{name}")),
                    ..Default::default()
                })
            })
            .collect();
        let clients: Vec<Client> = sandboxes
            .iter()
            .map(|s| redis_client(s, RedisLimiter::new(&redis.url()).expect("URL")))
            .collect();
        let started = Instant::now();
        let both = futures::future::try_join_all(clients.iter().map(|client| async move {
            for _ in 0..15 {
                one_call(client).await?;
            }
            Ok::<(), Error>(())
        }));
        tokio::time::timeout(HANG, both)
            .await
            .expect("hang")
            .expect("every call succeeds");
        let took = started.elapsed();
        // One budget each: 14 intervals of 210 ms (2.9 s); shared, twice that.
        assert!(took < Duration::from_millis(4_500), "{took:?}");
        // Per budget: its pace, and the set of the limiters that share it.
        let keys = redis.keys("*");
        assert_eq!(keys.len(), 4, "{keys:?}");
        let tags: std::collections::BTreeSet<&str> = keys
            .iter()
            .filter_map(|k| k.split_once('{')?.1.split_once('}').map(|(tag, _)| tag))
            .collect();
        assert_eq!(tags.len(), 2, "two budgets, one hash tag each: {keys:?}");
        for key in &keys {
            assert!(
                key.starts_with("ingo-banking:{")
                    && (key.ends_with("}:pace") || key.ends_with("}:sharers")),
                "{key}"
            );
            for credential in ["key-one", "key-two", "user-one", "user-two"] {
                assert!(!key.contains(credential), "{key}");
            }
        }
    });
}

/// Redis unreachable: the default falls back, `fail_open` does not pace,
/// `fail_closed` refuses with a typed error naming Redis and sends nothing;
/// none waits past the call's deadline.
#[test]
fn redis_unreachable_falls_back_fails_open_or_fails_closed() {
    let _serial = serial();
    block_on(async {
        let sandbox = common::sandbox();
        let nowhere = format!("redis://127.0.0.1:{}/0", redis::free_port());
        let limiter = || RedisLimiter::new(&nowhere).expect("URL");
        let limit = Duration::from_secs(20);
        for client in [
            redis_client(&sandbox, limiter()),
            redis_client(&sandbox, limiter().fail_open()),
        ] {
            tokio::time::timeout(limit, one_call(&client))
                .await
                .expect("hang")
                .expect("paced without Redis");
        }
        let sent = sandbox.requests().len();
        let closed = redis_client(&sandbox, limiter().fail_closed());
        let error = tokio::time::timeout(limit, one_call(&closed))
            .await
            .expect("hang")
            .expect_err("fails closed");
        assert!(
            matches!(&error, Error::RateLimiterUnavailable { limiter, .. } if limiter == "Redis"),
            "{error:?}"
        );
        assert!(error.to_string().contains("Redis"), "{error}");
        assert_eq!(sandbox.requests().len(), sent, "nothing was sent");
    });
}

/// A frozen Redis (SIGSTOP: connected, silent) costs each call at most the
/// limiter's timeout before the fallback paces it; thawed, it is used again.
#[test]
fn a_frozen_redis_costs_a_timeout_not_a_hang() {
    let _serial = serial();
    let Some(redis) = RedisServer::start() else {
        return;
    };
    block_on(async {
        let sandbox = common::sandbox();
        let client = redis_client(&sandbox, RedisLimiter::new(&redis.url()).expect("URL"));
        let run = |n| {
            let client = &client;
            async move {
                for _ in 0..n {
                    let started = Instant::now();
                    tokio::time::timeout(HANG, one_call(client))
                        .await
                        .expect("hang")
                        .expect("the call succeeds");
                    // The fallback's interval (420 ms at half the rate) plus one timeout.
                    assert!(
                        started.elapsed() < Duration::from_secs(2),
                        "{:?}",
                        started.elapsed()
                    );
                }
            }
        };
        run(3).await;
        redis.pause();
        run(5).await;
        redis.resume();
        // Probes every 500 ms find it again; the budget's key is written once more.
        let _ = redis.command(&["FLUSHALL"]).expect("FLUSHALL");
        let thawed = Instant::now();
        while redis.keys("ingo-banking:*").is_empty() {
            assert!(
                thawed.elapsed() < Duration::from_secs(10),
                "Redis not used again"
            );
            run(1).await;
        }
    });
}

/// `Client::from_env` reads INGO_RATE_LIMIT_URL: a URL that is not Redis's is
/// refused, naming the variable and Redis, never repeating the URL.
#[test]
fn from_env_refuses_a_url_that_is_not_redis() {
    let sandbox = common::sandbox();
    let worker = workers::spawn(
        WORKER_ARGS,
        &sandbox,
        Some("http://user:hunter2@example.com/0"),
        &calls(1, "user-a"),
    );
    let finished = worker.finish(Instant::now() + HANG);
    let error = finished.report.error.expect("refused");
    assert!(
        error.contains("INGO_RATE_LIMIT_URL")
            && error.contains("Redis")
            && !error.contains("hunter2"),
        "{error}"
    );
    assert!(sandbox.requests().is_empty());
}
