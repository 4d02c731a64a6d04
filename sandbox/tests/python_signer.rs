//! The independent Python signer (tools/ingo_sign.py) against the sandbox.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use ingo_sandbox::{AuthError, Sandbox, verify_request};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tools")
        .join("ingo_sign.py")
}

/// `python3` if it runs; otherwise fail under CI and skip elsewhere.
fn python() -> Option<Command> {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(Command::new("python3"));
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "python3 is required under CI"
    );
    eprintln!("skipping: python3 not found");
    None
}

fn run(sandbox: &Sandbox, body: &str, flags: &[&str]) -> Option<Output> {
    let creds = sandbox.credentials();
    let mut command = python()?;
    command
        .arg(script())
        .args(["--base-url", sandbox.base_url()])
        .args(["--api-key", &creds.api_key])
        .args(["--username", &creds.hmac_username])
        .args(["--secret", &creds.hmac_secret])
        .args(["--path", common::INTENTS])
        .args(["--body", body])
        .args(flags);
    Some(command.output().expect("run the python signer"))
}

#[test]
fn the_python_signer_is_accepted() -> std::io::Result<()> {
    let sandbox = Sandbox::start()?;
    let Some(out) = run(&sandbox, r#"{"per_page":5}"#, &[]) else {
        return Ok(());
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("200\n"), "{stdout}");
    assert!(stdout.contains("\"status\":\"success\""));
    Ok(())
}

#[test]
fn the_python_signer_is_rejected_when_tampering() -> std::io::Result<()> {
    let sandbox = Sandbox::start()?;
    for (flag, message) in [
        ("--tamper-body", "content-sha512 does not match"),
        (
            "--stale-date",
            "x-date is outside the allowed clock skew of 300 s",
        ),
    ] {
        let Some(out) = run(&sandbox, r#"{"per_page":5}"#, &[flag]) else {
            return Ok(());
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{flag}: {stdout}");
        assert!(
            stdout.starts_with("401\n") && stdout.contains(message),
            "{flag}: {stdout}"
        );
    }
    Ok(())
}

#[test]
fn python_known_answer_vector_verifies() {
    let Some(mut command) = python() else {
        return;
    };
    let x_date = "Fri, 17 Jan 2020 19:59:29 GMT";
    let body = br#"{"per_page":5}"#;
    let out = command
        .arg(script())
        .args(["--sign-only", "--date", x_date])
        .args([
            "--base-url",
            "https://api.sdev.banking.ingopayments.tech/api/v4",
        ])
        .args(["--username", "u", "--secret", "s"])
        .args(["--path", common::INTENTS, "--body", r#"{"per_page":5}"#])
        .output()
        .expect("run the python signer");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let value = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_default()
            .to_owned()
    };
    let digest = value("Content-sha512: ");
    let authorization = value("Authorization: ");
    assert_eq!(digest, common::content_sha512(body));
    let target = "/api/v4/payment-intent/program/all";
    assert_eq!(
        authorization,
        common::authorization("u", "s", &format!("POST {target} HTTP/1.1"), x_date, body)
    );
    let creds = ingo_sandbox::SandboxCredentials {
        api_key: "k".into(),
        hmac_username: "u".into(),
        hmac_secret: "s".into(),
    };
    let headers = [
        ("X-Date", x_date.to_owned()),
        ("Content-Type", "application/json".to_owned()),
        ("Content-sha512", digest),
        ("Content-Length", body.len().to_string()),
        ("Authorization", authorization),
        ("api_key", "k".to_owned()),
    ];
    let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    assert_eq!(
        verify_request(
            "POST",
            target,
            "HTTP/1.1",
            &headers,
            body,
            at(1_579_291_169),
            &creds
        ),
        Ok(())
    );
    assert_eq!(
        verify_request(
            "POST",
            target,
            "HTTP/1.1",
            &headers,
            body,
            at(1_579_291_470),
            &creds
        ),
        Err(AuthError::ClockSkew)
    );
}
