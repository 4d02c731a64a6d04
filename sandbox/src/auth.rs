//! The gateway's verification of every request: signed headers, body digest,
//! clock skew, HMAC-SHA512 signature, then the program API key.
//!
//! This is an implementation of the documented scheme written for the
//! sandbox alone; it shares no code with the client's signer.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha512};

use crate::authorization::parse_authorization;
use crate::refusal::AuthError;

/// The largest accepted difference between `x-date` and the sandbox clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// The headers every request must carry, in the order they are checked.
pub const REQUIRED_HEADERS: [&str; 5] = [
    "x-date",
    "content-type",
    "content-sha512",
    "content-length",
    "authorization",
];

/// The credentials the sandbox accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxCredentials {
    /// The program API key (`api_key` header or body field).
    pub api_key: String,
    /// The HMAC username named in the `Authorization` header.
    pub hmac_username: String,
    /// The HMAC secret the signature is keyed with.
    pub hmac_secret: String,
}

impl std::fmt::Debug for SandboxCredentials {
    // Sandbox secrets are not real secrets, but tests print structs freely and
    // the habit of redacting is the one the client must have too.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxCredentials")
            .field("api_key", &"<redacted>")
            .field("hmac_username", &self.hmac_username)
            .field("hmac_secret", &"<redacted>")
            .finish()
    }
}

/// Verifies one request exactly as the sandbox gateway does: the signature
/// checks of [`verify_signature`], then the API key of [`verify_api_key`].
///
/// `target` is the request target as received on the wire (path and query),
/// `version` the HTTP version as received (`"HTTP/1.1"`), `headers` the
/// request's headers (names are matched case-insensitively, the first
/// occurrence wins), `body` the body bytes received and `now` the gateway's
/// clock.
pub fn verify_request<N: AsRef<str>, V: AsRef<str>>(
    method: &str,
    target: &str,
    version: &str,
    headers: &[(N, V)],
    body: &[u8],
    now: SystemTime,
    credentials: &SandboxCredentials,
) -> Result<(), AuthError> {
    verify_signature(method, target, version, headers, body, now, credentials)?;
    verify_api_key(headers, body, credentials)
}

/// The HMAC layer alone: required headers, body digest, content length,
/// clock skew, `Authorization` shape, username and signature, in that order.
pub fn verify_signature<N: AsRef<str>, V: AsRef<str>>(
    method: &str,
    target: &str,
    version: &str,
    headers: &[(N, V)],
    body: &[u8],
    now: SystemTime,
    credentials: &SandboxCredentials,
) -> Result<(), AuthError> {
    let mut values = [""; 5];
    for (slot, name) in values.iter_mut().zip(REQUIRED_HEADERS) {
        *slot = header(headers, name).ok_or(AuthError::MissingHeader(name))?;
    }
    let [
        x_date,
        content_type,
        content_sha512,
        content_length,
        authorization,
    ] = values;

    if content_sha512 != STANDARD.encode(Sha512::digest(body)) {
        return Err(AuthError::BodyDigestMismatch);
    }
    if content_length.parse::<usize>().ok() != Some(body.len()) {
        return Err(AuthError::ContentLengthMismatch {
            declared: content_length.to_owned(),
            received: body.len(),
        });
    }
    check_date(x_date, now)?;

    let parsed = parse_authorization(authorization)?;
    if parsed.username != credentials.hmac_username {
        return Err(AuthError::UnknownUsername);
    }
    let signing_string = format!(
        "{method} {target} {version}\nx-date: {x_date}\ncontent-type: {content_type}\ncontent-sha512: {content_sha512}\ncontent-length: {content_length}"
    );
    let claimed = STANDARD
        .decode(parsed.signature.as_bytes())
        .map_err(|_| AuthError::SignatureMismatch)?;
    let mut mac = Hmac::<Sha512>::new_from_slice(credentials.hmac_secret.as_bytes())
        .map_err(|_| AuthError::SignatureMismatch)?;
    mac.update(signing_string.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&claimed)
        .map_err(|_| AuthError::SignatureMismatch)
}

/// The API key layer alone: the `api_key` header, or else an `api_key` string
/// field of a JSON object body.
pub fn verify_api_key<N: AsRef<str>, V: AsRef<str>>(
    headers: &[(N, V)],
    body: &[u8],
    credentials: &SandboxCredentials,
) -> Result<(), AuthError> {
    let from_body;
    let key = match header(headers, "api_key") {
        Some(key) => key,
        None => {
            from_body = body_api_key(body).ok_or(AuthError::ApiKeyMissing)?;
            from_body.as_str()
        }
    };
    if constant_time_eq(key.as_bytes(), credentials.api_key.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::ApiKeyInvalid)
    }
}

/// The first value of header `name` (case-insensitive).
pub(crate) fn header<'a, N: AsRef<str>, V: AsRef<str>>(
    headers: &'a [(N, V)],
    name: &str,
) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

fn body_api_key(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("api_key")?.as_str().map(str::to_owned)
}

fn check_date(x_date: &str, now: SystemTime) -> Result<(), AuthError> {
    let when = httpdate::parse_http_date(x_date).map_err(|_| AuthError::DateUnparseable)?;
    // httpdate also accepts the obsolete RFC 850 and asctime forms; only the
    // IMF-fixdate form survives a round trip.
    if httpdate::fmt_http_date(when) != x_date {
        return Err(AuthError::DateUnparseable);
    }
    let skew = match when.duration_since(now) {
        Ok(ahead) => ahead,
        Err(behind) => behind.duration(),
    };
    if skew > Duration::from_secs(MAX_CLOCK_SKEW_SECS) {
        return Err(AuthError::ClockSkew);
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_must_be_imf_fixdate() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_579_291_169);
        assert_eq!(check_date("Fri, 17 Jan 2020 19:59:29 GMT", now), Ok(()));
        assert_eq!(
            check_date("Friday, 17-Jan-20 19:59:29 GMT", now),
            Err(AuthError::DateUnparseable)
        );
        assert_eq!(
            check_date("Fri Jan 17 19:59:29 2020", now),
            Err(AuthError::DateUnparseable)
        );
        assert_eq!(
            check_date("Fri, 17 Jan 2020 20:04:30 GMT", now),
            Err(AuthError::ClockSkew)
        );
        assert_eq!(check_date("Fri, 17 Jan 2020 20:04:29 GMT", now), Ok(()));
        assert_eq!(check_date("Fri, 17 Jan 2020 19:54:29 GMT", now), Ok(()));
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
