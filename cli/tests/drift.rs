//! `--drift-log FILE` (and `INGO_DRIFT_LOG`): a walk against a sandbox that
//! sends what the spec does not describe leaves the drift in FILE.

mod common;

use common::{API_KEY, HMAC_SECRET, HMAC_USERNAME, ingo, ndjson_items, sandbox_with, stdout_of};
use ingo_sandbox::{FaultKind, SandboxConfig};
use serde_json::Value;

fn drift_log(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "ingo-cli-drift-{}-{name}.ndjson",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

fn logged(path: &std::path::Path) -> (String, Vec<Value>) {
    let text = std::fs::read_to_string(path).expect("the drift log was written");
    let lines = ndjson_items(&text);
    (text, lines)
}

#[test]
fn a_walk_with_drift_log_records_the_drift_and_no_credential() {
    let sb = sandbox_with(SandboxConfig {
        payment_intents: 120,
        faults: vec![
            FaultKind::ExtraFields.into(),
            FaultKind::UnknownEnumValue.into(),
        ],
        ..Default::default()
    });
    let path = drift_log("flag");
    let out = stdout_of(
        ingo(&sb)
            .args([
                "payment-intents",
                "list",
                "--all",
                "--output",
                "ndjson",
                "--drift-log",
            ])
            .arg(&path),
    );
    assert_eq!(ndjson_items(&out).len(), 120);
    let (text, lines) = logged(&path);
    let at = |path: &str| -> &Value {
        lines
            .iter()
            .find(|l| l["path"] == path)
            .unwrap_or_else(|| panic!("no {path} in {text}"))
    };
    assert_eq!(at("data.items[].risk_score")["count"], 120);
    assert_eq!(
        at("data.items[].risk_score")["json_types"],
        serde_json::json!(["number"])
    );
    assert_eq!(at("data.items[].status")["value"], "under_review");
    assert!(
        lines
            .iter()
            .all(|l| l["operation"] == "list_payment_intents")
    );
    for secret in [API_KEY, HMAC_USERNAME, HMAC_SECRET] {
        assert!(!text.contains(secret));
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn ingo_drift_log_in_the_environment_does_the_same() {
    let sb = sandbox_with(SandboxConfig {
        payment_intents: 10,
        faults: vec![FaultKind::ExtraFields.into()],
        ..Default::default()
    });
    let path = drift_log("env");
    stdout_of(
        ingo(&sb)
            .env("INGO_DRIFT_LOG", &path)
            .args(["payment-intents", "list"]),
    );
    let (_, lines) = logged(&path);
    assert!(
        lines
            .iter()
            .any(|l| l["path"] == "data.items[].risk_score" && l["count"] == 10)
    );
    let _ = std::fs::remove_file(&path);
}
