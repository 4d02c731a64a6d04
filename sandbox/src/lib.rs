//! `ingo-sandbox`: a local, faithful stand-in for Ingo Payments' Banking
//! Platform API v4 and its gateway, in the spirit of stripe-mock.
//!
//! * Every request is verified like the gateway does (see [`verify_request`]):
//!   the five signed headers, the body's SHA-512, `content-length`, `x-date`
//!   within ±300 s of the sandbox clock, the exact `Authorization` shape, the
//!   HMAC-SHA512 signature, then the program API key. Each failed check is
//!   answered as Kong's `hmac-auth` does: `401`, `WWW-Authenticate: hmac`
//!   and a body `{"message":…}` with no `status`, the message naming the check.
//! * Every response carries a unique request id in `X-Kong-Request-Id`
//!   (configurable: [`SandboxConfig::request_id_header`]), also logged.
//! * An optional rate limit ([`SandboxConfig::rate_limit`]) answers like
//!   Kong's `rate-limiting`: `429`, `Retry-After: 1`,
//!   `{"message":"API rate limit exceeded"}`.
//! * **Every operation of the spec is served**, with no per-operation code:
//!   the spec the client was generated from ([`ingo_banking::SPEC`]) or one
//!   given at start ([`SandboxConfig::spec`], [`SandboxBuilder::spec_file`],
//!   `ingo-sandbox --spec FILE`), routed by method and path under `/api/v4`
//!   (unknown paths 404, other methods 405). Every request is checked against
//!   the spec's rules (types, int32/int64 limits, `null` unless `nullable`,
//!   bounds, `multipleOf`, lengths, ECMA-262 patterns, formats, enums, items,
//!   required and unknown fields, `allOf`/`oneOf`/`anyOf`/`not`) and refused
//!   with 400 `{"status":"error","message":"<field path>: <reason>"}`. Then:
//!   * a **list** (`page`/`per_page` in, `data.items` + `data.pagination` out)
//!     serves [`SandboxConfig::items_per_operation`] items generated from the
//!     item schema on the fly (unique ids, newest first), or pinned ones
//!     ([`SandboxConfig::data`], `--data OPERATION_ID=FILE`), paged; a body
//!     field named like an item field filters by equality, `search` by text,
//!     `start_date`/`end_date` by the item's date-time field, and any other
//!     field (`user_id`…) picks another data set;
//!   * a **write** (a body with `idempotent_key`) creates an object: the same
//!     key returns the first answer byte for byte, and every list whose item
//!     schema is the object's lists it first (at most [`MAX_STORED_WRITES`]);
//!   * anything else is a **read**: one object generated from the request.
//!
//!   Every 200 is checked against the operation's response schema before it
//!   is sent, so the sandbox never answers outside the spec.
//! * The two seed operations keep their built-in data, computed from the
//!   seed on the fly, so a million payment intents cost no memory. Contacts
//!   are served for **any** (user_id, business_id) a caller picks, derived
//!   from the seed and both ids; the reserved [`NOT_FOUND_BUSINESS_ID`] and
//!   [`NOT_FOUND_USER_ID`] answer 404 and [`EMPTY_BUSINESS_ID`] has no
//!   contacts (each also as a prefix). Payment intents belong to the program.
//! * [`Faults`] make it misbehave on purpose: status codes with any
//!   `Retry-After`, Kong-shaped errors, empty and plain-text bodies, HTML
//!   error pages, delays, slow bodies, connection resets mid-body, truncated
//!   or malformed bodies, unknown enum values, extra fields, short or
//!   repeated pages (see [`FaultKind`]). Faults are consulted for every
//!   request that passed authentication (and the rate limit), before
//!   routing, so a retrying client's every attempt is still verified and
//!   logged, and an operation the sandbox does not know can fail too.
//! * [`Sandbox::requests`] logs every request, with the faults applied, the
//!   request id and the body as received (up to [`RECORDED_BODY_BYTES`]),
//!   including requests refused before routing and those whose client gave
//!   up during an injected delay.
//!
//! ```
//! use ingo_sandbox::{FaultKind, FaultRule, Sandbox};
//!
//! let sandbox = Sandbox::start()?;
//! assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
//! assert!(sandbox.base_url().ends_with("/api/v4"));
//! let key = &sandbox.credentials().api_key;
//! assert!(!key.is_empty());
//! // The next two calls to the payment-intents operation get a 503.
//! sandbox.faults().add(
//!     FaultRule::status(503, Some("1")).first(2).only("/payment-intent/program/all"),
//! );
//! // Kong's own 429 body, as the `--fault` flag of the binary spells it.
//! sandbox.faults().add("kong:429:2".parse::<FaultKind>().map_err(std::io::Error::other)?);
//! // Any ids serve contacts; these are reserved for the error paths.
//! assert_eq!(ingo_sandbox::NOT_FOUND_BUSINESS_ID, "buss-not-found");
//! assert!(sandbox.requests().is_empty());
//! drop(sandbox); // stops the server and joins its thread
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! A spec of one's own, with pinned items for one of its lists:
//!
//! ```no_run
//! let sandbox = ingo_sandbox::Sandbox::builder()
//!     .spec_file("my-spec.yaml")
//!     .data("list_users", "users.ndjson")
//!     .start()?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod api;
mod auth;
mod authorization;
mod builder;
mod contacts;
mod data;
mod faults;
mod generate;
mod intents;
mod lists;
mod pages;
mod pattern;
mod pinned;
mod ratelimit;
mod recent;
mod refusal;
mod reply;
mod routes;
mod schema_check;
mod server;
mod setup;
mod spec;
mod store;
mod tls;
mod validate;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::thread::JoinHandle;

pub use api::{
    CONTACTS_PATH, DEFAULT_REQUEST_ID_HEADER, PAYMENT_INTENTS_PATH, RECORDED_BODY_BYTES,
    RequestRecord,
};
pub use auth::{
    MAX_CLOCK_SKEW_SECS, REQUIRED_HEADERS, SandboxCredentials, verify_api_key, verify_request,
    verify_signature,
};
pub use authorization::{ALGORITHM, AuthorizationHeader, SIGNED_HEADERS, parse_authorization};
pub use builder::SandboxBuilder;
pub use data::{EMPTY_BUSINESS_ID, NOT_FOUND_BUSINESS_ID, NOT_FOUND_USER_ID};
pub use faults::{FaultKind, FaultRule, FaultScope, Faults, ParseFaultError, drift};
pub use pinned::{MAX_PINNED_BYTES, PinnedSource};
pub use ratelimit::RateLimitMode;
pub use refusal::AuthError;
pub use routes::MAX_ITEMS_PER_OPERATION;
pub use setup::SetupError;
pub use store::MAX_STORED_WRITES;

/// The API key used when [`SandboxConfig::api_key`] is `None`.
pub const DEFAULT_API_KEY: &str = "sandbox-api-key-0123456789abcdef";
/// The HMAC username used when [`SandboxConfig::hmac_username`] is `None`.
pub const DEFAULT_HMAC_USERNAME: &str = "sandbox-user";
/// The HMAC secret used when [`SandboxConfig::hmac_secret`] is `None`.
pub const DEFAULT_HMAC_SECRET: &str = "sandbox-secret-not-for-production-0123456789";

/// How a sandbox is set up.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Seed of the deterministic data set.
    pub seed: u64,
    /// Number of users listed by [`Sandbox::businesses`] (and named by
    /// payment intents).
    pub users: usize,
    /// Businesses per user listed by [`Sandbox::businesses`].
    pub businesses_per_user: usize,
    /// Contacts of every business, whatever its ids (the reserved
    /// [`EMPTY_BUSINESS_ID`] has none).
    pub contacts_per_business: usize,
    /// Number of payment intents (at most `u32::MAX`; computed on the fly).
    pub payment_intents: u64,
    /// Sandbox clock = real time + this many seconds.
    pub clock_offset_secs: i64,
    /// Fault rules installed at start.
    pub faults: Vec<FaultRule>,
    /// The API key; `None` = [`DEFAULT_API_KEY`].
    pub api_key: Option<String>,
    /// The HMAC username; `None` = [`DEFAULT_HMAC_USERNAME`].
    pub hmac_username: Option<String>,
    /// The HMAC secret; `None` = [`DEFAULT_HMAC_SECRET`].
    pub hmac_secret: Option<String>,
    /// The response header carrying a unique id per request
    /// ([`DEFAULT_REQUEST_ID_HEADER`], Kong's, by default; e.g.
    /// `"X-Request-Id"` for other proxies); `None` or empty: no such header.
    pub request_id_header: Option<String>,
    /// A gateway rate limit like Kong's: more than this many authenticated
    /// requests starting within any sliding second get `429` with
    /// `Retry-After: 1` and `{"message":"API rate limit exceeded"}`.
    /// Refused requests do not count. `None` (the default): no limit.
    pub rate_limit: Option<u32>,
    /// The OpenAPI document to serve (YAML or JSON text); `None`:
    /// [`ingo_banking::SPEC`], the one the client was generated from.
    pub spec: Option<String>,
    /// How many items each list operation without built-in or pinned data
    /// serves (generated on the fly from the item schema; at most
    /// [`MAX_ITEMS_PER_OPERATION`], since a filter scans them all).
    pub items_per_operation: u64,
    /// Pinned items by operationId: served (paged, filtered) instead of
    /// generated ones, each checked against the item schema at start.
    pub data: Vec<(String, PinnedSource)>,
    /// Serve HTTPS with a certificate made at start for these names (DNS
    /// names or IP addresses), signed by a CA of its own whose PEM
    /// [`Sandbox::ca_pem`] gives; `None` (the default): plain HTTP. The
    /// base URL's host is `127.0.0.1`, so a certificate for `localhost`
    /// alone is one the client must refuse (a wrong host).
    pub tls: Option<Vec<String>>,
    /// How [`rate_limit`](Self::rate_limit) counts: Kong's sliding window
    /// (the default), or [`RateLimitMode::Strict`], nginx's `limit_req` with
    /// no burst (requests less than 1/N s apart are refused, the same way).
    pub rate_limit_mode: RateLimitMode,
}

impl Default for SandboxConfig {
    fn default() -> SandboxConfig {
        SandboxConfig {
            port: 0,
            seed: 1,
            users: 3,
            businesses_per_user: 2,
            contacts_per_business: 37,
            payment_intents: 2_500,
            clock_offset_secs: 0,
            faults: Vec::new(),
            api_key: None,
            hmac_username: None,
            hmac_secret: None,
            request_id_header: Some(DEFAULT_REQUEST_ID_HEADER.to_owned()),
            rate_limit: None,
            spec: None,
            items_per_operation: 250,
            data: Vec::new(),
            tls: None,
            rate_limit_mode: RateLimitMode::Window,
        }
    }
}

/// A running sandbox. It serves on its own thread with its own tokio
/// runtime, so it works from sync code, from any async runtime and under a
/// caller's paused tokio clock. Dropping it stops the server and joins the
/// thread.
#[derive(Debug)]
pub struct Sandbox {
    base_url: String,
    ca_pem: Option<String>,
    state: Arc<api::State>,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts a sandbox with [`SandboxConfig::default`] on an ephemeral port.
    pub fn start() -> std::io::Result<Sandbox> {
        Sandbox::start_with(SandboxConfig::default())
    }

    /// A builder: a spec, pinned data and any [`SandboxConfig`] field.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// Starts a sandbox; returns once it is listening.
    ///
    /// Fails with [`std::io::ErrorKind::InvalidInput`] if
    /// [`SandboxConfig::request_id_header`] is not a valid header name, or
    /// if the spec or pinned data cannot be served (a [`SetupError`] inside).
    pub fn start_with(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let request_id_header = config.request_id_header.filter(|h| !h.is_empty());
        if let Some(name) = &request_id_header
            && !is_header_name(name)
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("request id header {name:?} is not a valid header name"),
            ));
        }
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let credentials = SandboxCredentials {
            api_key: config.api_key.unwrap_or_else(|| DEFAULT_API_KEY.to_owned()),
            hmac_username: config
                .hmac_username
                .unwrap_or_else(|| DEFAULT_HMAC_USERNAME.to_owned()),
            hmac_secret: config
                .hmac_secret
                .unwrap_or_else(|| DEFAULT_HMAC_SECRET.to_owned()),
        };
        let data = data::Dataset::new(
            config.seed,
            config.users,
            config.businesses_per_user,
            config.contacts_per_business,
            config.payment_intents,
        );
        let service = routes::Service::new(routes::ServiceConfig {
            spec: config.spec.as_deref().unwrap_or(ingo_banking::SPEC),
            seed: config.seed,
            items_per_operation: config.items_per_operation,
            pinned: &config.data,
            data: &data,
        })?;
        let state = Arc::new(api::State {
            data,
            index: intents::IntentIndex::default(),
            credentials,
            faults: Faults::new(config.faults),
            clock_offset_secs: AtomicI64::new(config.clock_offset_secs),
            request_ids: api::RequestIds::new(request_id_header, id_nonce(port)),
            limiter: config
                .rate_limit
                .map(|n| ratelimit::RateLimiter::new(n, config.rate_limit_mode)),
            log: Default::default(),
            connections: Default::default(),
            service,
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(4)
            .thread_name("ingo-sandbox")
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let tls = match &config.tls {
            Some(names) if names.is_empty() => Some(tls::make(&tls::default_names())?),
            Some(names) => Some(tls::make(names)?),
            None => None,
        };
        let (scheme, ca_pem) = match &tls {
            Some(tls) => ("https", Some(tls.ca_pem.clone())),
            None => ("http", None),
        };
        let acceptor = tls.map(|tls| tls.acceptor);
        let (shutdown, stop) = tokio::sync::watch::channel(false);
        let served = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("ingo-sandbox-{port}"))
            .spawn(move || {
                runtime.block_on(server::serve(listener, served, acceptor, stop));
                // Cancels every open connection; a handler still computing a
                // page is given a moment, not forever.
                runtime.shutdown_timeout(std::time::Duration::from_secs(2));
            })?;
        Ok(Sandbox {
            base_url: format!("{scheme}://127.0.0.1:{port}/api/v4"),
            ca_pem,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT/api/v4` (`https://…` with [`SandboxConfig::tls`]).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// With [`SandboxConfig::tls`], the PEM of the CA that signed the
    /// server's certificate: what a client must trust to connect.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// How many TCP connections the sandbox has accepted, including those
    /// whose TLS handshake the client then refused (which log no request).
    pub fn connections(&self) -> u64 {
        self.state.connections.load(Ordering::Relaxed)
    }

    /// The credentials the sandbox accepts.
    pub fn credentials(&self) -> &SandboxCredentials {
        &self.state.credentials
    }

    /// The live fault rules; add or clear rules at any time.
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// Sets the sandbox clock to real time + `secs` (affects the `x-date`
    /// check and the `Date` response header).
    pub fn set_clock_offset(&self, secs: i64) {
        self.state.clock_offset_secs.store(secs, Ordering::Relaxed);
    }

    /// Every request received so far, oldest first: the most recent 100,000,
    /// fewer if their recorded bodies exceed 64 MiB in all.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.records()
    }

    /// Example (user_id, business_id) pairs that have contacts:
    /// [`SandboxConfig::users`] × [`SandboxConfig::businesses_per_user`] of
    /// them, empty if [`SandboxConfig::contacts_per_business`] is 0.
    ///
    /// Any other pair of non-empty ids has contacts too, derived from the
    /// seed and both ids; only [`NOT_FOUND_USER_ID`],
    /// [`NOT_FOUND_BUSINESS_ID`] and [`EMPTY_BUSINESS_ID`] are reserved.
    pub fn businesses(&self) -> Vec<(String, String)> {
        self.state.data.businesses_with_contacts()
    }

    /// The number of payment intents served (unfiltered `total`).
    pub fn payment_intent_count(&self) -> u64 {
        u64::from(self.state.data.payment_intents)
    }
}

/// Whether `name` is an HTTP header name (an RFC 9110 token).
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A nonce that makes request ids differ between sandboxes.
fn id_nonce(port: u16) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(port) << 48) ^ u64::from(std::process::id())
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
