//! The errors a caller can match on, without parsing strings.

use std::time::Duration;

use crate::validate::Violation;

/// How many bytes of an undecodable body an error keeps.
const EXCERPT_BYTES: usize = 512;

/// Everything that can go wrong calling the API. Display texts say what to do.
///
/// No variant ever carries the api key or the HMAC secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks a constraint of the spec; nothing was sent.
    #[error("invalid request: `{field}` {reason}; fix the value and call again (nothing was sent)")]
    InvalidRequest { field: String, reason: String },

    /// The client is misconfigured (base URL, credentials); nothing was sent.
    #[error("client configuration: {0}")]
    Configuration(String),

    /// The clock (corrected for the server's) gives a date `X-Date` cannot carry; nothing was sent.
    #[error("clock: {0}")]
    Clock(String),

    /// The gateway refused the credentials or the signature (HTTP 401/403).
    #[error(
        "unauthorized (HTTP {status}): {message}; check INGO_API_KEY, INGO_HMAC_USERNAME, INGO_HMAC_SECRET and the host clock"
    )]
    Unauthorized { status: u16, message: String },

    /// Too many requests (HTTP 429) and the retry budget ran out.
    #[error("rate limited by the API (HTTP 429){}: slow down or lower the client's rate limit", retry_after_text(.retry_after))]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },

    /// The API answered with an error status, or a 2xx whose envelope status is not `success`.
    #[error("the API rejected the request (HTTP {status}): {message}")]
    Api {
        status: u16,
        message: String,
        /// The error envelope as sent, when there was one.
        envelope: Option<serde_json::Value>,
    },

    /// No answer within the timeout (per attempt) or the retry deadline.
    #[error("timed out waiting for the API; it may be slow or unreachable, try again later")]
    Timeout,

    /// The connection failed (DNS, TCP, TLS, or the connection dropped).
    #[error("network error talking to the API: {0}; check connectivity and the base URL")]
    Transport(#[source] reqwest::Error),

    /// The response could not be decoded as the spec describes.
    #[error(
        "undecodable response (HTTP {}, content type {}): {reason}; body starts with: {excerpt:?}",
        status.map_or_else(|| "?".to_string(), |s| s.to_string()),
        content_type.as_deref().unwrap_or("none")
    )]
    UndecodableResponse {
        status: Option<u16>,
        content_type: Option<String>,
        /// The first bytes of the body (lossy UTF-8, at most 512 bytes).
        excerpt: String,
        reason: String,
    },

    /// A list walk saw the server misbehave (a repeated page, a page past the end).
    #[error("pagination stopped at page {page}: {reason}")]
    Pagination { page: u64, reason: String },
}

fn retry_after_text(retry_after: &Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| format!(", retry after {} s", d.as_secs()))
}

impl From<Violation> for Error {
    fn from(v: Violation) -> Self {
        Error::InvalidRequest {
            field: v.field,
            reason: v.reason,
        }
    }
}

/// A bounded, lossy excerpt of a body for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT_BYTES)];
    String::from_utf8_lossy(cut).into_owned()
}

impl Error {
    /// The HTTP status the error came with, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { status, .. } | Error::Api { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            Error::UndecodableResponse { status, .. } => *status,
            Error::Transport(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// Whether calling again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Timeout | Error::Transport(_) | Error::RateLimited { .. } => true,
            Error::Api { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            _ => false,
        }
    }
}
