//! `--rate-limit-url` (and INGO_RATE_LIMIT_URL): two `ingo` processes, at the
//! CLI's defaults otherwise, export through one budget kept in a real
//! `redis-server` (started here on a free loopback port), against a gateway
//! that refuses a sixth start in any second; and the flag's refusals.

mod common;
#[path = "../../tests/common/redis.rs"]
mod redis;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ingo_sandbox::SandboxConfig;

/// Far past what the exports need: reaching it means a hang.
const HANG: Duration = Duration::from_secs(120);

/// `ingo` for `sandbox`, with nothing else from the test's environment.
fn ingo(sandbox: &ingo_sandbox::Sandbox) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingo"));
    let creds = sandbox.credentials();
    cmd.env_remove("INGO_RATE_LIMIT_URL")
        .env_remove("INGO_SPEC")
        .env("INGO_BASE_URL", sandbox.base_url())
        .env("INGO_API_KEY", &creds.api_key)
        .env("INGO_HMAC_USERNAME", &creds.hmac_username)
        .env("INGO_HMAC_SECRET", &creds.hmac_secret)
        .stdin(Stdio::null());
    cmd
}

#[test]
fn two_exports_share_one_budget_through_redis() {
    let Some(redis) = redis::RedisServer::start() else {
        return;
    };
    // Kong's plugin: a sixth start within any second is refused with 429.
    let sandbox = common::sandbox_with(SandboxConfig {
        payment_intents: 200,
        rate_limit: Some(5),
        ..Default::default()
    });
    let export = |via_env: bool| {
        let mut cmd = ingo(&sandbox);
        cmd.args(["payment-intents", "list", "--all", "--per-page", "10"])
            .args(["--output", "ndjson"]);
        if via_env {
            cmd.env("INGO_RATE_LIMIT_URL", redis.url());
        } else {
            cmd.args(["--rate-limit-url", &redis.url()]);
        }
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ingo runs")
    };
    let started = Instant::now();
    // Each read on its own thread: an export's stdout outgrows a pipe's buffer.
    let (done, finished) = std::sync::mpsc::channel();
    let mut pids = Vec::new();
    for child in [export(false), export(true)] {
        pids.push(child.id().to_string());
        let done = done.clone();
        std::thread::spawn(move || done.send(child.wait_with_output()));
    }
    let outputs: Vec<_> = (0..2)
        .map(|_| match finished.recv_timeout(HANG) {
            Ok(output) => output.expect("output"),
            Err(_) => {
                let _ = Command::new("kill").arg("-9").args(&pids).status();
                panic!("an export hung (killed at the outer timeout)");
            }
        })
        .collect();
    for output in &outputs {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        let items = common::ndjson_items(&String::from_utf8_lossy(&output.stdout));
        let ids: HashSet<&str> = common::field(&items, "id").into_iter().collect();
        assert_eq!((items.len(), ids.len()), (200, 200), "every item once");
    }
    let log = sandbox.requests();
    let refused = log.iter().filter(|r| r.status == 429).count();
    assert_eq!(refused, 0, "the gateway saw more than 5 starts in a second");
    // 40 pages on one budget of 5/s: about 8 s, not the 4 s of two budgets.
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(7), "{took:?}");
}

#[test]
fn a_url_that_is_not_redis_is_refused_without_echoing_it() {
    let sandbox = common::sandbox();
    let output = ingo(&sandbox)
        .args(["payment-intents", "list"])
        .args(["--rate-limit-url", "http://user:hunter2@example.com/0"])
        .output()
        .expect("ingo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("Redis") && !stderr.contains("hunter2"),
        "{stderr}"
    );
    let output = ingo(&sandbox)
        .args(["payment-intents", "list", "--rate-limit", "0"])
        .env("INGO_RATE_LIMIT_URL", "redis://127.0.0.1:1/0")
        .output()
        .expect("ingo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--rate-limit 0"), "{stderr}");
    assert!(sandbox.requests().is_empty(), "nothing was sent");
}
