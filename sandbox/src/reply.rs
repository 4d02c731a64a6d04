//! What the sandbox answers: a response to write ([`Reply`]), and why a
//! request was not served ([`Failure`]), which every route returns and
//! which becomes the API's error envelope.

use std::time::Duration;

use crate::generate::Unsatisfiable;
use crate::schema_check::Violation;

pub(crate) const JSON: &str = "application/json";
/// What Kong's own responses carry.
pub(crate) const KONG_JSON: &str = "application/json; charset=utf-8";

/// How the response leaves the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Normal,
    /// Status line, headers, half the body, then a reset (TCP RST).
    Drop,
    /// `Content-Length` larger than the body sent, then close.
    Truncate,
}

/// The response to write.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub status: u16,
    /// `None`: no `Content-Type` header.
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
    pub extra_headers: Vec<(&'static str, String)>,
    /// Wait this long before writing anything.
    pub delay: Duration,
    /// Spread the body over this long, in about ten chunks, after the head.
    pub pace: Duration,
    pub transport: Transport,
    /// The value of the request-id header, if it is sent.
    pub request_id: Option<String>,
}

impl Reply {
    pub fn new(status: u16, content_type: Option<&'static str>, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            body,
            extra_headers: Vec::new(),
            delay: Duration::ZERO,
            pace: Duration::ZERO,
            transport: Transport::Normal,
            request_id: None,
        }
    }

    /// The API's error envelope `{"status":"error","message":…}`.
    pub fn envelope(status: u16, message: &str) -> Reply {
        #[derive(serde::Serialize)]
        struct ErrorEnvelope<'a> {
            status: &'static str,
            message: &'a str,
        }
        let body = ErrorEnvelope {
            status: "error",
            message,
        };
        Reply::new(
            status,
            Some(JSON),
            serde_json::to_vec(&body).unwrap_or_default(),
        )
    }

    /// The gateway's own error shape `{"message":…}`, with no `status`.
    pub fn kong(status: u16, message: &str) -> Reply {
        #[derive(serde::Serialize)]
        struct KongError<'a> {
            message: &'a str,
        }
        let body = serde_json::to_vec(&KongError { message }).unwrap_or_default();
        Reply::new(status, Some(KONG_JSON), body)
    }

    /// A failed gateway check, as Kong's `hmac-auth` answers it.
    pub fn unauthorized(message: &str) -> Reply {
        let mut reply = Reply::kong(401, message);
        reply
            .extra_headers
            .push(("WWW-Authenticate", "hmac".to_owned()));
        reply
    }
}

/// Why a request was not served.
#[derive(Debug)]
pub(crate) enum Failure {
    /// 400: the request breaks the spec.
    Invalid(Violation),
    /// 404: the addressed user or business does not exist (reserved ids).
    NotFound(String),
    /// 500: the spec asks for a value the sandbox cannot make.
    Unsatisfiable(String),
    /// 507: the write store is full.
    Full(String),
    /// 500: the answer could not be serialised.
    Internal,
}

impl From<Unsatisfiable> for Failure {
    fn from(e: Unsatisfiable) -> Failure {
        Failure::Unsatisfiable(e.to_string())
    }
}

impl From<Violation> for Failure {
    fn from(v: Violation) -> Failure {
        Failure::Invalid(v)
    }
}

impl Failure {
    pub(crate) fn reply(self) -> Reply {
        match self {
            Failure::Invalid(v) => Reply::envelope(400, &v.to_string()),
            Failure::NotFound(message) => Reply::envelope(404, &message),
            Failure::Unsatisfiable(message) => Reply::envelope(500, &format!("sandbox: {message}")),
            Failure::Full(message) => Reply::envelope(507, &format!("sandbox: {message}")),
            Failure::Internal => Reply::envelope(500, "internal server error"),
        }
    }
}
