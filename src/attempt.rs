//! One attempt, once paced: stamp `X-Date`, sign, send over HTTP/1.1, and read the
//! whole body within the attempt's timeout, up to the size cap. What
//! happened is reported as it was seen ([`Attempted`]); what it means is
//! decided in [`crate::classify`].

use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{
    AGE, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, DATE, HeaderMap, HeaderName, HeaderValue,
};
use tokio::time::Instant;

use crate::client::Shared;
use crate::limiter::Refusal;
use crate::{Error, signing};

const X_DATE: HeaderName = HeaderName::from_static("x-date");
const CONTENT_SHA512: HeaderName = HeaderName::from_static("content-sha512");
/// Where gateways put the id support asks for, in order of preference.
const REQUEST_ID_HEADERS: [&str; 2] = ["x-kong-request-id", "x-request-id"];
/// The longest request id kept (a header is server input like any other).
const MAX_REQUEST_ID: usize = 128;

/// A complete response: status, headers and the whole body, read within the attempt.
#[derive(Debug)]
pub(crate) struct Buffered {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Buffered {
    /// The gateway's request id, if the response names one.
    pub fn request_id(&self) -> Option<String> {
        request_id(&self.headers)
    }

    /// The response's `Content-Type`, as text.
    pub fn content_type(&self) -> Option<String> {
        self.headers
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }
}

/// What one attempt saw.
#[derive(Debug)]
pub(crate) enum Attempted {
    /// A response, read in full.
    Answered(Buffered),
    /// No response, or not all of it (a connect error, a timeout, a reset).
    Transport(reqwest::Error),
    /// A body past the cap, not read.
    TooLarge {
        status: u16,
        request_id: Option<String>,
    },
    /// No pacing slot before the call's deadline; the wait it would have needed.
    NoSlot(Duration),
    /// The call's deadline passed before anything was sent.
    Expired,
    /// The request could not be paced, stamped or signed; nothing was sent.
    Unsendable(Error),
}

/// Wait for the limiter's start slot; what the attempt came to if there is none.
pub(crate) async fn pace(shared: &Shared, deadline: Option<Instant>) -> Option<Attempted> {
    let limiter = shared.limiter.as_ref()?;
    match limiter.acquire(deadline).await {
        Ok(()) => None,
        Err(Refusal::NoSlot(wait)) => Some(Attempted::NoSlot(wait)),
        Err(Refusal::Unavailable { limiter, reason }) => {
            let limiter = limiter.to_string();
            Some(Attempted::Unsendable(Error::RateLimiterUnavailable {
                limiter,
                reason,
            }))
        }
    }
}

/// Stamp, sign, send, read (once [`pace`]d). `offset_ms` is the clock offset to sign with.
pub(crate) async fn attempt(
    shared: &Shared,
    template: &reqwest::Request,
    body: &Bytes,
    deadline: Option<Instant>,
    offset_ms: i64,
) -> Attempted {
    let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
    if remaining.is_some_and(|r| r.is_zero()) {
        return Attempted::Expired;
    }
    let per_try = remaining.map_or(shared.attempt_timeout, |r| r.min(shared.attempt_timeout));
    let mut request = match stamped(shared, template, body, offset_ms) {
        Ok(request) => request,
        Err(e) => return Attempted::Unsendable(e),
    };
    // reqwest's per-request timeout runs from connecting to the end of the
    // body, which is read here: the bytes of a page either all arrive within
    // the attempt, or the attempt fails (as a timeout).
    *request.timeout_mut() = Some(per_try);
    let sent = shared.skew.local_now();
    let read = send_and_read(shared, request).await;
    if let Attempted::Answered(response) = &read
        && let Some(date) = response.headers.get(DATE).and_then(|d| d.to_str().ok())
    {
        let cached = response.headers.contains_key(AGE);
        shared
            .skew
            .observe(date, cached, sent, shared.skew.local_now());
    }
    read
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
        shared.skew.at(offset_ms),
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

/// Send, then read the whole body, refusing more than the cap.
async fn send_and_read(shared: &Shared, request: reqwest::Request) -> Attempted {
    let mut response = match shared.http.execute(request).await {
        Ok(response) => response,
        Err(e) => return Attempted::Transport(e),
    };
    let cap = shared.max_response_bytes;
    let too_large = |response: &reqwest::Response| Attempted::TooLarge {
        status: response.status().as_u16(),
        request_id: request_id(response.headers()),
    };
    if response.content_length().is_some_and(|n| n > cap) {
        return too_large(&response);
    }
    let expected = response.content_length().unwrap_or(0).min(cap);
    let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let len = u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
                if len > cap {
                    return too_large(&response);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Attempted::Transport(e),
        }
    }
    Attempted::Answered(Buffered {
        status: response.status(),
        headers: std::mem::take(response.headers_mut()),
        body: Bytes::from(body),
    })
}

/// The gateway's request id, if the headers name one.
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
