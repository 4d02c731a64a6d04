//! Shared set-up for the client's integration tests: a sandbox and a client for it.
#![allow(dead_code)]

use std::time::Duration;

use ingo_banking::{ApiKeyPlacement, Client, ClientBuilder, Credentials, RateLimit, RetryPolicy};
use ingo_sandbox::{Sandbox, SandboxConfig};

pub fn sandbox() -> Sandbox {
    Sandbox::start().expect("sandbox starts")
}

pub fn sandbox_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start_with(config).expect("sandbox starts")
}

pub fn credentials(sandbox: &Sandbox) -> Credentials {
    let c = sandbox.credentials();
    Credentials::new(&c.api_key, &c.hmac_username, &c.hmac_secret).expect("valid credentials")
}

/// Fast retries and no pacing, so fault tests take milliseconds.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
        .deadline(Duration::from_secs(20))
}

/// A builder for `sandbox`: its credentials, fast retries, no pacing.
pub fn builder(sandbox: &Sandbox) -> ClientBuilder {
    Client::builder()
        .base_url(sandbox.base_url())
        .credentials(credentials(sandbox))
        .retry_policy(fast_retries())
        .rate_limit(None::<RateLimit>)
}

/// A builder for a hand-rolled server at `url`, with throwaway credentials.
pub fn builder_for(url: String) -> ClientBuilder {
    Client::builder()
        .base_url(url)
        .credentials(Credentials::new("k", "u", "s").expect("valid credentials"))
        .retry_policy(fast_retries())
}

pub fn client(sandbox: &Sandbox) -> Client {
    client_with(sandbox, ApiKeyPlacement::Header, fast_retries())
}

pub fn client_with(sandbox: &Sandbox, placement: ApiKeyPlacement, retry: RetryPolicy) -> Client {
    builder(sandbox)
        .api_key_placement(placement)
        .retry_policy(retry)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client builds")
}

pub fn first_business(sandbox: &Sandbox) -> (String, String) {
    sandbox
        .businesses()
        .into_iter()
        .next()
        .expect("sandbox has a business")
}

/// A builder for `sandbox` at the defaults a user gets: pacing at 5/s,
/// retries, prefetch left to the caller; only the address and credentials set.
pub fn defaults(sandbox: &Sandbox) -> ClientBuilder {
    Client::builder()
        .base_url(sandbox.base_url())
        .credentials(credentials(sandbox))
}

/// The `page` a logged request asked for (1 when the body does not say).
pub fn page_of(record: &ingo_sandbox::RequestRecord) -> u64 {
    serde_json::from_slice::<serde_json::Value>(&record.body)
        .ok()
        .and_then(|b| b.get("page").and_then(serde_json::Value::as_u64))
        .unwrap_or(1)
}

/// Whether a logged request failed on the wire or with its status: what
/// the client may legitimately have retried.
pub fn failed(record: &ingo_sandbox::RequestRecord, attempt_timeout: Duration) -> bool {
    use ingo_sandbox::FaultKind;
    record.status >= 400
        || record.faults.iter().any(|f| match f {
            FaultKind::DropConnection | FaultKind::TruncatedBody | FaultKind::MalformedJson => true,
            FaultKind::Delay(d) | FaultKind::SlowBody(d) => *d >= attempt_timeout / 2,
            _ => false,
        })
}

/// No page was requested more often than it failed, plus one.
pub fn assert_no_page_refetched(log: &[ingo_sandbox::RequestRecord], attempt_timeout: Duration) {
    let mut per_page: std::collections::BTreeMap<u64, (u32, u32)> = Default::default();
    for record in log {
        let entry = per_page.entry(page_of(record)).or_default();
        entry.0 += 1;
        entry.1 += u32::from(failed(record, attempt_timeout));
    }
    for (page, (requests, failures)) in per_page {
        assert!(
            requests <= failures + 1,
            "page {page} was requested {requests} times but failed only {failures}"
        );
    }
}

/// A hand-rolled HTTP/1.1 server on loopback: for the `n`th request (from 0)
/// it writes `reply(n)` as is, then keeps the connection for the next one
/// (or closes it when the reply says `Connection: close`). Returns the base
/// URL and the heads of the requests read, in order.
pub async fn raw_server(
    reply: impl Fn(usize) -> Vec<u8> + Send + Sync + 'static,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let reply = Arc::new(reply);
    let seen = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (reply, seen) = (reply.clone(), seen.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    // Read one request: the head, then Content-Length bytes.
                    let (head_end, length, head) = loop {
                        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                            let length = head
                                .to_ascii_lowercase()
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            break (end + 4, length, head);
                        }
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    while buf.len() < head_end + length {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..head_end + length);
                    let n = {
                        let mut seen = seen.lock().expect("heads");
                        seen.push(head);
                        seen.len() - 1
                    };
                    let bytes = reply(n);
                    let close = String::from_utf8_lossy(&bytes)
                        .to_ascii_lowercase()
                        .contains("connection: close");
                    if socket.write_all(&bytes).await.is_err() || close {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://127.0.0.1:{port}/api/v4"), heads)
}

/// An HTTP/1.1 response with a body and extra header lines (each `Name: value`).
pub fn http_reply(status: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut reply = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for header in headers {
        reply.push_str(header);
        reply.push_str("\r\n");
    }
    reply.push_str("\r\n");
    reply.push_str(body);
    reply.into_bytes()
}

/// A tracing writer into a shared buffer, to read what the client logged.
pub struct LogWriter(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
