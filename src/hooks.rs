//! The one place every operation passes through (progenitor's `ClientHooks`):
//! `pre` checks the body against the spec, fills an idempotency key and adds
//! the api key, with no I/O; `exec` hands the request to the engine
//! ([`crate::engine`]). Written once; an operation added to the spec is
//! checked, keyed, signed and retried with no new code.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue};

use crate::context::CallContext;
use crate::engine::{self, OperationTraits};
use crate::pacing::Pacer;
use crate::retry::RetryPolicy;
use crate::skew::ClockSkew;
use crate::{Client, Credentials, Error, OperationDescriptor, RawError, signing};

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
    /// The HTTP client requests go through: HTTP/1.1 only, redirects off.
    pub http: reqwest::Client,
    pub allow_insecure_http: bool,
    /// The time one attempt may take (connect to end of body).
    pub attempt_timeout: Duration,
    /// The largest response body read.
    pub max_response_bytes: u64,
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
            .field("max_response_bytes", &self.0.max_response_bytes)
            .field("clock_offset_ms", &self.0.skew.offset_ms())
            .finish()
    }
}

const API_KEY: HeaderName = HeaderName::from_static("api_key");

/// Hand `error` to the call in progress; progenitor gets a stand-in.
fn fail<E>(error: Error) -> RawError<E> {
    match CallContext::fail(error) {
        Ok(()) => RawError::InvalidRequest(String::new()),
        // No call in progress: the text is all progenitor can carry.
        Err(error) => RawError::InvalidRequest(error.to_string()),
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::InvalidRequest {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The operation's descriptor, as generated from the spec.
pub(crate) fn descriptor(operation_id: &str) -> Option<&'static OperationDescriptor> {
    crate::OPERATIONS.iter().find(|op| op.id == operation_id)
}

impl ClientHooks<Inner> for Client {
    /// Check the body against the spec, fill the idempotency key, place the api key; no I/O.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), RawError<E>> {
        prepare(&self.inner.0, request, info.operation_id).map_err(fail)
    }

    /// Pace, stamp, sign, send, read, classify and retry (see `engine`).
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let shared = &self.inner.0;
        let op = descriptor(info.operation_id);
        let traits = OperationTraits {
            id: op.map_or("unknown", |op| op.id),
            repeatable: op.is_some_and(|op| op.idempotent || op.idempotency_key.is_some()),
        };
        match engine::execute(shared, request, traits).await {
            Ok(response) => Ok(response.into_response()),
            Err(error) => Ok(stand_in(error)),
        }
    }
}

/// What progenitor sees when the call failed: the typed error is with the
/// call's context; without one (the hooks reached some other way) this is an
/// error envelope that carries its text and status.
fn stand_in(error: Error) -> reqwest::Response {
    let status = error
        .status()
        .filter(|s| (400..=599).contains(s))
        .unwrap_or(599);
    let message = match CallContext::fail(error) {
        Ok(()) => String::new(),
        Err(error) => error.to_string(),
    };
    let body = serde_json::json!({"status": "error", "message": message});
    let mut response = http::Response::new(body.to_string());
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    response.headers_mut().insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    reqwest::Response::from(response)
}

fn prepare(
    shared: &Shared,
    request: &mut reqwest::Request,
    operation_id: &str,
) -> Result<(), Error> {
    crate::client::check_url(request.url(), shared.allow_insecure_http)?;
    let now = shared.skew.now();
    if !signing::is_signable(now) {
        return Err(Error::Clock(signing::DateOutOfRange(now).to_string()));
    }
    let body = request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .unwrap_or_default();
    let mut json: serde_json::Value = if body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(body).map_err(|e| invalid("body", format!("is not JSON: {e}")))?
    };
    crate::validate::check(operation_id, &json)?;

    // progenitor adds `api-version: <spec version>`; Ingo documents no such
    // header, so send only what the reference page lists.
    request.headers_mut().remove("api-version");
    let mut changed = false;
    if let Some(field) = descriptor(operation_id).and_then(|op| op.idempotency_key) {
        changed |= fill_idempotency_key(&mut json, field)?;
    }
    match shared.api_key_placement {
        ApiKeyPlacement::Header => {
            request
                .headers_mut()
                .insert(API_KEY, shared.api_key_header.clone());
        }
        ApiKeyPlacement::BodyField => {
            object(&mut json, "to carry the api key")?
                .insert("api_key".into(), shared.credentials.api_key().into());
            changed = true;
        }
    }
    if changed {
        let bytes = serde_json::to_vec(&json).map_err(|e| invalid("body", e.to_string()))?;
        *request.body_mut() = Some(bytes.into());
    }
    Ok(())
}

fn object<'a>(
    json: &'a mut serde_json::Value,
    purpose: &str,
) -> Result<&'a mut serde_json::Map<String, serde_json::Value>, Error> {
    if json.is_null() {
        *json = serde_json::Value::Object(Default::default());
    }
    json.as_object_mut()
        .ok_or_else(|| invalid("body", format!("must be a JSON object {purpose}")))
}

/// Give the body a fresh idempotency key if the caller left it empty, once
/// per call: every attempt then carries the same key, so the server can
/// answer a repeat with the first response instead of acting twice.
fn fill_idempotency_key(json: &mut serde_json::Value, field: &str) -> Result<bool, Error> {
    let body = object(json, "to carry an idempotency key")?;
    let present = body
        .get(field)
        .and_then(serde_json::Value::as_str)
        .is_some_and(|key| !key.is_empty());
    if present {
        return Ok(false);
    }
    body.insert(field.into(), uuid::Uuid::new_v4().to_string().into());
    Ok(true)
}
