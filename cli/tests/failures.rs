//! Exit codes, error messages, and that no output ever holds a credential.

mod common;

use common::*;
use ingo_sandbox::{FaultKind, FaultRule, Sandbox};
use predicates::prelude::*;

const INTENTS: [&str; 2] = ["payment-intents", "list"];

fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/api/v4")
}

#[test]
fn usage_errors_exit_2() {
    let sb = sandbox();
    for bad in [
        &["--per-page", "0"][..],
        &["--per-page", "501"],
        &["--page", "0"],
        &["--direction", "sideways"],
        &["--action", "later"],
        &["--start-date", "yesterday"],
        &["--all", "--page", "2"],
        &["--output", "xml"],
        &[
            "--env",
            "production",
            "--base-url",
            "http://127.0.0.1:1/api/v4",
        ],
        &["--no-such-flag"],
    ] {
        ingo(&sb)
            .args(INTENTS)
            .args(bad)
            .assert()
            .code(2)
            .stdout("");
    }
    // A required flag of the spec.
    ingo(&sb)
        .args(["contacts", "list", "--user-id", "u"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--business-id"));
    // An empty value where the spec says minLength 1.
    ingo(&sb)
        .args(["contacts", "list", "--user-id", "", "--business-id", "b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("must not be empty"));
    // The messages say what is wrong.
    ingo(&sb)
        .args(INTENTS)
        .args(["--per-page", "0"])
        .assert()
        .stderr(predicate::str::contains("0 is not in 1..=500"));
    ingo(&sb)
        .args(INTENTS)
        .args(["--direction", "sideways"])
        .assert()
        .stderr(predicate::str::contains("credit, debit"));
    // Nothing was sent for any of them.
    assert!(sb.requests().is_empty());
}

#[test]
fn missing_credentials_exit_2() {
    let sb = sandbox();
    ingo(&sb)
        .env_remove("INGO_HMAC_SECRET")
        .args(INTENTS)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("INGO_HMAC_SECRET"));
}

#[test]
fn api_rejection_exits_3() {
    let sb = sandbox();
    // The reserved not-found business: the sandbox answers 404 with an error envelope.
    ingo(&sb)
        .args([
            "contacts",
            "list",
            "--user-id",
            "user-nobody",
            "--business-id",
            ingo_sandbox::NOT_FOUND_BUSINESS_ID,
        ])
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("HTTP 404").and(predicate::str::contains("business_id")));
    // An injected 400.
    sb.faults().add(FaultRule::status(400, None).first(1));
    ingo(&sb)
        .args(INTENTS)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("HTTP 400"));
}

#[test]
fn wrong_secret_exits_4() {
    let sb = sandbox();
    ingo(&sb)
        .env("INGO_HMAC_SECRET", "not-the-secret-5d1c")
        .args(INTENTS)
        .assert()
        .code(4)
        .stdout("")
        .stderr(predicate::str::contains("unauthorized (HTTP 401)"));
    ingo(&sb)
        .env("INGO_API_KEY", "not-the-key-88ab")
        .args(INTENTS)
        .assert()
        .code(4);
}

#[test]
fn unreachable_api_exits_5() {
    let started = std::time::Instant::now();
    let mut cmd = bare();
    cmd.env("INGO_BASE_URL", closed_port_url())
        .env("INGO_API_KEY", API_KEY)
        .env("INGO_HMAC_USERNAME", HMAC_USERNAME)
        .env("INGO_HMAC_SECRET", HMAC_SECRET)
        .args(INTENTS)
        .args(["--timeout", "2", "--retries", "0"]);
    cmd.assert()
        .code(5)
        .stdout("")
        .stderr(predicate::str::contains("network error").and(predicate::str::contains("refused")));
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn slow_api_times_out_with_exit_5() {
    let sb = sandbox();
    sb.faults().add(FaultRule::new(FaultKind::Delay(
        std::time::Duration::from_secs(3),
    )));
    ingo(&sb)
        .args(INTENTS)
        .args(["--timeout", "0.5", "--retries", "0"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("timed out"));
}

#[test]
fn malformed_json_exits_6() {
    let sb = sandbox();
    sb.faults().add(FaultRule::new(FaultKind::MalformedJson));
    ingo(&sb)
        .args(INTENTS)
        .assert()
        .code(6)
        .stdout("")
        .stderr(predicate::str::contains("undecodable response"));
}

#[test]
fn a_walk_that_fails_midway_keeps_json_valid_and_exits_6() {
    let sb = sandbox();
    // Page 2 repeats page 1: the walk stops instead of looping.
    sb.faults().add(FaultRule::new(FaultKind::RepeatPage));
    let out = ingo(&sb)
        .args(INTENTS)
        .args(["--all", "--per-page", "10", "-o", "json"])
        .output()
        .expect("run ingo");
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("pagination stopped at page 2"));
    assert_eq!(json_items(&String::from_utf8_lossy(&out.stdout)).len(), 10);
}

/// Every kind of run, with and without -v: stdout and stderr never hold the
/// api key or the secret (nor a wrong secret that was passed).
#[test]
fn no_output_ever_contains_a_credential() {
    let sb = sandbox();
    let wrong_secret = "wrong-secret-e1f0c3a7";
    let failing = Sandbox::start().expect("start a second sandbox");
    failing
        .faults()
        .add(FaultRule::new(FaultKind::MalformedJson));
    let mut runs: Vec<assert_cmd::Command> = Vec::new();
    for verbose in [&[][..], &["-v"], &["-vv"]] {
        let mut ok = ingo(&sb);
        ok.args(INTENTS).args(["--per-page", "3"]).args(verbose);
        runs.push(ok);
        let mut flags = bare();
        flags.args(INTENTS).args(verbose).args([
            "--base-url",
            sb.base_url(),
            "--api-key",
            API_KEY,
            "--hmac-username",
            HMAC_USERNAME,
            "--hmac-secret",
            HMAC_SECRET,
            "--per-page",
            "0",
        ]);
        runs.push(flags);
        let mut unauthorized = ingo(&sb);
        unauthorized
            .env("INGO_HMAC_SECRET", wrong_secret)
            .args(INTENTS)
            .args(verbose);
        runs.push(unauthorized);
        let mut rejected = ingo(&sb);
        rejected
            .args(["contacts", "list", "--user-id", "u", "--business-id", "b"])
            .args(verbose);
        runs.push(rejected);
        let mut undecodable = ingo(&failing);
        undecodable
            .env("INGO_API_KEY", API_KEY)
            .env("INGO_HMAC_USERNAME", HMAC_USERNAME);
        undecodable
            .env("INGO_HMAC_SECRET", HMAC_SECRET)
            .args(INTENTS)
            .args(verbose);
        runs.push(undecodable);
        let mut unreachable = ingo(&sb);
        unreachable.env("INGO_BASE_URL", closed_port_url()).args([
            "--timeout",
            "1",
            "--retries",
            "0",
        ]);
        unreachable.args(INTENTS).args(verbose);
        runs.push(unreachable);
    }
    // A secret that looks like a flag is taken as the value, not echoed as an unknown flag.
    let dashed = "-dash-secret-9b2e";
    let mut dashed_run = ingo(&sb);
    dashed_run
        .args(INTENTS)
        .args(["--hmac-secret", dashed, "--per-page", "0"]);
    runs.push(dashed_run);
    let mut dashed_run = ingo(&sb);
    dashed_run.args(INTENTS).args(["--api-key", dashed, "-v"]);
    runs.push(dashed_run);
    for help in [
        &["--help"][..],
        &["-h"],
        &["payment-intents", "list", "--help"],
        &["list-contacts", "--help"],
    ] {
        let mut cmd = ingo(&sb);
        cmd.args(help);
        runs.push(cmd);
    }
    for (i, mut run) in runs.into_iter().enumerate() {
        let out = run.output().expect("run ingo");
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            for secret in [API_KEY, HMAC_SECRET, wrong_secret, dashed, "dash-secret"] {
                assert!(!text.contains(secret), "run #{i} printed a credential");
            }
        }
    }
}

#[test]
fn help_lists_every_operation_and_the_spec_descriptions() {
    let sb = sandbox();
    ingo(&sb).arg("--help").assert().success().stdout(
        predicate::str::contains("list-contacts")
            .and(predicate::str::contains("list-payment-intents"))
            .and(predicate::str::contains("payment-intents"))
            .and(predicate::str::contains("contacts")),
    );
    ingo(&sb)
        .args(["payment-intents", "list", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Filter by transaction direction.")
                .and(predicate::str::contains("Page size, 1 to 500."))
                .and(predicate::str::contains("--status"))
                .and(predicate::str::contains("[possible values: credit, debit]")),
        );
    ingo(&sb)
        .args(["list-contacts", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Identifier of the target business.",
        ));
}

#[test]
fn a_503_page_that_outlasts_the_retries_exits_5_with_the_status_and_request_id() {
    let sb = sandbox();
    sb.faults()
        .add(FaultRule::new(FaultKind::HtmlErrorPage { code: 503 }));
    let out = ingo(&sb)
        .args(INTENTS)
        .args(["--retries", "1"])
        .output()
        .expect("ingo runs");
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = sb.requests().pop().expect("requests were made");
    let id = last.request_id.expect("the sandbox names its requests");
    assert!(
        stderr.contains("HTTP 503") && stderr.contains(&id),
        "{stderr}"
    );
    assert_eq!(sb.requests().len(), 2, "the first attempt and one retry");
}
