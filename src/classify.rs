//! What every failure means, decided in one place.
//!
//! An attempt ([`crate::attempt`]) ends as what happened on the wire. Here,
//! and only here, that becomes an [`Error`] (by status first, whatever the
//! body), the error a [`FailureClass`], and the class one row of a table:
//! whether calling again later may succeed ([`Error::is_transient`]), how the
//! retry policy may retry it, and the `ingo` CLI's exit code. As in
//! aws-smithy-runtime, classifiers are tried in order and the first with an
//! opinion wins: the clock-skew one, the gateway's own 429, then the table.

use std::time::{Duration, SystemTime};

use reqwest::header::{LOCATION, RETRY_AFTER};

use crate::Error;
use crate::attempt::{Attempted, Buffered};
use crate::error::excerpt;
use crate::retry::{RetryRule, parse_retry_after};

/// The longest server message kept in an error.
const MAX_MESSAGE: usize = 1024;

/// The kind of a failure: a row of the table ([`FailureClass::is_transient`],
/// [`FailureClass::exit_code`]). Every [`Error`] has one ([`Error::class`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureClass {
    /// The request breaks the spec; nothing was sent.
    InvalidRequest,
    /// The client cannot be built, or cannot date a request; nothing was sent.
    Configuration,
    /// The gateway refused the credentials or the signature (401, 403).
    Unauthorized,
    /// The server answered 429.
    Throttled,
    /// The client's own rate limit had no slot before the call's deadline.
    NoPacingSlot,
    /// The shared rate limiter's store cannot be reached (and fails closed).
    LimiterUnavailable,
    /// 502, 503 or 504: a gateway or the platform is briefly unavailable.
    Unavailable,
    /// 500: often a bug rather than a blip (retried only with `retry_500`).
    InternalError,
    /// Any other error status, a redirect (never followed), or a 2xx whose
    /// envelope says other than `success`.
    Rejected,
    /// No complete answer within the attempt's timeout.
    Timeout,
    /// The connection could not be opened: the request never left.
    ConnectFailed,
    /// The connection failed once the request may have reached the server.
    Interrupted,
    /// The server's TLS certificate was refused (untrusted, expired, for
    /// another host): no retry can cure it.
    Certificate,
    /// A response body past the size cap.
    TooLarge,
    /// A 2xx body that is not what the spec describes.
    Undecodable,
    /// A list walk saw the server misbehave.
    Pagination,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meaning {
    pub transient: bool,
    pub retry: RetryRule,
    pub exit_code: u8,
}

impl FailureClass {
    /// The table: every class, what it means.
    pub(crate) const fn meaning(self) -> Meaning {
        use FailureClass::*;
        use RetryRule::*;
        let (transient, retry, exit_code) = match self {
            InvalidRequest => (false, Never, 2),
            Configuration => (false, Never, 2),
            Unauthorized => (false, Never, 4),
            Throttled => (true, IfRepeatable, 5),
            NoPacingSlot => (true, Never, 5),
            LimiterUnavailable => (true, NotSent, 5),
            Unavailable => (true, IfRepeatable, 5),
            InternalError => (false, IfRepeatableAndOptedIn, 3),
            Rejected => (false, Never, 3),
            Timeout => (true, IfRepeatable, 5),
            ConnectFailed => (true, NotSent, 5),
            Interrupted => (true, IfRepeatable, 5),
            Certificate => (false, Never, 7),
            TooLarge => (false, Never, 6),
            Undecodable => (false, Never, 6),
            Pagination => (false, Never, 6),
        };
        Meaning {
            transient,
            retry,
            exit_code,
        }
    }

    /// Whether calling again later may succeed. (A 500 is not, though a
    /// policy with `retry_500` retries it.)
    pub const fn is_transient(self) -> bool {
        self.meaning().transient
    }

    /// The `ingo` CLI's exit code for a call that failed so: 2 the request
    /// or the client is wrong (nothing sent), 3 the API rejected it, 4
    /// authentication failed, 5 network, timeout, or the API still
    /// rate-limiting or unavailable after the retries, 6 an undecodable or
    /// oversized response, or pages the server broke, 7 the server's TLS
    /// certificate was refused.
    pub const fn exit_code(self) -> u8 {
        self.meaning().exit_code
    }
}

impl Error {
    /// The kind of failure (a row of the table in [`FailureClass`]).
    pub fn class(&self) -> FailureClass {
        match self {
            Error::InvalidRequest { .. } => FailureClass::InvalidRequest,
            Error::Configuration(_) | Error::Clock(_) => FailureClass::Configuration,
            Error::Unauthorized { .. } => FailureClass::Unauthorized,
            Error::RateLimited { status: None, .. } => FailureClass::NoPacingSlot,
            Error::RateLimited { .. } => FailureClass::Throttled,
            Error::RateLimiterUnavailable { .. } => FailureClass::LimiterUnavailable,
            Error::Api {
                status: 502..=504, ..
            } => FailureClass::Unavailable,
            Error::Api { status: 500, .. } => FailureClass::InternalError,
            Error::Api { .. } => FailureClass::Rejected,
            Error::Timeout { .. } => FailureClass::Timeout,
            Error::Transport { source, .. } if crate::error::is_certificate(source) => {
                FailureClass::Certificate
            }
            Error::Transport { source, .. } if source.is_connect() => FailureClass::ConnectFailed,
            Error::Transport { .. } => FailureClass::Interrupted,
            Error::ResponseTooLarge { .. } => FailureClass::TooLarge,
            Error::UndecodableResponse { .. } => FailureClass::Undecodable,
            Error::Pagination { .. } => FailureClass::Pagination,
        }
    }
}

/// A failed attempt, classified.
#[derive(Debug)]
pub(crate) struct Failed {
    pub error: Error,
    /// The server's plausible `Retry-After`, if it sent one.
    pub retry_after: Option<Duration>,
    /// The gateway refused the request itself: it never reached the API.
    pub not_forwarded: bool,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        Failed {
            error,
            retry_after: None,
            not_forwarded: false,
        }
    }
}

/// What an attempt came to.
#[derive(Debug)]
pub(crate) enum Classified {
    /// A complete 2xx response.
    Success(Buffered),
    Failure(Failed),
}

/// What an attempt came to: a complete 2xx response, or a classified failure.
/// `limit` is the client's body cap; `now` the local time (for `Retry-After`
/// dates); `proxy` the proxy requests go through, if any (to name it).
pub(crate) fn classify(
    attempted: Attempted,
    limit: u64,
    now: SystemTime,
    proxy: Option<&str>,
) -> Classified {
    let failed = |error: Error| Classified::Failure(Failed::from(error));
    match attempted {
        Attempted::Answered(response) if response.status.is_success() => {
            Classified::Success(response)
        }
        Attempted::Answered(response) => Classified::Failure(by_status(&response, now)),
        Attempted::Transport(e) if e.is_timeout() => failed(Error::Timeout {
            idempotency_key: None,
        }),
        Attempted::Transport(e) => failed(Error::Transport {
            source: e.without_url(),
            proxy: proxy.map(str::to_string),
            idempotency_key: None,
        }),
        Attempted::TooLarge { status, request_id } => failed(Error::ResponseTooLarge {
            status,
            limit,
            request_id,
            idempotency_key: None,
        }),
        Attempted::NoSlot(wait) => failed(Error::RateLimited {
            status: None,
            retry_after: None,
            message: format!(
                "the client's rate limit has no free slot before the call's deadline (the next is {} ms away)",
                wait.as_millis()
            ),
            request_id: None,
            idempotency_key: None,
        }),
        Attempted::Expired => failed(Error::Timeout {
            idempotency_key: None,
        }),
        Attempted::Unsendable(error) => failed(error),
    }
}

/// An error response, by its status first, whatever its body.
fn by_status(response: &Buffered, now: SystemTime) -> Failed {
    let status = response.status.as_u16();
    let request_id = response.request_id();
    let retry_after = response
        .headers
        .get(RETRY_AFTER)
        .and_then(|v| parse_retry_after(v, now));
    let (message, envelope, excerpt) = message_of(response);
    let not_forwarded = status == 429 && envelope.as_deref().is_some_and(is_kong_rate_limit);
    let error = match status {
        401 | 403 => Error::Unauthorized {
            status,
            message,
            request_id,
            idempotency_key: None,
        },
        429 => Error::RateLimited {
            status: Some(429),
            retry_after,
            message,
            request_id,
            idempotency_key: None,
        },
        300..=399 => {
            let location = response
                .headers
                .get(LOCATION)
                .map(|l| crate::error::excerpt(l.as_bytes(), MAX_MESSAGE));
            Error::Api {
                status,
                message: format!(
                    "redirect to {} not followed (credentials are never sent to another location)",
                    location.as_deref().unwrap_or("an unnamed location")
                ),
                envelope: None,
                excerpt: None,
                request_id,
                idempotency_key: None,
            }
        }
        _ => Error::Api {
            status,
            message,
            envelope,
            excerpt,
            request_id,
            idempotency_key: None,
        },
    };
    Failed {
        error,
        retry_after,
        not_forwarded,
    }
}

/// Kong's rate-limiting plugin answers `{"message": "API rate limit
/// exceeded"}` with no `status`, which the API's own envelope always has.
fn is_kong_rate_limit(body: &serde_json::Value) -> bool {
    body.get("status").is_none()
        && body
            .get("message")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("API rate limit exceeded"))
}

/// The message of an error body: the envelope's or the gateway's `message`
/// (Kong sends `{"message": …}`), else the status's reason phrase. Also the
/// body as JSON when it is JSON, or an excerpt when it is not.
fn message_of(response: &Buffered) -> (String, Option<Box<serde_json::Value>>, Option<String>) {
    let json = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .filter(serde_json::Value::is_object);
    let message = json
        .as_ref()
        .and_then(|j| j.get("message"))
        .and_then(serde_json::Value::as_str)
        .filter(|m| !m.trim().is_empty())
        .map(|m| excerpt(m.as_bytes(), MAX_MESSAGE));
    let reason = || {
        let reason = response
            .status
            .canonical_reason()
            .unwrap_or("no reason given");
        if response.body.is_empty() {
            format!("{reason} (empty body)")
        } else {
            reason.to_string()
        }
    };
    let message = message.unwrap_or_else(reason);
    let excerpt = match (&json, response.body.is_empty()) {
        (None, false) => Some(excerpt(&response.body, crate::error::EXCERPT_BYTES)),
        _ => None,
    };
    (message, json.map(Box::new), excerpt)
}

/// What the classifiers know of the call beside the error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallState {
    /// The clock-offset estimate moved since this attempt was signed.
    pub skew_moved: bool,
    /// A clock-skew retry was made already.
    pub skew_retried: bool,
}

/// How a failure may be retried: the first classifier with an opinion wins.
pub(crate) fn retry_rule(failed: &Failed, state: CallState) -> RetryRule {
    let class = failed.error.class();
    // A 401 for an attempt signed with an offset the estimate has since left
    // behind (this response's `Date`, or a concurrent call's) was a clock
    // refusal: once, at once, whatever the operation.
    if class == FailureClass::Unauthorized && state.skew_moved && !state.skew_retried {
        return RetryRule::Now;
    }
    // The gateway's own 429 never reached the API: any operation may repeat it.
    if class == FailureClass::Throttled && failed.not_forwarded {
        return RetryRule::NotSent;
    }
    class.meaning().retry
}

#[cfg(test)]
mod tests {
    use super::*;
    use FailureClass::*;
    use RetryRule::*;

    /// The whole table, row by row: (class, transient, retry, exit code).
    #[test]
    fn the_table() {
        let table = [
            (InvalidRequest, false, Never, 2),
            (Configuration, false, Never, 2),
            (Unauthorized, false, Never, 4),
            (Throttled, true, IfRepeatable, 5),
            (NoPacingSlot, true, Never, 5),
            (LimiterUnavailable, true, NotSent, 5),
            (Unavailable, true, IfRepeatable, 5),
            (InternalError, false, IfRepeatableAndOptedIn, 3),
            (Rejected, false, Never, 3),
            (Timeout, true, IfRepeatable, 5),
            (ConnectFailed, true, NotSent, 5),
            (Interrupted, true, IfRepeatable, 5),
            (Certificate, false, Never, 7),
            (TooLarge, false, Never, 6),
            (Undecodable, false, Never, 6),
            (Pagination, false, Never, 6),
        ];
        for (class, transient, retry, exit_code) in table {
            assert_eq!(
                class.meaning(),
                Meaning {
                    transient,
                    retry,
                    exit_code
                },
                "{class:?}"
            );
        }
    }

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            message: String::new(),
            envelope: None,
            excerpt: None,
            request_id: None,
            idempotency_key: None,
        }
    }

    /// Every error variant lands in its row, and `is_transient` reads it.
    #[test]
    fn errors_take_their_class() {
        let cases = [
            (
                Error::InvalidRequest {
                    field: "f".into(),
                    reason: "r".into(),
                },
                InvalidRequest,
            ),
            (Error::Configuration("c".into()), Configuration),
            (Error::Clock("c".into()), Configuration),
            (
                Error::Unauthorized {
                    status: 401,
                    message: String::new(),
                    request_id: None,
                    idempotency_key: None,
                },
                Unauthorized,
            ),
            (
                Error::RateLimited {
                    status: Some(429),
                    retry_after: None,
                    message: String::new(),
                    request_id: None,
                    idempotency_key: None,
                },
                Throttled,
            ),
            (
                Error::RateLimited {
                    status: None,
                    retry_after: None,
                    message: String::new(),
                    request_id: None,
                    idempotency_key: None,
                },
                NoPacingSlot,
            ),
            (api(502), Unavailable),
            (api(503), Unavailable),
            (api(504), Unavailable),
            (api(500), InternalError),
            (api(501), Rejected),
            (api(404), Rejected),
            (api(302), Rejected),
            (api(200), Rejected),
            (
                Error::Timeout {
                    idempotency_key: None,
                },
                Timeout,
            ),
            (
                Error::ResponseTooLarge {
                    status: 200,
                    limit: 1,
                    request_id: None,
                    idempotency_key: None,
                },
                TooLarge,
            ),
            (
                Error::UndecodableResponse {
                    status: Some(200),
                    content_type: None,
                    excerpt: String::new(),
                    reason: String::new(),
                    request_id: None,
                    idempotency_key: None,
                },
                Undecodable,
            ),
            (
                Error::Pagination {
                    page: 2,
                    reason: String::new(),
                },
                Pagination,
            ),
        ];
        for (error, class) in cases {
            assert_eq!(error.class(), class, "{error}");
            assert_eq!(error.is_transient(), class.is_transient(), "{error}");
        }
    }

    #[test]
    fn the_clock_skew_classifier_comes_first_and_fires_once() {
        let refused = Error::Unauthorized {
            status: 401,
            message: String::new(),
            request_id: None,
            idempotency_key: None,
        };
        let state = |skew_moved, skew_retried| CallState {
            skew_moved,
            skew_retried,
        };
        let refused = Failed::from(refused);
        assert_eq!(retry_rule(&refused, state(true, false)), Now);
        assert_eq!(retry_rule(&refused, state(true, true)), Never);
        assert_eq!(retry_rule(&refused, state(false, false)), Never);
        let unavailable = Failed::from(api(503));
        assert_eq!(retry_rule(&unavailable, state(true, false)), IfRepeatable);
    }

    /// Kong's own 429 never reached the API, so any operation repeats it; a
    /// 429 in the API's envelope (or with another message) may have.
    #[test]
    fn the_gateways_own_429_is_retried_for_any_operation() {
        let rule = |body: &str| {
            let response = Buffered {
                status: reqwest::StatusCode::TOO_MANY_REQUESTS,
                headers: Default::default(),
                body: bytes::Bytes::from(body.to_string()),
            };
            let Classified::Failure(failed) =
                classify(Attempted::Answered(response), 1024, SystemTime::now(), None)
            else {
                panic!("a 429 is a failure");
            };
            assert_eq!(failed.error.class(), Throttled, "{body}");
            let calm = CallState {
                skew_moved: false,
                skew_retried: false,
            };
            retry_rule(&failed, calm)
        };
        assert_eq!(rule(r#"{"message":"API rate limit exceeded"}"#), NotSent);
        assert_eq!(rule(r#"{"message": " api rate limit exceeded "}"#), NotSent);
        let enveloped = r#"{"status":"error","message":"API rate limit exceeded"}"#;
        assert_eq!(rule(enveloped), IfRepeatable);
        assert_eq!(rule(r#"{"message":"slow down"}"#), IfRepeatable);
        assert_eq!(rule("<html>429</html>"), IfRepeatable);
        assert_eq!(rule(""), IfRepeatable);
    }
}
