//! Test helpers: an independent signer (written from the reference page, not
//! shared with the sandbox's verifier) and a raw HTTP/1.1 client over
//! `std::net::TcpStream`, so every byte on the wire is under the test's control.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use ingo_sandbox::{Sandbox, SandboxCredentials};
use serde_json::Value;
use sha2::{Digest, Sha512};

/// A sandbox to talk to: one in this process, or a process's printed line.
pub trait Target {
    fn base_url(&self) -> &str;
    fn credentials(&self) -> &SandboxCredentials;
}

impl Target for Sandbox {
    fn base_url(&self) -> &str {
        Sandbox::base_url(self)
    }
    fn credentials(&self) -> &SandboxCredentials {
        Sandbox::credentials(self)
    }
}

/// A sandbox known only by its base URL and credentials (e.g. a child process).
#[derive(Clone, Debug)]
pub struct Remote {
    pub base_url: String,
    pub credentials: SandboxCredentials,
}

impl Target for Remote {
    fn base_url(&self) -> &str {
        &self.base_url
    }
    fn credentials(&self) -> &SandboxCredentials {
        &self.credentials
    }
}

pub const CONTACTS: &str = "/business/customers/get-all";
pub const INTENTS: &str = "/payment-intent/program/all";

/// Ways to bend an otherwise correct request.
#[derive(Clone, Debug, Default)]
pub struct Tweaks {
    pub secret: Option<String>,
    pub username: Option<String>,
    /// Seconds added to "now" for the x-date.
    pub date_offset_secs: i64,
    pub x_date: Option<String>,
    /// `None` = the right key in the header; `Some(None)` = no header.
    pub api_key_header: Option<Option<String>>,
    /// Bytes sent instead of the signed body.
    pub send_body: Option<Vec<u8>>,
    pub authorization: Option<String>,
    /// Header names (lowercase) left out.
    pub omit: Vec<&'static str>,
    pub method: Option<&'static str>,
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn items(&self) -> Vec<Value> {
        self.json()["data"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn total(&self) -> u64 {
        self.json()["data"]["pagination"]["total"]
            .as_u64()
            .unwrap_or(u64::MAX)
    }
}

/// `/api/v4` + `path`, as on the wire.
pub fn full_path<S: Target + ?Sized>(sandbox: &S, path: &str) -> String {
    let base = sandbox.base_url();
    let stem = base.find("/api/").map(|i| &base[i..]).unwrap_or("/api/v4");
    format!("{stem}{path}")
}

pub fn addr<S: Target + ?Sized>(sandbox: &S) -> String {
    sandbox
        .base_url()
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub fn imf_date(offset_secs: i64) -> String {
    let now = SystemTime::now();
    let when = if offset_secs >= 0 {
        now + Duration::from_secs(offset_secs as u64)
    } else {
        now - Duration::from_secs(offset_secs.unsigned_abs())
    };
    httpdate::fmt_http_date(when)
}

/// Base64 of the raw SHA-512 of `body`.
pub fn content_sha512(body: &[u8]) -> String {
    STANDARD.encode(Sha512::digest(body))
}

/// The Authorization header value for the given parts.
pub fn authorization(
    username: &str,
    secret: &str,
    request_line: &str,
    x_date: &str,
    body: &[u8],
) -> String {
    let signing = format!(
        "{request_line}\nx-date: {x_date}\ncontent-type: application/json\ncontent-sha512: {}\ncontent-length: {}",
        content_sha512(body),
        body.len()
    );
    let mut mac =
        Hmac::<Sha512>::new_from_slice(secret.as_bytes()).expect("hmac takes any key length");
    mac.update(signing.as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    format!(
        "hmac username=\"{username}\", algorithm=\"hmac-sha512\", headers=\"request-line x-date content-type content-sha512 content-length\", signature=\"{signature}\""
    )
}

/// The header list of a signed request (names as a client would send them).
pub fn signed_headers<S: Target + ?Sized>(
    sandbox: &S,
    method: &str,
    target: &str,
    body: &[u8],
    t: &Tweaks,
) -> Vec<(String, String)> {
    let creds = sandbox.credentials();
    let x_date = t
        .x_date
        .clone()
        .unwrap_or_else(|| imf_date(t.date_offset_secs));
    let auth = t.authorization.clone().unwrap_or_else(|| {
        authorization(
            t.username.as_deref().unwrap_or(&creds.hmac_username),
            t.secret.as_deref().unwrap_or(&creds.hmac_secret),
            &format!("{method} {target} HTTP/1.1"),
            &x_date,
            body,
        )
    });
    let sent_len = t.send_body.as_ref().map_or(body.len(), Vec::len);
    let mut headers = vec![
        ("X-Date".to_owned(), x_date),
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("Content-sha512".to_owned(), content_sha512(body)),
        ("Content-Length".to_owned(), sent_len.to_string()),
        ("Authorization".to_owned(), auth),
    ];
    match &t.api_key_header {
        None => headers.push(("api_key".to_owned(), creds.api_key.clone())),
        Some(Some(key)) => headers.push(("api_key".to_owned(), key.clone())),
        Some(None) => {}
    }
    headers.retain(|(n, _)| !t.omit.contains(&n.to_ascii_lowercase().as_str()));
    headers
}

/// The raw bytes of a signed request.
pub fn raw_request<S: Target + ?Sized>(
    sandbox: &S,
    path: &str,
    body: &[u8],
    t: &Tweaks,
) -> Vec<u8> {
    let method = t.method.unwrap_or("POST");
    let target = full_path(sandbox, path);
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: {}\r\n", addr(sandbox));
    for (name, value) in signed_headers(sandbox, method, &target, body, t) {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(t.send_body.as_deref().unwrap_or(body));
    bytes
}

/// Reads one response off `stream` (body framed by Content-Length, or to EOF).
pub fn read_response(stream: &mut TcpStream) -> std::io::Result<Response> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n, 0);
            stream.read_exact(&mut body)?;
        }
        None => {
            stream.read_to_end(&mut body)?;
        }
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

pub fn connect<S: Target + ?Sized>(sandbox: &S) -> TcpStream {
    let stream = TcpStream::connect(addr(sandbox)).expect("connect to the sandbox");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set timeout");
    stream
}

/// Sends raw bytes on a fresh connection and reads one response.
pub fn exchange<S: Target + ?Sized>(sandbox: &S, raw: &[u8]) -> Response {
    let mut stream = connect(sandbox);
    stream.write_all(raw).expect("send request");
    read_response(&mut stream).expect("read response")
}

/// A signed POST with tweaks.
pub fn post_with<S: Target + ?Sized>(
    sandbox: &S,
    path: &str,
    body: &Value,
    t: &Tweaks,
) -> Response {
    let body = serde_json::to_vec(body).expect("serialise body");
    exchange(sandbox, &raw_request(sandbox, path, &body, t))
}

/// A correctly signed POST.
pub fn post<S: Target + ?Sized>(sandbox: &S, path: &str, body: &Value) -> Response {
    post_with(sandbox, path, body, &Tweaks::default())
}

/// A correctly signed POST that must succeed.
pub fn post_ok<S: Target + ?Sized>(sandbox: &S, path: &str, body: &Value) -> Response {
    let response = post(sandbox, path, body);
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    response
}
