//! From progenitor's error to [`Error`]: classify by status, keep the message.

use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::Serialize;

use crate::error::excerpt;
use crate::operation::ResponseMeta;
use crate::{Error, RawError};

/// The prefix the request hook gives a spec violation, so it can be read back.
pub(crate) const INVALID_FIELD: &str = "invalid field `";
/// The prefix the request hook gives a clock it cannot sign with.
pub(crate) const CLOCK: &str = "clock: ";

pub(crate) async fn from_raw<E: Serialize>(raw: RawError<E>, meta: ResponseMeta) -> Error {
    match raw {
        RawError::Custom(text) if text.starts_with(CLOCK) => {
            Error::Clock(text[CLOCK.len()..].to_string())
        }
        RawError::InvalidRequest(text) | RawError::Custom(text) => invalid_request(&text),
        RawError::CommunicationError(e)
        | RawError::InvalidUpgrade(e)
        | RawError::ResponseBodyError(e) => transport(e, &meta),
        RawError::InvalidResponsePayload(body, e) => Error::UndecodableResponse {
            status: meta.status,
            content_type: meta.content_type,
            excerpt: excerpt(&body),
            reason: format!("not the JSON the spec describes: {e}"),
        },
        RawError::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let retry_after = retry_after(value.headers());
            let envelope = serde_json::to_value(value.into_inner()).ok();
            by_status(status, envelope, retry_after)
        }
        RawError::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let content_type = content_type(response.headers());
            if let Some(location) = response.headers().get(reqwest::header::LOCATION) {
                return Error::Api {
                    status,
                    message: format!(
                        "redirect to {} not followed (credentials are never sent to another location)",
                        String::from_utf8_lossy(location.as_bytes())
                    ),
                    envelope: None,
                };
            }
            match response.bytes().await {
                Ok(body) => match serde_json::from_slice::<serde_json::Value>(&body) {
                    Ok(envelope) => by_status(status, Some(envelope), retry_after),
                    Err(e) => Error::UndecodableResponse {
                        status: Some(status),
                        content_type,
                        excerpt: excerpt(&body),
                        reason: format!("unexpected status with a body that is not JSON: {e}"),
                    },
                },
                Err(e) => transport(e, &meta),
            }
        }
    }
}

fn transport(e: reqwest::Error, meta: &ResponseMeta) -> Error {
    if e.is_timeout() || meta.timed_out {
        Error::Timeout
    } else {
        Error::Transport(e.without_url())
    }
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn retry_after(headers: &HeaderMap) -> Option<std::time::Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| crate::retry::parse_retry_after(v, std::time::SystemTime::now()))
}

fn by_status(
    status: u16,
    envelope: Option<serde_json::Value>,
    retry_after: Option<std::time::Duration>,
) -> Error {
    let message = envelope
        .as_ref()
        .and_then(|e| e.get("message"))
        .and_then(|m| m.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| {
            reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("no message")
                .to_string()
        });
    match status {
        401 | 403 => Error::Unauthorized { status, message },
        429 => Error::RateLimited {
            retry_after,
            message,
        },
        _ => Error::Api {
            status,
            message,
            envelope,
        },
    }
}

/// Read the field back from the request hook's message, or from typify's
/// builder messages (`no value supplied for user_id`, `error converting
/// supplied value for per_page: …`).
fn invalid_request(text: &str) -> Error {
    let split = |rest: &str, sep: &str| -> Option<(String, String)> {
        let (field, reason) = rest.split_once(sep)?;
        Some((field.trim().to_string(), reason.trim().to_string()))
    };
    let parsed = if let Some(rest) = text.strip_prefix(INVALID_FIELD) {
        split(rest, "`")
    } else if let Some((_, rest)) = text.split_once("no value supplied for ") {
        Some((rest.trim().to_string(), "is required".to_string()))
    } else if let Some((_, rest)) = text.split_once("error converting supplied value for ") {
        split(rest, ":")
    } else {
        None
    };
    let (field, reason) = parsed.unwrap_or_else(|| ("body".to_string(), text.to_string()));
    Error::InvalidRequest { field, reason }
}
