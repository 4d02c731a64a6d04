//! Running the built `ingo` binary against an in-process sandbox.

#![allow(dead_code, reason = "each test file uses a part of the helpers")]

use std::collections::HashSet;

use assert_cmd::Command;
use ingo_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

/// Credentials distinctive enough to search the output for.
pub const API_KEY: &str = "cli-test-api-key-7f3e9a1d5b";
pub const HMAC_USERNAME: &str = "cli-test-user";
pub const HMAC_SECRET: &str = "cli-test-secret-c4e8b2f6a0d9";

pub fn sandbox_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start_with(SandboxConfig {
        api_key: Some(API_KEY.into()),
        hmac_username: Some(HMAC_USERNAME.into()),
        hmac_secret: Some(HMAC_SECRET.into()),
        ..config
    })
    .expect("start the sandbox")
}

pub fn sandbox() -> Sandbox {
    sandbox_with(SandboxConfig::default())
}

/// `ingo` with no INGO_* from the test's own environment.
pub fn bare() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingo"));
    for var in [
        "INGO_BASE_URL",
        "INGO_API_KEY",
        "INGO_HMAC_USERNAME",
        "INGO_HMAC_SECRET",
        "INGO_SPEC",
        "INGO_DRIFT_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.timeout(std::time::Duration::from_secs(120));
    cmd
}

/// `ingo` pointed at `sandbox` through the environment, unpaced.
pub fn ingo(sandbox: &Sandbox) -> Command {
    let mut cmd = bare();
    let creds = sandbox.credentials();
    cmd.env("INGO_BASE_URL", sandbox.base_url())
        .env("INGO_API_KEY", &creds.api_key)
        .env("INGO_HMAC_USERNAME", &creds.hmac_username)
        .env("INGO_HMAC_SECRET", &creds.hmac_secret)
        .env("NO_COLOR", "1")
        .args(["--rate-limit", "0"]);
    cmd
}

/// Run, expect exit 0, and return stdout.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run ingo");
    assert!(
        out.status.success(),
        "ingo failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The items of a json output (an array).
pub fn json_items(text: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(text).expect("json output") {
        Value::Array(items) => items,
        other => panic!("expected an array, got {other}"),
    }
}

pub fn ndjson_items(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// The `field` of every item.
pub fn field<'a>(items: &'a [Value], field: &str) -> Vec<&'a str> {
    items
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default())
        .collect()
}

pub fn assert_distinct(ids: &[&str]) {
    let set: HashSet<&&str> = ids.iter().collect();
    assert_eq!(set.len(), ids.len(), "ids repeat");
    assert!(ids.iter().all(|id| !id.is_empty()), "an id is empty");
}
