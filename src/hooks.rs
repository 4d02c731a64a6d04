//! The one place every operation passes through (progenitor's `ClientHooks`):
//! check the body against the spec, add the api key, then pace, stamp, sign,
//! send and retry. Written once; an operation added to the spec is keyed and
//! signed with no new code.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, DATE, HeaderName, HeaderValue, RETRY_AFTER,
};
use tokio::time::Instant;

use crate::convert::{CLOCK, INVALID_FIELD};
use crate::operation::{ResponseMeta, record_meta};
use crate::pacing::Pacer;
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::skew::{ClockSkew, SKEW_RETRY_THRESHOLD};
use crate::{Client, Credentials, RawError, signing};

/// Where the api key travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiKeyPlacement {
    /// The `api_key` HTTP header (Ingo's preference).
    #[default]
    Header,
    /// An `api_key` field of the JSON body, added before the body is hashed.
    BodyField,
}

/// The client's shared state: credentials and policies. Cheap to clone;
/// clones share the rate limiter and the clock-skew estimate.
#[derive(Clone)]
pub struct Inner(pub(crate) Arc<Shared>);

pub(crate) struct Shared {
    /// The HTTP client requests go through: HTTP/1.1 only, redirects off
    /// (used instead of progenitor's, so `Client::new` cannot bypass it).
    pub http: reqwest::Client,
    pub allow_insecure_http: bool,
    /// The time one attempt may take (connect to end of body).
    pub attempt_timeout: Duration,
    pub credentials: Credentials,
    /// The api key as a (sensitive) header value, built once.
    pub api_key_header: HeaderValue,
    pub api_key_placement: ApiKeyPlacement,
    pub retry: RetryPolicy,
    pub pacer: Option<Pacer>,
    pub skew: ClockSkew,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner")
            .field("credentials", &self.0.credentials)
            .field("api_key_placement", &self.0.api_key_placement)
            .field("retry", &self.0.retry)
            .field("pacer", &self.0.pacer)
            .field("clock_offset_ms", &self.0.skew.offset_ms())
            .finish()
    }
}

const API_KEY: HeaderName = HeaderName::from_static("api_key");
const X_DATE: HeaderName = HeaderName::from_static("x-date");
const CONTENT_SHA512: HeaderName = HeaderName::from_static("content-sha512");

fn invalid<E>(field: &str, reason: &str) -> RawError<E> {
    RawError::InvalidRequest(format!("{INVALID_FIELD}{field}` {reason}"))
}

impl ClientHooks<Inner> for Client {
    /// Check the body against the spec and place the api key; no I/O.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), RawError<E>> {
        let shared = &self.inner.0;
        crate::client::check_url(request.url(), shared.allow_insecure_http)
            .map_err(|e| invalid::<E>("base_url", &e.to_string()))?;
        let now = shared.skew.now();
        if !signing::is_signable(now) {
            let e = signing::DateOutOfRange(now);
            return Err(RawError::Custom(format!("{CLOCK}{e}")));
        }
        let body = request
            .body()
            .and_then(|b| b.as_bytes())
            .unwrap_or_default();
        let mut json: serde_json::Value = if body.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(body)
                .map_err(|e| invalid("body", &format!("is not JSON: {e}")))?
        };
        crate::validate::check(info.operation_id, &json)
            .map_err(|v| invalid(&v.field, &v.reason))?;

        // progenitor adds `api-version: <spec version>`; Ingo documents no such
        // header, so send only what the reference page lists.
        request.headers_mut().remove("api-version");
        let api_key = shared.credentials.api_key();
        match shared.api_key_placement {
            ApiKeyPlacement::Header => {
                request
                    .headers_mut()
                    .insert(API_KEY, shared.api_key_header.clone());
            }
            ApiKeyPlacement::BodyField => {
                if json.is_null() {
                    json = serde_json::Value::Object(Default::default());
                }
                let object = json.as_object_mut().ok_or_else(|| {
                    invalid::<E>("body", "must be a JSON object to carry the api key")
                })?;
                object.insert("api_key".into(), api_key.into());
                let bytes =
                    serde_json::to_vec(&json).map_err(|e| invalid::<E>("body", &e.to_string()))?;
                *request.body_mut() = Some(bytes.into());
            }
        }
        Ok(())
    }

    /// Pace, stamp, sign, send, and retry what is transient.
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        execute(
            &self.inner.0,
            &self.inner.0.http,
            request,
            info.operation_id,
        )
        .await
    }
}

/// What to do after an attempt.
enum Next {
    Done,
    RetryAfter(Duration),
}

async fn execute(
    shared: &Shared,
    http: &reqwest::Client,
    request: reqwest::Request,
    operation: &str,
) -> reqwest::Result<reqwest::Response> {
    let policy = &shared.retry;
    let started = Instant::now();
    let deadline = started + policy.deadline;
    let mut skew_retried = false;
    let mut attempt = 0u32;
    // A streamed body cannot be sent twice (or hashed): it gets one attempt.
    let body = match request.body().map(|b| b.as_bytes()) {
        None => None,
        Some(Some(bytes)) => Some(bytes::Bytes::copy_from_slice(bytes)),
        Some(None) => return single_attempt(shared, http, request).await,
    };
    loop {
        attempt += 1;
        let mut this_try = rebuild(&request, body.clone());
        if let Some(pacer) = &shared.pacer {
            pacer.acquire().await;
        }
        stamp_and_sign(shared, &mut this_try);
        let remaining = deadline.saturating_duration_since(Instant::now());
        // The request's own timeout overrides reqwest's client-wide one, so
        // it must carry the per-attempt limit too, not only the deadline.
        let per_try = this_try
            .timeout()
            .copied()
            .unwrap_or(shared.attempt_timeout)
            .min(remaining);
        *this_try.timeout_mut() = Some(per_try);

        let sent = SystemTime::now();
        let result = http.execute(this_try).await;
        let received = SystemTime::now();

        let mut skew_moved = None;
        let next = match &result {
            Ok(response) => {
                if let Some(date) = response.headers().get(DATE).and_then(|d| d.to_str().ok()) {
                    skew_moved = shared.skew.observe(date, sent, received);
                }
                let status = response.status().as_u16();
                let skewed = status == 401 && skew_moved.is_some_and(|m| m > SKEW_RETRY_THRESHOLD);
                if skewed && !skew_retried {
                    skew_retried = true;
                    Next::RetryAfter(Duration::ZERO)
                } else if policy.retries_status(status) {
                    let after = response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    Next::RetryAfter(after.unwrap_or_else(|| policy.backoff(attempt)))
                } else {
                    Next::Done
                }
            }
            Err(e) if e.is_connect() || e.is_timeout() => Next::RetryAfter(policy.backoff(attempt)),
            Err(_) => Next::Done,
        };

        let status = result.as_ref().ok().map(|r| r.status().as_u16());
        let out_of_budget =
            |delay: Duration| attempt >= policy.max_attempts || Instant::now() + delay >= deadline;
        let retry_in = match next {
            Next::RetryAfter(delay) if !out_of_budget(delay) => Some(delay),
            _ => None,
        };
        tracing::debug!(
            operation,
            attempt,
            status,
            error = result.as_ref().err().map(|e| e.to_string()),
            retry_in_ms = retry_in.map(|d| d.as_millis() as u64),
            clock_offset_ms = shared.skew.offset_ms(),
            "ingo request attempt"
        );
        match retry_in {
            Some(delay) => tokio::time::sleep(delay).await,
            None => {
                record_meta(meta_of(&result));
                return result;
            }
        }
    }
}

/// A fresh copy of `request` with `body`, for one attempt.
fn rebuild(request: &reqwest::Request, body: Option<bytes::Bytes>) -> reqwest::Request {
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.timeout_mut() = request.timeout().copied();
    *copy.version_mut() = request.version();
    *copy.body_mut() = body.map(reqwest::Body::from);
    copy
}

async fn single_attempt(
    shared: &Shared,
    http: &reqwest::Client,
    mut request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    if let Some(pacer) = &shared.pacer {
        pacer.acquire().await;
    }
    stamp_and_sign(shared, &mut request);
    let result = http.execute(request).await;
    record_meta(meta_of(&result));
    result
}

/// Stamp `X-Date` (corrected for clock skew) and add the signed headers.
fn stamp_and_sign(shared: &Shared, request: &mut reqwest::Request) {
    let body = request
        .body()
        .and_then(|b| b.as_bytes())
        .unwrap_or_default();
    let url = request.url();
    let path_and_query = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let signed = match signing::sign(
        request.method().as_str(),
        &path_and_query,
        body,
        shared.skew.now(),
        &shared.credentials,
    ) {
        Ok(signed) => signed,
        // `pre` checked the clock; it moved past 9999 since. Send unsigned and
        // let the gateway refuse it rather than panic.
        Err(e) => {
            tracing::warn!(error = %e, "request sent unsigned");
            return;
        }
    };
    let headers = request.headers_mut();
    let values = [
        (X_DATE, signed.x_date),
        (CONTENT_TYPE, signed.content_type.to_string()),
        (CONTENT_SHA512, signed.content_sha512),
        (CONTENT_LENGTH, signed.content_length),
        (AUTHORIZATION, signed.authorization),
    ];
    for (name, value) in values {
        // Every value is ASCII built by `sign`, so this always succeeds.
        if let Ok(mut value) = HeaderValue::from_str(&value) {
            value.set_sensitive(name == AUTHORIZATION);
            headers.insert(name, value);
        }
    }
}

fn meta_of(result: &reqwest::Result<reqwest::Response>) -> ResponseMeta {
    match result {
        Ok(response) => ResponseMeta {
            status: Some(response.status().as_u16()),
            content_type: response
                .headers()
                .get(CONTENT_TYPE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            timed_out: false,
        },
        Err(e) => ResponseMeta {
            timed_out: e.is_timeout(),
            ..Default::default()
        },
    }
}
