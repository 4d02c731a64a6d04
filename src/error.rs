//! The errors a caller can match on, without parsing strings.

use std::fmt;
use std::time::Duration;

/// How many bytes of a body an error keeps.
pub(crate) const EXCERPT_BYTES: usize = 512;

/// Everything that can go wrong calling the API. Display texts say what to do,
/// in one line: the root cause (the OS, DNS or TLS error), the request id the
/// server gave (for Ingo support), and for a write the idempotency key to
/// retry with ([`Error::idempotency_key`]).
///
/// No variant ever carries the api key or the HMAC secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks a constraint of the spec; nothing was sent.
    #[error("invalid request: `{field}` {reason}; fix the value and call again (nothing was sent)")]
    InvalidRequest {
        /// The body field at fault, as the spec names it (`body` for the body as a whole).
        field: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The client is misconfigured (base URL, credentials, limits); nothing was sent.
    #[error("client configuration: {0}")]
    Configuration(String),

    /// The clock (corrected for the server's) gives a date `X-Date` cannot carry; nothing was sent.
    #[error("clock: {0}")]
    Clock(String),

    /// The gateway refused the credentials or the signature (HTTP 401/403).
    #[error(
        "unauthorized (HTTP {status}): {message}; {}{}{}",
        unauthorized_hint(message),
        RequestId(request_id),
        Key(idempotency_key)
    )]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// The gateway's message.
        message: String,
        /// The response's `X-Kong-Request-Id` or `X-Request-Id`.
        request_id: Option<String>,
        /// The idempotency key the call carried (a write), to retry with.
        idempotency_key: Option<Box<str>>,
    },

    /// Too many requests: the API answered 429 and the retry budget ran out,
    /// or the client's own rate limit had no slot before the call's deadline.
    #[error("rate limited: {message}{}: slow down or lower the client's rate limit{}{}", retry_after_text(.retry_after), RequestId(request_id), Key(idempotency_key))]
    RateLimited {
        /// 429 when the server refused; `None` when the client's own rate
        /// limit had no slot before the call's deadline.
        status: Option<u16>,
        /// The server's `Retry-After`, when it sent a usable one (at most a day).
        retry_after: Option<Duration>,
        /// What limited the call.
        message: String,
        /// The response's request id (none when the client's own limit stopped the call).
        request_id: Option<String>,
        /// The idempotency key the call carried (a write), to retry with.
        idempotency_key: Option<Box<str>>,
    },

    /// The shared rate limiter's store (Redis) cannot be reached and the
    /// limiter is set to fail closed; nothing was sent.
    #[error(
        "the shared rate limiter ({limiter}) is unavailable: {reason}; nothing was sent (the limiter fails closed)"
    )]
    RateLimiterUnavailable {
        /// The store, e.g. `Redis`.
        limiter: String,
        /// What failed (never a credential or the store's URL).
        reason: String,
    },

    /// The API answered with an error status, or a 2xx whose envelope status
    /// is not `success`. 502, 503 and 504 are transient ([`Error::is_transient`]).
    #[error(
        "the API answered HTTP {status}: {message}{}{}",
        RequestId(request_id),
        Key(idempotency_key)
    )]
    Api {
        /// The HTTP status.
        status: u16,
        /// The envelope's (or gateway's) message, or the status's reason phrase.
        message: String,
        /// The error envelope as sent, when the body was one (boxed: an
        /// `Error` stays small enough to return by value).
        envelope: Option<Box<serde_json::Value>>,
        /// The first bytes of a body that was not the envelope (an HTML page, text).
        excerpt: Option<String>,
        /// The response's request id.
        request_id: Option<String>,
        /// The idempotency key the call carried (a write), to retry with.
        idempotency_key: Option<Box<str>>,
    },

    /// No complete answer within the per-attempt timeout, on every attempt the deadline allowed.
    #[error(
        "timed out waiting for the API; it may be slow or unreachable, try again later{}",
        Key(idempotency_key)
    )]
    Timeout {
        /// The idempotency key the call carried (a write, which may have been
        /// done): retry with it, and the API answers the first response.
        idempotency_key: Option<Box<str>>,
    },

    /// The connection failed (DNS, TCP, TLS, or the connection dropped
    /// mid-response); the text names the root cause, and the proxy if one
    /// carried the request.
    #[error("{}{}", transport_text(source, proxy.as_deref()), Key(idempotency_key))]
    Transport {
        /// What reqwest said (the chain down to the OS or TLS error).
        #[source]
        source: reqwest::Error,
        /// The proxy the request went through, without its credentials.
        proxy: Option<String>,
        /// The idempotency key the call carried (a write), to retry with.
        idempotency_key: Option<Box<str>>,
    },

    /// The response body is larger than the client accepts
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
    #[error(
        "the response (HTTP {status}) is larger than the limit of {limit} bytes{}{}",
        RequestId(request_id),
        Key(idempotency_key)
    )]
    ResponseTooLarge {
        /// The HTTP status of the oversized response.
        status: u16,
        /// The limit in bytes.
        limit: u64,
        /// The response's request id.
        request_id: Option<String>,
        /// The idempotency key the call carried (a write), to retry with.
        idempotency_key: Option<Box<str>>,
    },

    /// A success response whose body is not what the spec describes.
    #[error(
        "undecodable response (HTTP {}, content type {}): {reason}; body starts with: {excerpt:?}{}{}",
        status.map_or_else(|| "?".to_string(), |s| s.to_string()),
        content_type.as_deref().unwrap_or("none"),
        RequestId(request_id),
        Key(idempotency_key)
    )]
    UndecodableResponse {
        /// The HTTP status, when there was a response.
        status: Option<u16>,
        /// The response's `Content-Type`.
        content_type: Option<String>,
        /// The first bytes of the body (lossy UTF-8, at most 512 bytes of it).
        excerpt: String,
        /// Why it could not be decoded.
        reason: String,
        /// The response's request id.
        request_id: Option<String>,
        /// The idempotency key the call carried (a write), to retry with.
        idempotency_key: Option<Box<str>>,
    },

    /// A list walk saw the server misbehave (a repeated page, a page past the
    /// end, a short page before `total`). Items received before it were yielded.
    #[error("pagination stopped at page {page}: {reason}")]
    Pagination {
        /// The page at which the walk stopped.
        page: u64,
        /// What the server sent.
        reason: String,
    },
}

/// `; request id …` when there is one.
struct RequestId<'a>(&'a Option<String>);

impl fmt::Display for RequestId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (request id {id})"),
            None => Ok(()),
        }
    }
}

/// `; idempotency key …` for a write, which may have been done: the caller
/// retries with the same key and gets the first answer, never a second write.
struct Key<'a>(&'a Option<Box<str>>);

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(key) => write!(f, " (idempotency key {key}: retry with it, not a new one)"),
            None => Ok(()),
        }
    }
}

/// What to check after a refusal: the credentials and the clock, or, when the
/// gateway says the api key never came, the proxy that dropped its header.
fn unauthorized_hint(message: &str) -> &'static str {
    let message = message.to_ascii_lowercase();
    if message.contains("api key")
        && (message.contains("missing") || message.contains("no api key"))
    {
        "a proxy may have dropped the `api_key` header (nginx drops headers with underscores \
         unless `underscores_in_headers on`); send the key in the body instead: \
         ApiKeyPlacement::BodyField (CLI: --api-key-in body, INGO_API_KEY_IN=body)"
    } else {
        "check INGO_API_KEY, INGO_HMAC_USERNAME, INGO_HMAC_SECRET and the host clock"
    }
}

/// The most of a root cause a message keeps.
const MAX_CAUSE: usize = 300;

/// A transport error in one line: what failed, the root cause it came from
/// (the OS, DNS or TLS error, which reqwest keeps in its source chain), the
/// proxy, and what to check.
fn transport_text(e: &reqwest::Error, proxy: Option<&str>) -> String {
    let mut root: &dyn std::error::Error = e;
    while let Some(next) = root.source() {
        root = next;
    }
    let top = e.to_string();
    let cause = redact_userinfo(&root.to_string());
    let cause = excerpt(cause.as_bytes(), MAX_CAUSE);
    let through = proxy.map_or_else(String::new, |p| format!(" through the proxy {p}"));
    let what = if is_certificate(e) {
        "the server's TLS certificate was refused; trust its CA (add_root_certificate, \
         CLI: --ca-cert) or check the host name"
    } else if proxy.is_some() && e.is_connect() {
        "check the proxy (HTTPS_PROXY, ALL_PROXY, NO_PROXY), connectivity and the base URL"
    } else {
        "check connectivity and the base URL"
    };
    if top.contains(cause.as_str()) {
        format!("network error talking to the API{through}: {top}; {what}")
    } else {
        format!("network error talking to the API{through}: {top}: {cause}; {what}")
    }
}

/// `scheme://user:pass@host` → `scheme://***@host`, in a message.
pub(crate) fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(userinfo) => {
                out.push_str("***");
                rest = &tail[userinfo..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// Whether a transport error is the TLS certificate being refused (which no
/// retry can cure): rustls' error in the chain, or another TLS stack's words.
pub(crate) fn is_certificate(e: &reqwest::Error) -> bool {
    let mut next: Option<&dyn std::error::Error> = Some(e);
    while let Some(error) = next {
        #[cfg(feature = "rustls-ring")]
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        let text = error.to_string().to_ascii_lowercase();
        if text.contains("invalid peer certificate") || text.contains("certificate verify failed") {
            return true;
        }
        next = error.source();
    }
    false
}

fn retry_after_text(retry_after: &Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| format!(" (retry after {} s)", d.as_secs()))
}

/// At most `max` bytes of `bytes` as (lossy) text, for an error message: cut
/// at a character boundary, with `…` where it was cut.
pub(crate) fn excerpt(bytes: &[u8], max: usize) -> String {
    let mut cut = &bytes[..bytes.len().min(max)];
    if let Err(e) = std::str::from_utf8(cut)
        && e.error_len().is_none()
    {
        // The cut split a character: leave it out rather than mangle it.
        cut = &cut[..e.valid_up_to()];
    }
    let text = String::from_utf8_lossy(cut);
    if cut.len() < bytes.len() {
        format!("{text}…")
    } else {
        text.into_owned()
    }
}

/// `$found` with `$key` bound to the idempotency key of the variants that
/// carry one (those of a request that was sent), else `$otherwise`: the one
/// list of them.
macro_rules! key_slot {
    ($error:expr, $key:ident => $found:expr, $otherwise:expr) => {
        match $error {
            Error::Unauthorized {
                idempotency_key: $key,
                ..
            }
            | Error::RateLimited {
                idempotency_key: $key,
                ..
            }
            | Error::Api {
                idempotency_key: $key,
                ..
            }
            | Error::Timeout {
                idempotency_key: $key,
            }
            | Error::Transport {
                idempotency_key: $key,
                ..
            }
            | Error::ResponseTooLarge {
                idempotency_key: $key,
                ..
            }
            | Error::UndecodableResponse {
                idempotency_key: $key,
                ..
            } => $found,
            _ => $otherwise,
        }
    };
}

impl Error {
    /// The HTTP status the error came with, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { status, .. }
            | Error::Api { status, .. }
            | Error::ResponseTooLarge { status, .. } => Some(*status),
            Error::RateLimited { status, .. } => *status,
            Error::UndecodableResponse { status, .. } => *status,
            Error::Transport { source, .. } => source.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// The idempotency key the call carried, when the operation has one (a
    /// write): the client filled it (or kept the caller's), and every attempt
    /// sent the same. After a failure the write may have been done: retry
    /// with this key (`idempotent_key(…)`, CLI `--idempotent-key`) and the
    /// API answers with the first response instead of doing it twice.
    pub fn idempotency_key(&self) -> Option<&str> {
        key_slot!(self, key => key.as_deref(), None)
    }

    /// The same error, naming the idempotency key the call carried.
    pub(crate) fn with_idempotency_key(mut self, key: &str) -> Self {
        key_slot!(&mut self, slot => *slot = Some(key.into()), ());
        self
    }

    /// The request id the server gave the response (`X-Kong-Request-Id` or
    /// `X-Request-Id`): quote it to Ingo support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Unauthorized { request_id, .. }
            | Error::RateLimited { request_id, .. }
            | Error::Api { request_id, .. }
            | Error::ResponseTooLarge { request_id, .. }
            | Error::UndecodableResponse { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether calling again later may succeed (the table in [`FailureClass`](crate::FailureClass)).
    pub fn is_transient(&self) -> bool {
        self.class().is_transient()
    }
}
