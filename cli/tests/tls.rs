//! `ingo` over HTTPS against the sandbox's TLS: trusted with `--ca-cert`
//! (and `INGO_CA_CERT`); an untrusted certificate, and one for another
//! host, exit 7 with a line that says so. Proxy variables never touch
//! loopback, and a dead proxy is named, without its credentials.

mod common;

use common::{ingo, ndjson_items, sandbox_with, stdout_of};
use ingo_sandbox::{Sandbox, SandboxConfig};

fn tls(names: Vec<String>) -> Sandbox {
    sandbox_with(SandboxConfig {
        tls: Some(names),
        ..SandboxConfig::default()
    })
}

/// The sandbox's CA, in a file of its own.
fn ca_file(sandbox: &Sandbox, name: &str) -> std::path::PathBuf {
    let file = std::env::temp_dir().join(format!("ingo-cli-{}-{name}.pem", std::process::id()));
    std::fs::write(&file, sandbox.ca_pem().expect("a CA")).expect("write the CA");
    file
}

const PAGE: [&str; 6] = [
    "payment-intents",
    "list",
    "--per-page",
    "3",
    "--output",
    "ndjson",
];

#[test]
fn https_with_the_sandbox_ca_by_flag_or_environment() {
    let sandbox = tls(Vec::new());
    let ca = ca_file(&sandbox, "trusted");
    let by_flag = stdout_of(ingo(&sandbox).arg("--ca-cert").arg(&ca).args(PAGE));
    let by_env = stdout_of(ingo(&sandbox).env("INGO_CA_CERT", &ca).args(PAGE));
    assert_eq!(ndjson_items(&by_flag).len(), 3);
    assert_eq!(by_flag, by_env);
    let _ = std::fs::remove_file(ca);
}

fn refused(sandbox: &Sandbox, extra: &[&std::ffi::OsStr]) -> String {
    let out = ingo(sandbox)
        .args(extra)
        .args(PAGE)
        .output()
        .expect("run ingo");
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(sandbox.connections(), 1, "one handshake: not retried");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_untrusted_certificate_exits_7_and_says_what_to_do() {
    let sandbox = tls(Vec::new());
    let stderr = refused(&sandbox, &[]);
    assert!(
        stderr.contains("certificate") && stderr.contains("--ca-cert"),
        "{stderr}"
    );
}

#[test]
fn a_certificate_for_another_host_exits_7() {
    let sandbox = tls(vec!["localhost".into()]);
    let ca = ca_file(&sandbox, "other-host");
    let stderr = refused(&sandbox, &["--ca-cert".as_ref(), ca.as_os_str()]);
    assert!(stderr.contains("certificate"), "{stderr}");
    let _ = std::fs::remove_file(ca);
}

#[test]
fn proxy_variables_never_touch_loopback_and_a_dead_proxy_is_named() {
    let sandbox = common::sandbox();
    // A dead proxy in every variable: the sandbox on loopback is reached directly.
    let dead = "http://127.0.0.1:9";
    let mut cmd = ingo(&sandbox);
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy"] {
        cmd.env(var, dead);
    }
    assert_eq!(ndjson_items(&stdout_of(cmd.args(PAGE))).len(), 3);

    // To a host that is not loopback, the proxy carries it: its death is named.
    let out = common::bare()
        .env("HTTPS_PROXY", "http://someone:proxy-secret-9d2@127.0.0.1:9")
        .args(["--base-url", "https://api.banking.example/api/v4"])
        .args([
            "--api-key",
            "k",
            "--hmac-username",
            "u",
            "--hmac-secret",
            "s",
        ])
        .args(["--retries", "0", "--timeout", "5"])
        .args(PAGE)
        .output()
        .expect("run ingo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("through the proxy http://***@127.0.0.1:9"),
        "{stderr}"
    );
    assert!(!stderr.contains("proxy-secret-9d2"), "{stderr}");
}
