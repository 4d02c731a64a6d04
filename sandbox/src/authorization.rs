//! Parser for the gateway's `Authorization: hmac …` header.
//!
//! The accepted shape is exactly the one Ingo documents, parameters in this
//! order and nothing else:
//!
//! ```text
//! hmac username="…", algorithm="hmac-sha512", headers="request-line x-date content-type content-sha512 content-length", signature="…"
//! ```
//!
//! The parser works on `&str` slices only (no byte indexing), so it cannot
//! panic on any input; it is meant to be fuzzed.

use crate::refusal::AuthError;

/// The only algorithm the gateway accepts.
pub const ALGORITHM: &str = "hmac-sha512";

/// The only signed-header list the gateway accepts, in this order.
pub const SIGNED_HEADERS: &str = "request-line x-date content-type content-sha512 content-length";

/// A parsed `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationHeader {
    /// The HMAC username (identifies the credential).
    pub username: String,
    /// Always [`ALGORITHM`] once parsed.
    pub algorithm: String,
    /// Always [`SIGNED_HEADERS`] once parsed.
    pub headers: String,
    /// The Base64 signature, as sent (not yet decoded).
    pub signature: String,
}

/// Parses an `Authorization` header value of exactly the documented shape.
///
/// Every deviation is an [`AuthError`] whose message names what was wrong:
/// a missing `hmac ` scheme, a parameter out of order or unquoted, an empty
/// username or signature, an algorithm other than `hmac-sha512`, or a signed
/// header list other than [`SIGNED_HEADERS`].
pub fn parse_authorization(value: &str) -> Result<AuthorizationHeader, AuthError> {
    let rest = value
        .strip_prefix("hmac ")
        .ok_or_else(|| malformed("expected the scheme `hmac ` followed by parameters"))?;
    let (username, rest) = param(rest, "username")?;
    let rest = separator(rest, "username")?;
    let (algorithm, rest) = param(rest, "algorithm")?;
    let rest = separator(rest, "algorithm")?;
    let (headers, rest) = param(rest, "headers")?;
    let rest = separator(rest, "headers")?;
    let (signature, rest) = param(rest, "signature")?;
    if !rest.is_empty() {
        return Err(malformed("unexpected text after the signature parameter"));
    }
    if username.is_empty() {
        return Err(malformed("username is empty"));
    }
    if signature.is_empty() {
        return Err(malformed("signature is empty"));
    }
    if algorithm != ALGORITHM {
        return Err(AuthError::UnsupportedAlgorithm(algorithm.to_owned()));
    }
    if headers != SIGNED_HEADERS {
        return Err(AuthError::UnexpectedSignedHeaders(headers.to_owned()));
    }
    Ok(AuthorizationHeader {
        username: username.to_owned(),
        algorithm: algorithm.to_owned(),
        headers: headers.to_owned(),
        signature: signature.to_owned(),
    })
}

fn malformed(reason: &str) -> AuthError {
    AuthError::MalformedAuthorization(reason.to_owned())
}

/// Reads `name="value"` from the start of `input`; returns the value and the rest.
fn param<'a>(input: &'a str, name: &str) -> Result<(&'a str, &'a str), AuthError> {
    let after_name = input
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix("=\""))
        .ok_or_else(|| malformed(&format!("expected parameter {name}=\"…\" here")))?;
    let (value, rest) = after_name
        .split_once('"')
        .ok_or_else(|| malformed(&format!("parameter {name} has no closing quote")))?;
    Ok((value, rest))
}

/// Consumes the `, ` that must follow parameter `after`.
fn separator<'a>(input: &'a str, after: &str) -> Result<&'a str, AuthError> {
    input
        .strip_prefix(", ")
        .ok_or_else(|| malformed(&format!("expected `, ` after parameter {after}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "hmac username=\"alice\", algorithm=\"hmac-sha512\", headers=\"request-line x-date content-type content-sha512 content-length\", signature=\"c2ln\"";

    #[test]
    fn parses_the_documented_shape() {
        let parsed = parse_authorization(GOOD);
        assert_eq!(
            parsed,
            Ok(AuthorizationHeader {
                username: "alice".into(),
                algorithm: ALGORITHM.into(),
                headers: SIGNED_HEADERS.into(),
                signature: "c2ln".into(),
            })
        );
    }

    #[test]
    fn rejects_deviations() {
        let cases = [
            GOOD.replacen("hmac ", "Hmac ", 1),
            GOOD.replacen("hmac ", "hmac  ", 1),
            GOOD.replacen("\", algorithm", "\",algorithm", 1),
            GOOD.replacen("hmac-sha512", "hmac-sha256", 1),
            GOOD.replacen(" content-length\"", "\"", 1),
            GOOD.replacen("alice", "", 1),
            GOOD.replacen("c2ln", "", 1),
            format!("{GOOD} "),
            GOOD.trim_end_matches('"').to_owned(),
            String::new(),
            "hmac signature=\"x\", username=\"a\"".to_owned(),
            "hmac username=\"é".to_owned(),
        ];
        for case in cases {
            assert!(parse_authorization(&case).is_err(), "accepted {case:?}");
        }
    }

    #[test]
    fn never_panics_on_prefixes() {
        for end in 0..=GOOD.len() {
            if let Some(prefix) = GOOD.get(..end) {
                let _ = parse_authorization(prefix);
            }
        }
    }
}
