//! The request engine: one call, attempt after attempt.
//!
//! An attempt paces, stamps `X-Date`, signs, sends, reads the whole body
//! (within the attempt's timeout, up to the size cap) and classifies what
//! happened, by status first, into an [`Outcome`]. The retry policy
//! ([`RetryPolicy::decide`]) reads that outcome with what the spec says
//! about repeating the operation and the time left, and answers "stop" or
//! "wait". As in aws-smithy-runtime, the attempt knows nothing of retries
//! and the policy knows nothing of HTTP.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{
    AGE, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, DATE, HeaderMap, HeaderName, HeaderValue,
    LOCATION, RETRY_AFTER,
};
use reqwest::{StatusCode, Version};
use tokio::time::Instant;

use crate::context::ResponseMeta;
use crate::error::excerpt;
use crate::hooks::Shared;
use crate::pacing::NoSlot;
use crate::retry::{Decision, Retry, parse_retry_after};
use crate::skew::ClockSkew;
use crate::{Error, signing};

const X_DATE: HeaderName = HeaderName::from_static("x-date");
const CONTENT_SHA512: HeaderName = HeaderName::from_static("content-sha512");
/// Where gateways put the id support asks for, in order of preference.
const REQUEST_ID_HEADERS: [&str; 2] = ["x-kong-request-id", "x-request-id"];
/// The longest request id kept (a header is server input like any other).
const MAX_REQUEST_ID: usize = 128;
/// The longest server message kept in an error.
const MAX_MESSAGE: usize = 1024;

/// A complete response: status, headers and the whole body, read within the attempt.
#[derive(Debug)]
pub(crate) struct Buffered {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Buffered {
    /// As a `reqwest::Response` whose body is already in memory, for
    /// progenitor to decode: it can no longer time out or fail mid-body.
    pub fn into_response(self) -> reqwest::Response {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = self.status;
        *response.version_mut() = self.version;
        *response.headers_mut() = self.headers;
        reqwest::Response::from(response)
    }

    fn request_id(&self) -> Option<String> {
        request_id(&self.headers)
    }

    fn meta(&self) -> ResponseMeta {
        ResponseMeta {
            status: Some(self.status.as_u16()),
            content_type: self
                .headers
                .get(CONTENT_TYPE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            request_id: self.request_id(),
        }
    }
}

/// What one attempt came to.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A 2xx response, read in full.
    Success(Buffered),
    /// Anything else, classified.
    Failure {
        error: Error,
        retry: Retry,
        /// The response's status, when there was one (for tracing).
        status: Option<u16>,
    },
}

impl Outcome {
    fn failure(error: Error, retry: Retry) -> Self {
        let status = error.status();
        Outcome::Failure {
            error,
            retry,
            status,
        }
    }
}

/// What the engine needs to know about the operation being called.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OperationTraits {
    pub id: &'static str,
    /// The spec marks it safe to repeat, or its body carries an idempotency key.
    pub repeatable: bool,
}

/// Run `request` to a complete 2xx response or a typed error.
pub(crate) async fn execute(
    shared: &Shared,
    request: reqwest::Request,
    operation: OperationTraits,
) -> Result<Buffered, Error> {
    let policy = &shared.retry;
    let started = Instant::now();
    let deadline = started.checked_add(policy.deadline);
    let body = match request.body().map(reqwest::Body::as_bytes) {
        None => Bytes::new(),
        Some(Some(bytes)) => Bytes::copy_from_slice(bytes),
        Some(None) => {
            return Err(Error::Configuration(
                "a streamed request body cannot be signed (its SHA-512 must be known first)".into(),
            ));
        }
    };
    let mut skew_retried = false;
    let mut attempt = 0u32;
    loop {
        attempt = attempt.saturating_add(1);
        let signed_with = shared.skew.offset_ms();
        let outcome = attempt_once(shared, &request, &body, deadline, signed_with).await;
        let (error, mut retry, status) = match outcome {
            Outcome::Success(response) => {
                let meta = response.meta();
                let id = meta.request_id.as_deref();
                trace(shared, operation.id, attempt, meta.status, id, None, None);
                crate::context::CallContext::record(meta);
                return Ok(response);
            }
            Outcome::Failure {
                error,
                retry,
                status,
            } => (error, retry, status),
        };
        // A 401 for an attempt signed with an offset the estimate has since
        // left behind (this response's `Date`, or a concurrent call's) was a
        // clock refusal: once, at once, whatever the operation.
        if matches!(error, Error::Unauthorized { .. })
            && !skew_retried
            && shared.skew.moved_since(signed_with)
        {
            skew_retried = true;
            retry = Retry::Now;
        }
        let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let decision = policy.decide(&retry, operation.repeatable, attempt, remaining);
        let wait = match decision {
            Decision::Wait(wait) => Some(wait),
            Decision::Stop => None,
        };
        let id = error.request_id();
        trace(
            shared,
            operation.id,
            attempt,
            status,
            id,
            Some(&error),
            wait,
        );
        let Some(wait) = wait else {
            crate::context::CallContext::record(ResponseMeta {
                status,
                content_type: None,
                request_id: error.request_id().map(str::to_string),
            });
            return Err(error);
        };
        if let (
            Some(pacer),
            Retry::IfRepeatable {
                retry_after: Some(_),
            },
        ) = (&shared.pacer, retry)
        {
            // The server asked everyone to wait: so do this client's other calls.
            pacer.hold_for(wait);
        }
        tokio::time::sleep(wait).await;
    }
}

/// Pace, stamp, sign, send, read, classify.
async fn attempt_once(
    shared: &Shared,
    template: &reqwest::Request,
    body: &Bytes,
    deadline: Option<Instant>,
    offset_ms: i64,
) -> Outcome {
    if let Some(pacer) = &shared.pacer
        && let Err(NoSlot(wait)) = pacer.acquire(deadline).await
    {
        let error = Error::RateLimited {
            status: None,
            retry_after: None,
            message: format!(
                "the client's rate limit has no free slot before the call's deadline (the next is {} ms away)",
                wait.as_millis()
            ),
            request_id: None,
        };
        return Outcome::failure(error, Retry::Never);
    }
    let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
    if remaining.is_some_and(|r| r.is_zero()) {
        return Outcome::failure(Error::Timeout, Retry::Never);
    }
    let per_try = remaining.map_or(shared.attempt_timeout, |r| r.min(shared.attempt_timeout));
    let mut request = match stamped(shared, template, body, offset_ms) {
        Ok(request) => request,
        Err(e) => return Outcome::failure(e, Retry::Never),
    };
    // reqwest's per-request timeout runs from connecting to the end of the
    // body, which is read here: the bytes of a page either all arrive within
    // the attempt, or the attempt fails (as a timeout).
    *request.timeout_mut() = Some(per_try);
    let sent = SystemTime::now();
    let read = send_and_read(shared, request).await;
    let received = SystemTime::now();
    match read {
        Err(Read::Transport(e)) => transport(e),
        Err(Read::TooLarge { status, request_id }) => Outcome::failure(
            Error::ResponseTooLarge {
                status,
                limit: shared.max_response_bytes,
                request_id,
            },
            Retry::Never,
        ),
        Ok(response) => {
            if let Some(date) = response.headers.get(DATE).and_then(|d| d.to_str().ok()) {
                let cached = response.headers.contains_key(AGE);
                shared.skew.observe(date, cached, sent, received);
            }
            classify(response, &shared.retry)
        }
    }
}

/// A copy of `template` with `body`, stamped and signed with the clock corrected by `offset_ms`.
fn stamped(
    shared: &Shared,
    template: &reqwest::Request,
    body: &Bytes,
    offset_ms: i64,
) -> Result<reqwest::Request, Error> {
    let url = template.url();
    let path_and_query = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let signed = signing::sign(
        template.method().as_str(),
        &path_and_query,
        body,
        ClockSkew::now_with(offset_ms),
        &shared.credentials,
    )
    .map_err(|e| Error::Clock(e.to_string()))?;
    let mut request = reqwest::Request::new(template.method().clone(), url.clone());
    *request.version_mut() = template.version();
    let headers = request.headers_mut();
    *headers = template.headers().clone();
    let values = [
        (X_DATE, signed.x_date),
        (CONTENT_TYPE, signed.content_type.to_string()),
        (CONTENT_SHA512, signed.content_sha512),
        (CONTENT_LENGTH, signed.content_length),
        (AUTHORIZATION, signed.authorization),
    ];
    for (name, value) in values {
        let mut value = HeaderValue::try_from(value)
            .map_err(|_| Error::Configuration(format!("`{name}` cannot be sent as a header")))?;
        value.set_sensitive(name == AUTHORIZATION);
        headers.insert(name, value);
    }
    *request.body_mut() = Some(reqwest::Body::from(body.clone()));
    Ok(request)
}

enum Read {
    Transport(reqwest::Error),
    TooLarge {
        status: u16,
        request_id: Option<String>,
    },
}

/// Send, then read the whole body, refusing more than the cap.
async fn send_and_read(shared: &Shared, request: reqwest::Request) -> Result<Buffered, Read> {
    let mut response = shared
        .http
        .execute(request)
        .await
        .map_err(Read::Transport)?;
    let cap = shared.max_response_bytes;
    let too_large = |response: &reqwest::Response| Read::TooLarge {
        status: response.status().as_u16(),
        request_id: request_id(response.headers()),
    };
    if response.content_length().is_some_and(|n| n > cap) {
        return Err(too_large(&response));
    }
    let expected = response.content_length().unwrap_or(0).min(cap);
    let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(Read::Transport)? {
        let len = u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
        if len > cap {
            return Err(too_large(&response));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Buffered {
        status: response.status(),
        version: response.version(),
        headers: std::mem::take(response.headers_mut()),
        body: Bytes::from(body),
    })
}

/// A transport failure: a connect error cannot have reached the server;
/// anything later (a timeout, a reset mid-body) may have.
fn transport(e: reqwest::Error) -> Outcome {
    let retry = if e.is_connect() {
        Retry::NotSent
    } else {
        Retry::IfRepeatable { retry_after: None }
    };
    let error = if e.is_timeout() {
        Error::Timeout
    } else {
        Error::Transport(e.without_url())
    };
    Outcome::failure(error, retry)
}

/// Classify a complete response by its status first, whatever its body.
pub(crate) fn classify(response: Buffered, policy: &crate::RetryPolicy) -> Outcome {
    let status = response.status.as_u16();
    if response.status.is_success() {
        return Outcome::Success(response);
    }
    let request_id = response.request_id();
    let retry_after = response
        .headers
        .get(RETRY_AFTER)
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let (message, envelope, excerpt) = message_of(&response);
    let (error, retry) = match status {
        401 | 403 => (
            Error::Unauthorized {
                status,
                message,
                request_id,
            },
            Retry::Never,
        ),
        429 => (
            Error::RateLimited {
                status: Some(429),
                retry_after,
                message,
                request_id,
            },
            Retry::IfRepeatable { retry_after },
        ),
        300..=399 => {
            let location = response
                .headers
                .get(LOCATION)
                .map(|l| excerpt_of(l.as_bytes(), MAX_MESSAGE));
            let message = format!(
                "redirect to {} not followed (credentials are never sent to another location)",
                location.as_deref().unwrap_or("an unnamed location")
            );
            let error = Error::Api {
                status,
                message,
                envelope: None,
                excerpt: None,
                request_id,
            };
            (error, Retry::Never)
        }
        _ => {
            let retry = if policy.retries_status(status) {
                Retry::IfRepeatable { retry_after }
            } else {
                Retry::Never
            };
            let error = Error::Api {
                status,
                message,
                envelope,
                excerpt,
                request_id,
            };
            (error, retry)
        }
    };
    Outcome::Failure {
        error,
        retry,
        status: Some(status),
    }
}

/// The message of an error body: the envelope's or the gateway's `message`
/// (Kong sends `{"message": …}`), else the status's reason phrase. Also the
/// body as JSON when it is JSON, or an excerpt when it is not.
fn message_of(response: &Buffered) -> (String, Option<serde_json::Value>, Option<String>) {
    let json = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .filter(serde_json::Value::is_object);
    let message = json
        .as_ref()
        .and_then(|j| j.get("message"))
        .and_then(serde_json::Value::as_str)
        .filter(|m| !m.trim().is_empty())
        .map(|m| excerpt_of(m.as_bytes(), MAX_MESSAGE));
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
        (None, false) => Some(excerpt(&response.body)),
        _ => None,
    };
    (message, json, excerpt)
}

/// At most `max` bytes of `bytes` as text, cut at a character boundary.
fn excerpt_of(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(max) {
        Some((cut, _)) if cut < text.len() => format!("{}…", &text[..cut]),
        _ => text.into_owned(),
    }
}

/// The gateway's request id, if the response names one.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_REQUEST_ID)
                .collect::<String>()
        })
        .filter(|id| !id.is_empty())
}

/// One event per attempt, with what support needs (never a credential).
fn trace(
    shared: &Shared,
    operation: &str,
    attempt: u32,
    status: Option<u16>,
    request_id: Option<&str>,
    error: Option<&Error>,
    retry_in: Option<Duration>,
) {
    tracing::debug!(
        operation,
        attempt,
        status,
        request_id,
        error = error.map(ToString::to_string),
        retry_in_ms = retry_in.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        clock_offset_ms = shared.skew.offset_ms(),
        "ingo request attempt"
    );
}
