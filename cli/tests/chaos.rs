//! `ingo … --all` at the CLI's defaults (pacing at 5/s, 3 retries, 30 s per
//! attempt, prefetch) against a sandbox injecting each fault a real gateway
//! produces, every third request: the export completes with every item
//! exactly once, and exits 0.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use ingo_sandbox::{FaultKind, FaultRule, SandboxConfig};

const ITEMS: u64 = 2_500;

/// `ingo` pointed at `sandbox`, with nothing but the connection set.
fn ingo_at_defaults(sandbox: &ingo_sandbox::Sandbox) -> assert_cmd::Command {
    let mut cmd = common::bare();
    let creds = sandbox.credentials();
    cmd.env("INGO_BASE_URL", sandbox.base_url())
        .env("INGO_API_KEY", &creds.api_key)
        .env("INGO_HMAC_USERNAME", &creds.hmac_username)
        .env("INGO_HMAC_SECRET", &creds.hmac_secret);
    cmd
}

fn export_through(fault: FaultKind) {
    let sandbox = common::sandbox_with(SandboxConfig {
        payment_intents: ITEMS,
        ..Default::default()
    });
    sandbox.faults().add(
        FaultRule::new(fault.clone())
            .every(3)
            .only("/payment-intent/program/all"),
    );
    let output = ingo_at_defaults(&sandbox)
        .args(["payment-intents", "list", "--all", "--output", "ndjson"])
        .output()
        .expect("ingo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{fault:?}: {stderr}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let ids: Vec<String> = stdout
        .lines()
        .map(|line| {
            let item: serde_json::Value = serde_json::from_str(line).expect("ndjson");
            item["id"].as_str().expect("an id").to_string()
        })
        .collect();
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len() as u64, ITEMS, "{fault:?}: lines");
    assert_eq!(distinct.len() as u64, ITEMS, "{fault:?}: distinct ids");
    let log = sandbox.requests();
    assert!(
        log.iter().any(|r| !r.faults.is_empty()),
        "{fault:?}: no fault fired"
    );
}

fn rate_limited(retry_after: Option<&str>) -> FaultKind {
    FaultKind::Status {
        code: 429,
        retry_after: retry_after.map(str::to_string),
    }
}

#[test]
fn rate_limits_with_every_kind_of_retry_after() {
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(1));
    for retry_after in [
        None,
        Some("0"),
        Some("1"),
        Some(date.as_str()),
        Some("garbage"),
        Some("18446744073709551615"),
    ] {
        export_through(rate_limited(retry_after));
    }
    export_through(FaultKind::KongError {
        code: 429,
        retry_after: None,
    });
}

#[test]
fn proxy_error_pages() {
    export_through(FaultKind::HtmlErrorPage { code: 502 });
    export_through(FaultKind::HtmlErrorPage { code: 503 });
    export_through(FaultKind::EmptyBody { code: 503 });
    export_through(FaultKind::TextBody { code: 502 });
}

#[test]
fn broken_and_slow_bodies() {
    export_through(FaultKind::DropConnection);
    export_through(FaultKind::TruncatedBody);
    export_through(FaultKind::Delay(Duration::from_millis(500)));
    export_through(FaultKind::SlowBody(Duration::from_millis(500)));
}
