//! The request engine: one call, attempt after attempt.
//!
//! Each attempt ([`crate::attempt`]) is classified ([`crate::classify`]);
//! the retry policy ([`RetryPolicy::decide`](crate::RetryPolicy)) reads the
//! class's rule, what the spec says about repeating the operation, the
//! attempts made and the time left, and answers "stop" or "wait". As in
//! aws-smithy-runtime, the attempt knows nothing of retries and the policy
//! knows nothing of HTTP.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;
use tracing::Instrument;

use crate::attempt::{Buffered, attempt, pace};
use crate::classify::{CallState, Classified, Failed, FailureClass, classify, retry_rule};
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
    // Attempts that count against `max_attempts` (see `counts`).
    let mut counted = 0u32;
    let mut answers_seen = shared.answers.load(Ordering::Relaxed);
    loop {
        attempts = attempts.saturating_add(1);
        let signed_with = shared.skew.offset_ms();
        // The attempt's span starts once it has its slot: it times the
        // request, not the wait for the rate limit.
        let (attempted, span) = match pace(shared, deadline).await {
            Some(refused) => (refused, tracing::Span::none()),
            None => {
                let span = crate::spans::attempt(&request, attempts);
                let attempted = attempt(shared, &request, &body, deadline, signed_with)
                    .instrument(span.clone())
                    .await;
                (attempted, span)
            }
        };
        let now = shared.skew.local_now();
        let failed = match classify(
            attempted,
            shared.max_response_bytes,
            now,
            shared.proxy.as_deref(),
        ) {
            Classified::Success(response) => {
                if let Some(limiter) = &shared.limiter {
                    limiter.answered();
                }
                shared.answers.fetch_add(1, Ordering::Relaxed);
                trace(shared, &span, operation.id, attempts, Ok(&response));
                return Ok(response);
            }
            Classified::Failure(failed) => failed,
        };
        let throttled = failed.error.class() == FailureClass::Throttled;
        let answers = shared.answers.load(Ordering::Relaxed);
        // A 429 while the gateway answers this client's other calls is a
        // matter of pace, not an outage: it does not use up the attempts
        // (the deadline still bounds the call, and the limiter slows down).
        if attempts == 1 || !(throttled && answers != answers_seen) {
            counted = counted.saturating_add(1);
        }
        answers_seen = answers;
        let state = CallState {
            skew_moved: shared.skew.moved_since(signed_with),
            skew_retried,
        };
        let rule = retry_rule(&failed, state);
        skew_retried |= rule == RetryRule::Now;
        let Failed {
            error, retry_after, ..
        } = failed;
        let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let wait = match policy.decide(rule, repeatable, counted, remaining, retry_after) {
            Decision::Wait(wait) => Some(wait),
            Decision::Stop => None,
        };
        trace(shared, &span, operation.id, attempts, Err((&error, wait)));
        drop(span);
        // The server asked everyone to wait (no call waits longer than a
        // deadline): so do this client's other calls, and every process
        // sharing its budget; and all of them slow down.
        let report = async {
            if let (Some(limiter), true) = (&shared.limiter, throttled) {
                let hold = retry_after.map(|r| r.min(policy.deadline));
                limiter.throttled(hold).await;
            }
        };
        let report = tokio::time::timeout(remaining.unwrap_or(Duration::MAX), report);
        let Some(wait) = wait else {
            let _ = report.await;
            return Err(error);
        };
        let _ = futures::future::join(report, tokio::time::sleep(wait)).await;
    }
}

/// What an attempt came to, on its span and as one event in it, with what
/// support needs (never a credential): the response, or the error and the
/// wait before the next attempt, if any.
fn trace(
    shared: &Shared,
    span: &tracing::Span,
    operation: &str,
    attempt: u32,
    outcome: Result<&Buffered, (&Error, Option<Duration>)>,
) {
    let (status, request_id, error, retry_in) = match outcome {
        Ok(response) => (
            Some(response.status.as_u16()),
            response.request_id(),
            None,
            None,
        ),
        Err((error, wait)) => (
            error.status(),
            error.request_id().map(str::to_owned),
            Some(error),
            wait,
        ),
    };
    crate::spans::record(span, status, request_id.as_deref(), error);
    span.in_scope(|| {
        tracing::debug!(
            operation,
            attempt,
            status,
            request_id,
            error = error.map(ToString::to_string),
            retry_in_ms = retry_in.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            clock_offset_ms = shared.skew.offset_ms(),
            "ingo request attempt"
        )
    });
}
