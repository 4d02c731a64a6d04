//! Ingo's HMAC-SHA512 request signature, as a pure function.
//!
//! The scheme (Kong `hmac-auth`, draft-cavage HTTP Signatures) signs five
//! lines: the request line, `x-date`, `content-type`, `content-sha512` and
//! `content-length`. Everything here is deterministic in its inputs, so the
//! known-answer tests in `tests/signing_vectors.rs` pin it byte for byte.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha512};

use crate::Credentials;

/// The `headers` parameter of the `Authorization` header, in signing order.
pub const SIGNED_HEADERS: &str = "request-line x-date content-type content-sha512 content-length";
/// The only content type the API takes.
pub const CONTENT_TYPE: &str = "application/json";
/// The HTTP version every request travels with (the connection is pinned to it).
pub const HTTP_VERSION: &str = "HTTP/1.1";

/// The headers a request must carry, computed by [`sign`].
#[derive(Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `X-Date`: IMF-fixdate, e.g. `Fri, 17 Jan 2020 19:59:29 GMT`.
    pub x_date: String,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// `Content-sha512`: Base64 of the raw SHA-512 of the body.
    pub content_sha512: String,
    /// `Content-Length`.
    pub content_length: String,
    /// `Authorization`: `hmac username="…", algorithm="hmac-sha512", headers="…", signature="…"`.
    pub authorization: String,
}

impl fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signature authorizes this exact request for a few minutes: keep it out of logs.
        f.debug_struct("SignedHeaders")
            .field("x_date", &self.x_date)
            .field("content_type", &self.content_type)
            .field("content_sha512", &self.content_sha512)
            .field("content_length", &self.content_length)
            .field("authorization", &"hmac …, signature=\"[REDACTED]\"")
            .finish()
    }
}

/// 10000-01-01T00:00:00Z: the first instant an IMF-fixdate cannot write.
const HTTP_DATE_END: Duration = Duration::from_secs(253_402_300_800);

/// A date the `X-Date` header cannot carry: IMF-fixdate covers 1970 to 9999.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the date {0:?} cannot be written as an HTTP date (1970 to 9999); check the host clock")]
pub struct DateOutOfRange(pub SystemTime);

/// Whether `X-Date` can carry `date` (1970 to 9999).
pub fn is_signable(date: SystemTime) -> bool {
    date.duration_since(UNIX_EPOCH)
        .is_ok_and(|since| since < HTTP_DATE_END)
}

/// `date` as an IMF-fixdate (`Fri, 17 Jan 2020 19:59:29 GMT`).
pub fn http_date(date: SystemTime) -> Result<String, DateOutOfRange> {
    if is_signable(date) {
        Ok(httpdate::fmt_http_date(date))
    } else {
        Err(DateOutOfRange(date))
    }
}

/// Base64 of the raw SHA-512 digest of `body` (the `Content-sha512` value).
pub fn content_sha512(body: &[u8]) -> String {
    STANDARD.encode(Sha512::digest(body))
}

/// The string that is signed: one line per signed header, joined by `\n`.
///
/// `path_and_query` is the full path on the wire, including `/api/v4`.
pub fn signing_string(
    method: &str,
    path_and_query: &str,
    x_date: &str,
    content_sha512: &str,
    content_length: usize,
) -> String {
    format!(
        "{method} {path_and_query} {HTTP_VERSION}\nx-date: {x_date}\ncontent-type: {CONTENT_TYPE}\n\
         content-sha512: {content_sha512}\ncontent-length: {content_length}"
    )
}

/// Sign a request: a pure function of its method, path, body, date and credentials.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use ingo_banking::{Credentials, signing};
///
/// let credentials = Credentials::new("key", "user", "secret").unwrap();
/// let date = UNIX_EPOCH + Duration::from_secs(1_579_291_169); // Fri, 17 Jan 2020 19:59:29 GMT
/// let headers = signing::sign("POST", "/api/v4/payment-intent/program/all", b"{}", date, &credentials)?;
/// assert_eq!(headers.x_date, "Fri, 17 Jan 2020 19:59:29 GMT");
/// assert_eq!(headers.content_length, "2");
/// assert!(headers.authorization.starts_with(r#"hmac username="user", algorithm="hmac-sha512", "#));
/// # Ok::<(), signing::DateOutOfRange>(())
/// ```
///
/// Fails only for a date outside 1970..=9999, which `X-Date` cannot carry.
pub fn sign(
    method: &str,
    path_and_query: &str,
    body: &[u8],
    date: SystemTime,
    credentials: &Credentials,
) -> Result<SignedHeaders, DateOutOfRange> {
    let x_date = http_date(date)?;
    let content_sha512 = content_sha512(body);
    let line = signing_string(method, path_and_query, &x_date, &content_sha512, body.len());
    let signature = hmac_sha512_base64(credentials.hmac_secret(), line.as_bytes());
    let authorization = format!(
        "hmac username=\"{}\", algorithm=\"hmac-sha512\", headers=\"{SIGNED_HEADERS}\", signature=\"{signature}\"",
        credentials.hmac_username()
    );
    Ok(SignedHeaders {
        x_date,
        content_type: CONTENT_TYPE,
        content_sha512,
        content_length: body.len().to_string(),
        authorization,
    })
}

/// Base64 of the raw HMAC-SHA512 of `message` keyed with `key`.
pub fn hmac_sha512_base64(key: &[u8], message: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha512>::new_from_slice(key) else {
        // `Hmac<Sha512>` takes keys of every length: this branch cannot run.
        unreachable!("HMAC-SHA512 takes keys of any length")
    };
    mac.update(message);
    STANDARD.encode(mac.finalize().into_bytes())
}
