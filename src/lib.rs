//! # ingo-banking
//!
//! A typed client for Ingo Payments' Banking Platform API v4, generated at
//! compile time from `spec/ingo-banking.yaml` (progenitor), with a thin layer
//! for what a spec cannot say: Ingo's HMAC-SHA512 request signing, the api
//! key, pacing, retries that re-sign, clock-skew correction and pagination.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use ingo_banking::prelude::*;
//!
//! # async fn run() -> Result<(), ingo_banking::Error> {
//! // INGO_API_KEY, INGO_HMAC_USERNAME, INGO_HMAC_SECRET (and INGO_BASE_URL)
//! let client = Client::from_env()?;
//!
//! // One page, typed.
//! let page = client
//!     .list_contacts()
//!     .user_id("user-8f3a2b1c")
//!     .business_id("buss-2ef94c60")
//!     .per_page(50)
//!     .call()
//!     .await?;
//! println!("{} contacts", page.data.map_or(0, |d| d.pagination.total));
//!
//! // Every pending payment intent, page after page, lazily.
//! let pending: Vec<_> = client
//!     .list_payment_intents()
//!     .status_str("pending")
//!     .per_page(500)
//!     .items()
//!     .prefetch(true)
//!     .try_collect()
//!     .await?;
//! # let _ = pending;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod attempt;
mod call;
mod classify;
mod client;
mod credentials;
pub mod drift;
mod engine;
mod error;
mod limiter;
mod open_enum;
mod operation;
mod paginate;
mod retry;
mod skew;
mod spans;
mod validate;

pub mod signing;

/// The crates whose types stand in this crate's API, at the versions it was
/// built with: a program that depends on `ingo-banking` (and `tokio`) alone
/// can name every type of every public signature.
pub use {chrono, futures, reqwest, rust_decimal};

#[allow(unused_imports, missing_docs)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/ingo_banking.rs"));
}

pub use call::ResponseValue;
/// The OpenAPI document this client was generated from, as YAML (with any
/// `INGO_SPEC_OVERLAY` overlays applied): what `ingo spec` and the sandbox read.
pub const SPEC: &str = include_str!(concat!(env!("OUT_DIR"), "/spec.yaml"));

pub use classify::FailureClass;
pub use client::{
    ApiKeyPlacement, Client, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES, ENV_API_KEY_IN,
    ENV_BASE_URL, ENV_CA_CERT, ENV_ENVIRONMENT, ENV_RATE_LIMIT_URL, Environment, certificates,
    install_tls_provider,
};
pub use credentials::{Credentials, ENV_API_KEY, ENV_HMAC_SECRET, ENV_HMAC_USERNAME};
pub use drift::{DriftEntry, DriftKind, ENV_DRIFT_LOG, JsonType};
pub use error::Error;
pub use generated::{OPERATIONS, builder, types};
#[cfg(feature = "redis")]
pub use limiter::RedisLimiter;
pub use limiter::{IntoLimiter, Limiter, LimiterSetup, LocalLimiter, RateLimit, Refusal};
pub use operation::Operation;
pub use paginate::{Items, ListOperation, Page, PageFuture, PageInfo, Pages};
pub use retry::RetryPolicy;
pub use validate::Violation;

/// Check a JSON request body against every rule the spec states for
/// `operation_id` (what the client does before sending), e.g. to report a
/// bad nested field by its path before decoding the body into its type.
pub fn check_body(operation_id: &str, body: &serde_json::Value) -> Result<(), Violation> {
    validate::check(operation_id, body)
}

/// Decode a success response body of `operation_id` as `R`, as a call
/// does, noting where it departs from the spec: what the drift observer
/// records (see [`ClientBuilder::drift_log`]), each seen at the current time.
/// The entries are there even when decoding fails (a required field that
/// never came, a value that breaks its format), e.g. to check a recorded
/// response offline.
pub fn check_response<R: serde::de::DeserializeOwned>(
    operation_id: &str,
    body: &[u8],
) -> (Result<R, serde_json::Error>, Vec<DriftEntry>) {
    let (decoded, findings) = drift::observe(operation_id, body);
    (
        decoded,
        findings.into_entries(operation_id, chrono::Utc::now()),
    )
}

/// An operation of the spec, as generated (see [`OPERATIONS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationDescriptor {
    /// The spec's `operationId`, also the client's method name.
    pub id: &'static str,
    /// The HTTP method, e.g. `POST`.
    pub method: &'static str,
    /// Relative to the base URL.
    pub path: &'static str,
    /// The spec's one-line summary.
    pub summary: &'static str,
    /// Whether it pages (`page`/`per_page` in, `data.items` out).
    pub paginated: bool,
    /// Whether it takes a JSON request body.
    pub body: bool,
    /// The response codes the spec documents (`200`, `4XX`, `default`).
    pub responses: &'static [&'static str],
    /// The JSON body's fields, as the spec names them.
    pub fields: &'static [&'static str],
    /// The body fields the spec requires.
    pub required: &'static [&'static str],
    /// The spec marks it safe to repeat (`x-ingo-idempotent: true`): every
    /// transient failure is retried.
    pub idempotent: bool,
    /// The body field that carries an idempotency key (`idempotent_key`), if
    /// any: the client fills it once per call when the caller leaves it
    /// empty, and then retries the operation like an idempotent one.
    pub idempotency_key: Option<&'static str>,
}

impl OperationDescriptor {
    /// Whether the spec documents the status `status` for this operation.
    pub fn documents(&self, status: u16) -> bool {
        let code = status.to_string();
        let class = format!("{}XX", status / 100);
        self.responses
            .iter()
            .any(|r| *r == code || r.eq_ignore_ascii_case(&class) || *r == "default")
    }
}

/// What a caller usually needs in scope, `TryStreamExt` (to collect a walk) included.
pub mod prelude {
    pub use crate::{
        ApiKeyPlacement, Client, Credentials, Environment, Error, ListOperation, Operation,
        RateLimit, RetryPolicy, types,
    };
    pub use futures::TryStreamExt;
}

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
