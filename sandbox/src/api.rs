//! What the sandbox answers to one complete request: gateway verification,
//! rate limiting, fault selection, routing, validation, then the data.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::auth::{self, SandboxCredentials};
use crate::data::{Dataset, mix};
use crate::faults::{FaultKind, Faults};
use crate::intents::IntentIndex;
use crate::ratelimit::RateLimiter;
use crate::reply::{JSON, Reply, Transport};
use crate::routes::Service;

/// The path of the contacts operation.
pub const CONTACTS_PATH: &str = "/api/v4/business/customers/get-all";
/// The path of the payment-intents operation.
pub const PAYMENT_INTENTS_PATH: &str = "/api/v4/payment-intent/program/all";
/// The request-id header sent by default, as Kong does.
pub const DEFAULT_REQUEST_ID_HEADER: &str = "X-Kong-Request-Id";
/// At most this many bytes of a request body are kept in its [`RequestRecord`].
pub const RECORDED_BODY_BYTES: usize = 64 * 1024;
/// How many request records are kept (oldest dropped first).
const LOG_CAPACITY: usize = 100_000;
/// How many recorded body bytes are kept in all (oldest records dropped first).
const LOG_BODY_BUDGET: usize = 64 * 1024 * 1024;

/// One request as the sandbox saw it, for assertions in tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// The method, e.g. `POST` (empty if the request head did not parse).
    pub method: String,
    /// The request target as received (path and query; empty if the request
    /// head did not parse).
    pub path: String,
    /// The status code answered (for a dropped response, the one in its
    /// status line; for a client that gave up during a delay, the one it
    /// would have got).
    pub status: u16,
    /// The failed gateway check's message, if authentication failed.
    pub auth_failure: Option<String>,
    /// The `x-date` header as received.
    pub x_date: Option<String>,
    /// The number of body bytes received.
    pub body_len: usize,
    /// Whether the HMAC signature verified (true even if the API key then failed).
    pub signature_verified: bool,
    /// The faults applied to this request, in rule order: every rule that
    /// fired, even one with nothing to change (e.g. `short-page` on a 404).
    /// Empty for requests refused by authentication or the rate limit.
    pub faults: Vec<FaultKind>,
    /// The request id sent in the response's request-id header
    /// (`X-Kong-Request-Id` by default); `None` if that header is turned off.
    pub request_id: Option<String>,
    /// The request body as received, truncated to [`RECORDED_BODY_BYTES`]
    /// (`body_len` has the full length).
    pub body: Vec<u8>,
}

impl RequestRecord {
    /// A record of a request as received, before it is answered.
    pub(crate) fn received(
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> RequestRecord {
        RequestRecord {
            method: method.to_owned(),
            path: target.to_owned(),
            status: 0,
            auth_failure: None,
            x_date: auth::header(headers, "x-date").map(str::to_owned),
            body_len: body.len(),
            signature_verified: false,
            faults: Vec::new(),
            request_id: None,
            body: body.get(..RECORDED_BODY_BYTES).unwrap_or(body).to_vec(),
        }
    }
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

/// Unique request ids: a per-sandbox nonce mixed with a counter (the mix is
/// a bijection, so no two requests of one sandbox share an id).
#[derive(Debug)]
pub(crate) struct RequestIds {
    /// The header name; `None`: no header, no ids.
    pub header: Option<String>,
    nonce: u64,
    counter: AtomicU64,
}

impl RequestIds {
    pub fn new(header: Option<String>, nonce: u64) -> RequestIds {
        RequestIds {
            header,
            nonce: mix(nonce),
            counter: AtomicU64::new(0),
        }
    }

    /// The next id (32 hex digits, like Kong's), or `None` if ids are off.
    pub fn next(&self) -> Option<String> {
        self.header.as_ref()?;
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let hi = mix(n.wrapping_add(self.nonce));
        Some(format!("{hi:016x}{:016x}", mix(hi ^ self.nonce)))
    }
}

/// The request log: the most recent records within a count and a byte budget.
#[derive(Debug, Default)]
pub(crate) struct Log {
    records: VecDeque<RequestRecord>,
    body_bytes: usize,
}

/// Everything the server shares between connections.
#[derive(Debug)]
pub(crate) struct State {
    pub data: Dataset,
    pub index: IntentIndex,
    pub credentials: SandboxCredentials,
    pub faults: Faults,
    pub clock_offset_secs: AtomicI64,
    pub request_ids: RequestIds,
    pub limiter: Option<RateLimiter>,
    pub log: Mutex<Log>,
    /// TCP connections accepted (a TLS handshake a client refused counts too).
    pub connections: AtomicU64,
    /// Every operation of the spec, served.
    pub service: Service,
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
        log.body_bytes += record.body.len();
        log.records.push_back(record);
        while log.records.len() > LOG_CAPACITY || log.body_bytes > LOG_BODY_BUDGET {
            let Some(oldest) = log.records.pop_front() else {
                break;
            };
            log.body_bytes = log.body_bytes.saturating_sub(oldest.body.len());
        }
    }

    pub fn records(&self) -> Vec<RequestRecord> {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.records.iter().cloned().collect()
    }

    /// Logs and answers a request the server could not read (`method` and
    /// `target` are empty if its head did not parse).
    pub fn refuse(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        status: u16,
        message: &str,
    ) -> Reply {
        let mut record = RequestRecord::received(method, target, headers, &[]);
        let mut reply = Reply::envelope(status, message);
        reply.request_id = self.request_ids.next();
        record.request_id = reply.request_id.clone();
        record.status = status;
        self.record(record);
        reply
    }
}

/// Answers one request and logs it (before any injected delay, so a request
/// whose client gives up during the delay is logged too).
pub(crate) fn handle(state: &State, request: &Request) -> Reply {
    let mut record = RequestRecord::received(
        &request.method,
        &request.target,
        &request.headers,
        &request.body,
    );
    let mut reply = answer(state, request, &mut record);
    reply.request_id = state.request_ids.next();
    record.request_id = reply.request_id.clone();
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
        return Reply::unauthorized(&message);
    }
    if let Some(limiter) = &state.limiter
        && !limiter.admit()
    {
        return rate_limited(limiter.limit);
    }

    // Faults come before routing: a gateway or proxy fails whatever the path.
    let path = target.split('?').next().unwrap_or_default();
    let faults = state.faults.select(path);
    record.faults = faults.clone();
    let mut reply = respond(state, method, target, body, &faults);
    for fault in &faults {
        match fault {
            FaultKind::Delay(d) => reply.delay = reply.delay.saturating_add(*d),
            FaultKind::SlowBody(d) => reply.pace = reply.pace.saturating_add(*d),
            FaultKind::DropConnection => reply.transport = Transport::Drop,
            FaultKind::TruncatedBody if reply.transport == Transport::Normal => {
                reply.transport = Transport::Truncate;
            }
            FaultKind::SuccessStatus { code } if reply.status == 200 => reply.status = *code,
            _ => {}
        }
    }
    reply
}

/// Kong's answer past the rate limit.
fn rate_limited(limit: u32) -> Reply {
    let mut reply = Reply::kong(429, "API rate limit exceeded");
    let limit = limit.to_string();
    reply.extra_headers.extend([
        ("Retry-After", "1".to_owned()),
        ("X-RateLimit-Limit-Second", limit.clone()),
        ("X-RateLimit-Remaining-Second", "0".to_owned()),
        ("RateLimit-Limit", limit),
        ("RateLimit-Remaining", "0".to_owned()),
        ("RateLimit-Reset", "1".to_owned()),
    ]);
    reply
}

/// The response for an authenticated request: a fault's, or the operation's.
fn respond(state: &State, method: &str, target: &str, body: &[u8], faults: &[FaultKind]) -> Reply {
    for fault in faults {
        match fault {
            FaultKind::Status { code, retry_after } => {
                let mut reply = Reply::envelope(*code, &fault_message(*code));
                if let Some(value) = retry_after {
                    reply.extra_headers.push(("Retry-After", value.clone()));
                }
                return reply;
            }
            FaultKind::KongError { code, retry_after } => {
                let mut reply = if *code == 401 {
                    Reply::unauthorized(&kong_message(*code))
                } else {
                    Reply::kong(*code, &kong_message(*code))
                };
                if let Some(value) = retry_after {
                    reply.extra_headers.push(("Retry-After", value.clone()));
                }
                return reply;
            }
            FaultKind::HtmlErrorPage { code } => return html_page(*code),
            FaultKind::EmptyBody { code } => return Reply::new(*code, None, Vec::new()),
            FaultKind::TextBody { code } => {
                let text = "upstream connect error or disconnect/reset before headers. reset reason: connection termination";
                return Reply::new(*code, Some("text/plain"), text.as_bytes().to_vec());
            }
            FaultKind::MalformedJson => {
                let broken = r#"{"status":"success","message":"operation completed","data":{"items":[{"id":,]}"#;
                return Reply::new(200, Some(JSON), broken.as_bytes().to_vec());
            }
            _ => {}
        }
    }
    let builtin = (&state.data, &state.index);
    state
        .service
        .respond(builtin, method, target, body, faults, state.now())
}

/// The reason phrase of a status code.
pub(crate) fn reason(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
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
        507 => "Insufficient Storage",
        _ => "Status",
    }
}

fn fault_message(code: u16) -> String {
    match code {
        429 => "API rate limit exceeded".to_owned(),
        _ => reason(code).to_lowercase(),
    }
}

/// The message Kong puts in its own error bodies (its `error_handlers.lua`,
/// plus the plugins' messages for 401, 403 and 429).
fn kong_message(code: u16) -> String {
    let known = match code {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "You cannot consume this service",
        404 => "Not found",
        405 => "Method not allowed",
        408 => "Request timeout",
        411 => "Length required",
        412 => "Precondition failed",
        413 => "Payload too large",
        414 => "URI too long",
        417 => "Expectation failed",
        429 => "API rate limit exceeded",
        494 => "Request header or cookie too large",
        500 => "An unexpected error occurred",
        502 => "An invalid response was received from the upstream server",
        503 => "The upstream server is currently unavailable",
        504 => "The upstream server is timing out",
        _ => return format!("The upstream server responded with {code}"),
    };
    known.to_owned()
}

fn html_page(code: u16) -> Reply {
    let title = format!("{code} {}", reason(code));
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    Reply::new(code, Some("text/html"), page.into_bytes())
}
