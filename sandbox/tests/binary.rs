//! The `ingo-sandbox` binary prints one shell-sourceable line, then serves.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{CONTACTS, Remote, post, post_ok};
use ingo_sandbox::{NOT_FOUND_BUSINESS_ID, SandboxCredentials};
use serde_json::json;

/// Kills the child even when an assertion fails.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args`; returns it with its stdout line and its
/// first stderr line.
fn spawn(args: &[&str]) -> (Running, String, String) {
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_ingo-sandbox"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ingo-sandbox"),
    );
    let mut line = String::new();
    if let Some(stdout) = child.0.stdout.take() {
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the line");
    }
    let mut hint = String::new();
    if let Some(stderr) = child.0.stderr.take() {
        BufReader::new(stderr)
            .read_line(&mut hint)
            .expect("read the hint");
    }
    (
        child,
        line.trim_end().to_owned(),
        hint.trim_end().to_owned(),
    )
}

/// The value of `NAME=` in the line, up to the next ` INGO_` or the end.
fn value(line: &str, name: &str) -> String {
    line.split_once(&format!("{name}="))
        .map(|(_, rest)| rest.split(" INGO_").next().unwrap_or_default())
        .unwrap_or_default()
        .to_owned()
}

/// What a POSIX shell makes of the line, by `eval` and by `export $(cat …)`.
fn shell_env(line: &str, how: &str) -> Option<Remote> {
    let script = format!(
        r#"{how}; printf '%s\n' "$INGO_BASE_URL" "$INGO_API_KEY" "$INGO_HMAC_USERNAME" "$INGO_HMAC_SECRET""#
    );
    let out = Command::new("sh")
        .args(["-c", &script, "sh", line])
        .output()
        .ok()?;
    assert!(out.status.success(), "{how}: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut values = text.lines().map(str::to_owned);
    let mut next = || values.next().unwrap_or_default();
    Some(Remote {
        base_url: next(),
        credentials: SandboxCredentials {
            api_key: next(),
            hmac_username: next(),
            hmac_secret: next(),
        },
    })
}

#[test]
fn prints_one_sourceable_line_then_serves() {
    let (_child, line, _) = spawn(&["--payment-intents", "7", "--api-key", "key with space"]);
    let base = value(&line, "INGO_BASE_URL");
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/api/v4"),
        "{line}"
    );
    assert_eq!(value(&line, "INGO_API_KEY"), "'key with space'");
    assert!(!value(&line, "INGO_HMAC_USERNAME").is_empty(), "{line}");
    assert!(!value(&line, "INGO_HMAC_SECRET").is_empty(), "{line}");
    if let Some(env) = shell_env(&line, r#"eval "$1""#) {
        assert_eq!(env.credentials.api_key, "key with space");
        assert_eq!(env.base_url, base);
    }

    let host = base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut stream = TcpStream::connect(&host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let request = format!(
        "POST /api/v4/payment-intent/program/all HTTP/1.1\r\nHost: {host}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(
        response.starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{response}"
    );
    assert!(response.contains("\r\nDate: "));
    assert!(
        response.contains("\r\nWWW-Authenticate: hmac\r\n"),
        "{response}"
    );
    assert!(response.contains("\r\nX-Kong-Request-Id: "), "{response}");
    // Kong's shape: a message and no status.
    assert!(
        response.ends_with("\r\n\r\n{\"message\":\"missing required header: x-date\"}"),
        "{response}"
    );
}

/// Issue 11: ids a user makes up serve contacts, the same in every process
/// started with the same seed, and the reserved ids answer as documented.
#[test]
fn serves_contacts_for_ids_a_user_picks() {
    let body = json!({"user_id": "user-anything", "business_id": "buss-anything", "per_page": 500});
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let (_child, line, hint) = spawn(&["--seed", "42"]);
        assert!(
            hint.starts_with("ingo-sandbox: contacts for any --user-id/--business-id")
                && hint.contains(NOT_FOUND_BUSINESS_ID),
            "{hint}"
        );
        let Some(env) = shell_env(&line, r#"eval "$1""#) else {
            eprintln!("skipping: no POSIX sh");
            return;
        };
        // The default credentials need no quoting, so `export $(cat sandbox.env)` works too.
        let exported = shell_env(&line, r#"export $(printf '%s' "$1")"#);
        assert_eq!(
            exported.as_ref().map(|e| &e.credentials),
            Some(&env.credentials)
        );
        assert_eq!(exported.map(|e| e.base_url), Some(env.base_url.clone()));

        let response = post_ok(&env, CONTACTS, &body);
        assert_eq!(response.total(), 37);
        assert_eq!(response.items().len(), 37);
        let missing = post(
            &env,
            CONTACTS,
            &json!({"user_id": "user-anything", "business_id": NOT_FOUND_BUSINESS_ID}),
        );
        assert_eq!(missing.status, 404);
        bodies.push(response.body);
    }
    assert_eq!(bodies[0], bodies[1], "same ids and seed, same bytes");
}

#[test]
fn the_help_documents_ids() {
    let out = Command::new(env!("CARGO_BIN_EXE_ingo-sandbox"))
        .arg("--help")
        .output()
        .expect("run --help");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for needle in [
        "buss-not-found",
        "user-not-found",
        "buss-empty",
        "user-demo",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}

/// The same flow as a user's shell: evaluate the line, then sign with the
/// independent Python signer (skipped without python3, except under CI).
#[test]
fn a_shell_and_the_python_signer_get_contacts_for_picked_ids() {
    let has_python = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_python {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 is required under CI"
        );
        eprintln!("skipping: python3 not found");
        return;
    }
    let (_child, line, _) = spawn(&[]);
    let script = concat!(
        r#"eval "$1"; python3 "$2" --base-url "$INGO_BASE_URL" --api-key "$INGO_API_KEY" "#,
        r#"--username "$INGO_HMAC_USERNAME" --secret "$INGO_HMAC_SECRET" "#,
        r#"--path /business/customers/get-all --body '{"user_id":"user-anything","business_id":"buss-anything"}'"#
    );
    let signer = concat!(env!("CARGO_MANIFEST_DIR"), "/../tools/ingo_sign.py");
    let out = Command::new("sh")
        .args(["-c", script, "sh", &line, signer])
        .output()
        .expect("run sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.starts_with("200\n"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#""total":37"#), "{stdout}");
}

#[test]
fn request_id_header_and_rate_limit_flags() {
    let (_child, line, _) = spawn(&["--request-id-header", "X-Request-Id", "--rate-limit", "1"]);
    let Some(env) = shell_env(&line, r#"eval "$1""#) else {
        return;
    };
    let body = json!({"per_page": 1});
    let started = std::time::Instant::now();
    let first = post(&env, common::INTENTS, &body);
    let second = post(&env, common::INTENTS, &body);
    assert_eq!(first.status, 200);
    assert!(first.header("x-request-id").is_some());
    assert_eq!(first.header("x-kong-request-id"), None);
    if started.elapsed() < Duration::from_secs(1) {
        assert_eq!(second.status, 429);
        assert_eq!(second.message(), "API rate limit exceeded");
    }

    let (_quiet, line, _) = spawn(&["--request-id-header", ""]);
    let Some(env) = shell_env(&line, r#"eval "$1""#) else {
        return;
    };
    let response = post_ok(&env, common::INTENTS, &body);
    assert!(
        !response
            .headers
            .iter()
            .any(|(n, _)| n.to_ascii_lowercase().contains("request-id"))
    );
}

/// `--spec` and `--data` serve a user's own operation from a shell.
#[test]
fn the_spec_and_data_flags() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let spec = dir.join("flags-spec.yaml");
    let text =
        ingo_banking::SPEC.replace("operationId: list_contacts", "operationId: listContacts");
    std::fs::write(&spec, text).expect("write");
    let data = dir.join("flags-contacts.ndjson");
    std::fs::write(
        &data,
        "{\"id\": \"bcus-pinned-1\"}\n{\"id\": \"bcus-pinned-2\", \"email\": null}\n",
    )
    .expect("write");
    let spec_arg = spec.display().to_string();
    let data_arg = format!("listContacts={}", data.display());
    let (_child, line, _) = spawn(&["--spec", &spec_arg, "--data", &data_arg]);
    let Some(env) = shell_env(&line, r#"eval "$1""#) else {
        return;
    };
    let response = post_ok(&env, CONTACTS, &json!({"user_id": "u", "business_id": "b"}));
    assert_eq!(response.total(), 2);
    assert_eq!(response.items()[0]["id"], "bcus-pinned-1");
    // A bad file stops the start with its name and the field.
    std::fs::write(&data, "{\"id\": 7}\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_ingo-sandbox"))
        .args(["--spec", &spec_arg, "--data", &data_arg])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("flags-contacts.ndjson")
            && stderr.contains("item 0 (line 1)")
            && stderr.contains("id: must be a string"),
        "{stderr}"
    );
    let help = Command::new(env!("CARGO_BIN_EXE_ingo-sandbox"))
        .arg("--help")
        .output()
        .expect("help");
    let help = String::from_utf8_lossy(&help.stdout);
    for needle in [
        "--spec <FILE>",
        "--data <OPERATION_ID=FILE>",
        "--items-per-operation",
        "Every operation of the spec",
    ] {
        assert!(help.contains(needle), "{needle}");
    }
}
