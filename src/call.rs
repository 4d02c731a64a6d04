//! One call of an operation: the body checked against the spec (once, on
//! the JSON the call has), keyed, turned into bytes once; the request run
//! by the engine; the answer decoded into the operation's type.

use reqwest::header::{ACCEPT, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tracing::Instrument;

use crate::attempt::Buffered;
use crate::client::Shared;
use crate::{ApiKeyPlacement, Client, Error, OperationDescriptor, signing};

const API_KEY: HeaderName = HeaderName::from_static("api_key");

/// A response's envelope `status` and `message`, if it has one.
pub(crate) type Envelope<R> = for<'r> fn(&'r R) -> Option<(&'r str, &'r str)>;

/// Send `body` as the operation `op` and decode the answer. The future owns
/// what it needs, so a walk can run it as a task of its own.
pub(crate) async fn send<R: DeserializeOwned>(
    client: Client,
    op: &'static OperationDescriptor,
    envelope: Envelope<R>,
    body: Result<Value, Error>,
) -> Result<ResponseValue<R>, Error> {
    let shared = client.shared();
    let now = shared.skew.now();
    if !signing::is_signable(now) {
        return Err(Error::Clock(signing::DateOutOfRange(now).to_string()));
    }
    let (body, key) = prepared_body(shared, op, body?)?;
    let request = request(shared, op)?;
    let span = crate::spans::call(op, request.method(), request.url());
    if let Some(key) = &key {
        span.record("ingo.idempotency_key", key.as_str());
    }
    let result = async {
        let response = crate::engine::execute(shared, request, body.into(), op).await;
        if let (Some(drift), Err(e)) = (&shared.drift, &response)
            && let Some(status) = e.status().filter(|s| !op.documents(*s))
        {
            drift.undocumented_status(op.id, status);
        }
        let response = response?;
        let request_id = response.request_id();
        let value = decode::<R>(response, op, shared.drift.as_ref())?;
        match envelope(&value) {
            Some((outcome, message)) if outcome != "success" => Err(Error::Api {
                status: value.status().as_u16(),
                message: format!("envelope status `{outcome}`: {message}"),
                envelope: None,
                excerpt: None,
                request_id,
                idempotency_key: None,
            }),
            _ => Ok(value),
        }
    }
    .instrument(span.clone())
    .await
    // A write may have been done: the error names the key to retry with.
    .map_err(|e| match &key {
        Some(key) => e.with_idempotency_key(key),
        None => e,
    });
    match &result {
        Ok(value) => {
            let id = crate::attempt::request_id(value.headers());
            crate::spans::record(&span, Some(value.status().as_u16()), id.as_deref(), None);
        }
        Err(e) => crate::spans::record(&span, e.status(), e.request_id(), Some(e)),
    }
    result
}

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::InvalidRequest {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Check the body against the spec, fill the idempotency key, add the api
/// key when it travels in the body; then the bytes to send, and the
/// idempotency key they carry.
fn prepared_body(
    shared: &Shared,
    op: &OperationDescriptor,
    mut json: Value,
) -> Result<(Vec<u8>, Option<String>), Error> {
    if !op.body && !matches!(&json, Value::Null) && json != Value::Object(Map::new()) {
        return Err(invalid(
            "body",
            "must be empty: the operation takes no body",
        ));
    }
    crate::validate::check(op.id, &json)?;
    let key = match op.idempotency_key {
        Some(field) => Some(fill_idempotency_key(&mut json, field)?),
        None => None,
    };
    if shared.api_key_placement == ApiKeyPlacement::BodyField {
        object(&mut json, "to carry the api key")?
            .insert("api_key".into(), shared.credentials.api_key().into());
    }
    if json.is_null() {
        return Ok((Vec::new(), key));
    }
    let bytes = serde_json::to_vec(&json).map_err(|e| invalid("body", e.to_string()))?;
    Ok((bytes, key))
}

fn object<'a>(json: &'a mut Value, purpose: &str) -> Result<&'a mut Map<String, Value>, Error> {
    if json.is_null() {
        *json = Value::Object(Map::new());
    }
    json.as_object_mut()
        .ok_or_else(|| invalid("body", format!("must be a JSON object {purpose}")))
}

/// Give the body a fresh idempotency key if the caller left it empty, once
/// per call: every attempt then carries the same key, so the server can
/// answer a repeat with the first response instead of acting twice. The key
/// the body carries.
fn fill_idempotency_key(json: &mut Value, field: &str) -> Result<String, Error> {
    let body = object(json, "to carry an idempotency key")?;
    if let Some(key) = body
        .get(field)
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
    {
        return Ok(key.to_string());
    }
    let key = uuid::Uuid::new_v4().to_string();
    body.insert(field.into(), key.clone().into());
    Ok(key)
}

/// The request every attempt is stamped and signed from.
fn request(shared: &Shared, op: &OperationDescriptor) -> Result<reqwest::Request, Error> {
    let method = reqwest::Method::from_bytes(op.method.as_bytes())
        .map_err(|_| Error::Configuration(format!("`{}` is not an HTTP method", op.method)))?;
    let url = format!("{}{}", shared.base_url, op.path);
    let url = url::Url::parse(&url)
        .map_err(|e| Error::Configuration(format!("{url:?} is not a URL: {e}")))?;
    let mut request = reqwest::Request::new(method, url);
    let headers = request.headers_mut();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    if shared.api_key_placement == ApiKeyPlacement::Header {
        headers.insert(API_KEY, shared.api_key_header.clone());
    }
    Ok(request)
}

/// A 2xx response as the operation's type, when the spec documents its
/// status; with the drift observer on, decoded through it (the same one pass).
fn decode<R: DeserializeOwned>(
    response: Buffered,
    op: &OperationDescriptor,
    drift: Option<&crate::drift::Observer>,
) -> Result<ResponseValue<R>, Error> {
    let status = response.status.as_u16();
    let undecodable =
        |response: &Buffered, excerpt: String, reason: String| Error::UndecodableResponse {
            status: Some(status),
            content_type: response.content_type(),
            excerpt,
            reason,
            request_id: response.request_id(),
            idempotency_key: None,
        };
    if !op.documents(status) {
        if let Some(drift) = drift {
            drift.undocumented_status(op.id, status);
            // What it sent is drift too, against the success the spec
            // documents: one round of observing finds it all (the overlay
            // `ingo spec drift` writes gives the status that very schema).
            let _ = drift.decode::<R>(op.id, &response.body);
        }
        let reason = format!("status {status} is not one the spec describes");
        return Err(undecodable(&response, String::new(), reason));
    }
    let decoded = match drift {
        None => serde_json::from_slice::<R>(&response.body),
        Some(drift) => drift.decode::<R>(op.id, &response.body),
    };
    match decoded {
        Ok(value) => Ok(ResponseValue::new(value, response.status, response.headers)),
        Err(e) => {
            let excerpt = crate::error::excerpt(&response.body, crate::error::EXCERPT_BYTES);
            let reason = match failing_path::<R>(&response.body) {
                Some(at) => format!("not the JSON the spec describes: at `{at}`: {e}"),
                None => format!("not the JSON the spec describes: {e}"),
            };
            Err(undecodable(&response, excerpt, reason))
        }
    }
}

/// Where in `body` decoding as `R` fails (`data.items[3].amount`): decoded a
/// second time, tracking the path, only once the first decode has failed.
fn failing_path<R: DeserializeOwned>(body: &[u8]) -> Option<String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, R>(&mut deserializer) {
        Err(e) if e.path().iter().next().is_some() => Some(e.path().to_string()),
        _ => None,
    }
}

/// A decoded success response, with its status and headers (e.g. the
/// request id, `X-Kong-Request-Id`).
#[derive(Debug, Clone)]
pub struct ResponseValue<T> {
    inner: T,
    status: reqwest::StatusCode,
    headers: reqwest::header::HeaderMap,
}

impl<T> ResponseValue<T> {
    pub(crate) fn new(
        inner: T,
        status: reqwest::StatusCode,
        headers: reqwest::header::HeaderMap,
    ) -> Self {
        ResponseValue {
            inner,
            status,
            headers,
        }
    }

    /// The decoded body.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// The HTTP status.
    pub fn status(&self) -> reqwest::StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        &self.headers
    }
}

impl<T> std::ops::Deref for ResponseValue<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}
