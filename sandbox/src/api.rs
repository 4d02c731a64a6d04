//! What the sandbox answers to one complete request: gateway verification,
//! routing, fault selection, validation, then the data.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use crate::auth::{self, SandboxCredentials};
use crate::data::Dataset;
use crate::faults::{FaultKind, Faults};
use crate::intents::IntentIndex;
use crate::pages::{self, Failure};
use crate::validate::Invalid;

/// The path of the contacts operation.
pub const CONTACTS_PATH: &str = "/api/v4/business/customers/get-all";
/// The path of the payment-intents operation.
pub const PAYMENT_INTENTS_PATH: &str = "/api/v4/payment-intent/program/all";
const JSON: &str = "application/json";
/// How many request records are kept (oldest dropped first).
const LOG_CAPACITY: usize = 100_000;

/// One request as the sandbox saw it, for assertions in tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The request target as received (path and query).
    pub path: String,
    /// The status code answered (for a dropped response, the one in its status line).
    pub status: u16,
    /// The failed gateway check's message, if authentication failed.
    pub auth_failure: Option<String>,
    /// The `x-date` header as received.
    pub x_date: Option<String>,
    /// The number of body bytes received.
    pub body_len: usize,
    /// Whether the HMAC signature verified (true even if the API key then failed).
    pub signature_verified: bool,
    /// The faults applied to this request, in rule order.
    pub faults: Vec<FaultKind>,
}

/// A complete request off the wire.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub method: String,
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// How the response leaves the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Normal,
    /// Status line, headers, half the body, then a reset.
    Drop,
    /// `Content-Length` larger than the body sent, then close.
    Truncate,
}

/// The response to write.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub extra_headers: Vec<(&'static str, String)>,
    pub delay: Duration,
    pub transport: Transport,
}

impl Reply {
    pub fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            body,
            extra_headers: Vec::new(),
            delay: Duration::ZERO,
            transport: Transport::Normal,
        }
    }

    /// The error envelope `{"status":"error","message":…}`.
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
        Reply::new(status, JSON, serde_json::to_vec(&body).unwrap_or_default())
    }
}

/// Everything the server shares between connections.
#[derive(Debug)]
pub(crate) struct State {
    pub data: Dataset,
    pub index: IntentIndex,
    pub credentials: SandboxCredentials,
    pub faults: Faults,
    pub clock_offset_secs: AtomicI64,
    pub log: Mutex<VecDeque<RequestRecord>>,
}

impl State {
    /// The sandbox clock: real time plus the offset.
    pub fn now(&self) -> SystemTime {
        let real = SystemTime::now();
        let offset = self.clock_offset_secs.load(Ordering::Relaxed);
        let shifted = if offset >= 0 {
            real.checked_add(Duration::from_secs(offset.unsigned_abs()))
        } else {
            real.checked_sub(Duration::from_secs(offset.unsigned_abs()))
        };
        // Keep the clock where an HTTP date can show it (1970 to 9999), so a
        // wild offset cannot make formatting the `Date` header panic.
        let last = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799);
        shifted.unwrap_or(real).clamp(SystemTime::UNIX_EPOCH, last)
    }

    pub fn record(&self, record: RequestRecord) {
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if log.len() >= LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(record);
    }

    pub fn records(&self) -> Vec<RequestRecord> {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.iter().cloned().collect()
    }
}

/// Answers one request and logs it.
pub(crate) fn handle(state: &State, request: &Request) -> Reply {
    let mut record = RequestRecord {
        method: request.method.clone(),
        path: request.target.clone(),
        status: 0,
        auth_failure: None,
        x_date: auth::header(&request.headers, "x-date").map(str::to_owned),
        body_len: request.body.len(),
        signature_verified: false,
        faults: Vec::new(),
    };
    let reply = answer(state, request, &mut record);
    record.status = reply.status;
    state.record(record);
    reply
}

fn answer(state: &State, request: &Request, record: &mut RequestRecord) -> Reply {
    let Request {
        method,
        target,
        version,
        headers,
        body,
    } = request;
    let now = state.now();
    let credentials = &state.credentials;
    let verified = auth::verify_signature(method, target, version, headers, body, now, credentials)
        .map(|()| record.signature_verified = true)
        .and_then(|()| auth::verify_api_key(headers, body, credentials));
    if let Err(failure) = verified {
        let message = failure.to_string();
        record.auth_failure = Some(message.clone());
        return Reply::envelope(401, &message);
    }

    let path = target.split('?').next().unwrap_or_default();
    let known = [CONTACTS_PATH, PAYMENT_INTENTS_PATH].contains(&path);
    if !known {
        return Reply::envelope(404, &format!("no such operation: {path}"));
    }
    if method != "POST" {
        let mut reply = Reply::envelope(405, &format!("method {method} not allowed; use POST"));
        reply.extra_headers.push(("Allow", "POST".to_owned()));
        return reply;
    }

    let faults = state.faults.select(path);
    record.faults = faults.clone();
    let mut reply = respond(state, path, body, &faults);
    reply.delay = faults
        .iter()
        .filter_map(|f| match f {
            FaultKind::Delay(d) => Some(*d),
            _ => None,
        })
        .sum();
    for fault in &faults {
        match fault {
            FaultKind::DropConnection => reply.transport = Transport::Drop,
            FaultKind::TruncatedBody if reply.transport == Transport::Normal => {
                reply.transport = Transport::Truncate;
            }
            _ => {}
        }
    }
    reply
}

/// The response body for an authenticated request to a known operation.
fn respond(state: &State, path: &str, body: &[u8], faults: &[FaultKind]) -> Reply {
    for fault in faults {
        match fault {
            FaultKind::Status { code, retry_after } => {
                let mut reply = Reply::envelope(*code, &fault_message(*code));
                if let Some(value) = retry_after {
                    reply.extra_headers.push(("Retry-After", value.clone()));
                }
                return reply;
            }
            FaultKind::HtmlErrorPage { code } => return html_page(*code),
            FaultKind::MalformedJson => {
                let broken = r#"{"status":"success","message":"operation completed","data":{"items":[{"id":,]}"#;
                return Reply::new(200, JSON, broken.as_bytes().to_vec());
            }
            _ => {}
        }
    }
    let page = if path == CONTACTS_PATH {
        pages::contacts(&state.data, body, faults)
    } else {
        pages::intents(&state.data, &state.index, body, faults)
    };
    match page {
        Ok(bytes) => Reply::new(200, JSON, bytes),
        Err(Failure::Invalid(Invalid(message))) => Reply::envelope(400, &message),
        Err(Failure::NotFound(message)) => Reply::envelope(404, &message),
        Err(Failure::Internal) => Reply::envelope(500, "internal server error"),
    }
}

/// The reason phrase of a status code.
pub(crate) fn reason(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn fault_message(code: u16) -> String {
    match code {
        429 => "API rate limit exceeded".to_owned(),
        _ => reason(code).to_lowercase(),
    }
}

fn html_page(code: u16) -> Reply {
    let title = format!("{code} {}", reason(code));
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    Reply::new(code, "text/html", page.into_bytes())
}
