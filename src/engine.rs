//! The request engine: one call, attempt after attempt.
//!
//! Each attempt ([`crate::attempt`]) is classified ([`crate::classify`]);
//! the retry policy ([`RetryPolicy::decide`](crate::RetryPolicy)) reads the
//! class's rule, what the spec says about repeating the operation, the
//! attempts made and the time left, and answers "stop" or "wait". As in
//! aws-smithy-runtime, the attempt knows nothing of retries and the policy
//! knows nothing of HTTP.

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::attempt::{Buffered, attempt};
use crate::classify::{CallState, Classified, Failed, classify, retry_rule};
use crate::client::Shared;
use crate::retry::{Decision, RetryRule};
use crate::{Error, OperationDescriptor};

/// Run `request` (its body is `body`) to a complete 2xx response or a typed error.
pub(crate) async fn execute(
    shared: &Shared,
    request: reqwest::Request,
    body: Bytes,
    operation: &OperationDescriptor,
) -> Result<Buffered, Error> {
    let policy = &shared.retry;
    let repeatable = operation.idempotent || operation.idempotency_key.is_some();
    let deadline = Instant::now().checked_add(policy.deadline);
    let mut skew_retried = false;
    let mut attempts = 0u32;
    loop {
        attempts = attempts.saturating_add(1);
        let signed_with = shared.skew.offset_ms();
        let attempted = attempt(shared, &request, &body, deadline, signed_with).await;
        let now = shared.skew.local_now();
        let Failed { error, retry_after } = match classify(
            attempted,
            shared.max_response_bytes,
            now,
            shared.proxy.as_deref(),
        ) {
            Classified::Success(response) => {
                let id = response.request_id();
                let status = Some(response.status.as_u16());
                trace(
                    shared,
                    operation.id,
                    attempts,
                    status,
                    id.as_deref(),
                    None,
                    None,
                );
                return Ok(response);
            }
            Classified::Failure(failed) => failed,
        };
        let state = CallState {
            skew_moved: shared.skew.moved_since(signed_with),
            skew_retried,
        };
        let rule = retry_rule(&error, state);
        skew_retried |= rule == RetryRule::Now;
        let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let wait = match policy.decide(rule, repeatable, attempts, remaining, retry_after) {
            Decision::Wait(wait) => Some(wait),
            Decision::Stop => None,
        };
        let (status, id) = (error.status(), error.request_id());
        trace(
            shared,
            operation.id,
            attempts,
            status,
            id,
            Some(&error),
            wait,
        );
        let Some(wait) = wait else {
            return Err(error);
        };
        if let (Some(pacer), Some(_)) = (&shared.pacer, retry_after) {
            // The server asked everyone to wait: so do this client's other calls.
            pacer.hold_for(wait);
        }
        tokio::time::sleep(wait).await;
    }
}

/// One event per attempt, with what support needs (never a credential).
fn trace(
    shared: &Shared,
    operation: &str,
    attempt: u32,
    status: Option<u16>,
    request_id: Option<&str>,
    error: Option<&Error>,
    retry_in: Option<Duration>,
) {
    tracing::debug!(
        operation,
        attempt,
        status,
        request_id,
        error = error.map(ToString::to_string),
        retry_in_ms = retry_in.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        clock_offset_ms = shared.skew.offset_ms(),
        "ingo request attempt"
    );
}
