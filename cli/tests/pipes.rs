//! `ingo … | head`: the reader going away ends the run quietly, in every format.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::*;
use ingo_sandbox::SandboxConfig;

#[test]
fn a_reader_that_stops_early_is_not_an_error_in_any_format() {
    // Far more output than a pipe and the CLI's buffers hold.
    let sb = sandbox_with(SandboxConfig {
        payment_intents: 20_000,
        ..SandboxConfig::default()
    });
    let creds = sb.credentials();
    for format in ["json", "ndjson", "csv", "table"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ingo"))
            .args(["payment-intents", "list", "--all", "--per-page", "500"])
            .args(["--rate-limit", "0", "-o", format])
            .env("INGO_BASE_URL", sb.base_url())
            .env("INGO_API_KEY", &creds.api_key)
            .env("INGO_HMAC_USERNAME", &creds.hmac_username)
            .env("INGO_HMAC_SECRET", &creds.hmac_secret)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ingo");
        let mut head = [0u8; 100];
        child
            .stdout
            .take()
            .expect("a stdout pipe")
            .read_exact(&mut head)
            .expect("the first bytes");
        // The pipe's read end is dropped here, like `head` exiting.
        let out = child.wait_with_output().expect("wait for ingo");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "-o {format}: exit {:?}, stderr {:?}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
