//! The `ingo-sandbox` binary prints one shell-sourceable line, then serves.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills the child even when an assertion fails.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The value of `NAME=` in the line, up to the next ` INGO_` or the end.
fn value(line: &str, name: &str) -> String {
    line.split_once(&format!("{name}="))
        .map(|(_, rest)| rest.split(" INGO_").next().unwrap_or_default())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn prints_one_sourceable_line_then_serves() {
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_ingo-sandbox"))
            .args(["--payment-intents", "7", "--api-key", "key with space"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ingo-sandbox"),
    );
    let mut line = String::new();
    if let Some(stdout) = child.0.stdout.take() {
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the line");
    }
    let line = line.trim_end();
    let base = value(line, "INGO_BASE_URL");
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/api/v4"),
        "{line}"
    );
    assert_eq!(value(line, "INGO_API_KEY"), "'key with space'");
    assert!(!value(line, "INGO_HMAC_USERNAME").is_empty(), "{line}");
    assert!(!value(line, "INGO_HMAC_SECRET").is_empty(), "{line}");

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
        response.ends_with(r#"{"status":"error","message":"missing required header: x-date"}"#)
    );
}
