//! When to try a request again, and how long to wait first.
//!
//! Every failed attempt is classified ([`crate::classify`]) into a retry
//! rule; [`RetryPolicy::decide`] reads that rule, what the spec says about
//! repeating the operation, the attempts made and the time left, and answers
//! "stop" or "wait this long". It decides nothing about what a failure means.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderValue;

/// The longest `Retry-After` taken at its word; a larger one is implausible
/// (`18446744073709551615`) and treated like an absent one.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Retries with exponential backoff and full jitter, bounded by attempts and a deadline.
///
/// Retried: connect errors; and, for operations the spec marks safe to repeat
/// (or whose body carries an idempotency key), timeouts, connections dropped
/// mid-response, 429, 502, 503, 504 (and 500 if [`retry_500`](Self::retry_500)
/// is set). `Retry-After` is honoured when it fits in the deadline. Every
/// attempt is stamped and signed afresh.
///
/// ```
/// use std::time::Duration;
/// use ingo_banking::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(6)
///     .deadline(Duration::from_secs(120));
/// assert_eq!(policy.max_attempts, 6);
/// assert_eq!(RetryPolicy::none().max_attempts, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retries).
    pub max_attempts: u32,
    /// The first backoff's upper bound; doubled each retry up to `max_delay`.
    pub base_delay: Duration,
    /// The largest backoff (a `Retry-After` longer than this is still honoured, within the deadline).
    pub max_delay: Duration,
    /// No attempt starts, and no wait ends, after this much time since the call began.
    pub deadline: Duration,
    /// Whether HTTP 500 is retried (off by default: it often means a bug, not a blip).
    pub retry_500: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            deadline: Duration::from_secs(60),
            retry_500: false,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy::default().max_attempts(1)
    }

    /// Attempts in all, the first included.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The first backoff's upper bound.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The largest backoff.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The whole call's budget, waits and retries included.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Whether HTTP 500 is retried.
    pub fn retry_500(mut self, retry: bool) -> Self {
        self.retry_500 = retry;
        self
    }

    /// Full-jitter backoff before attempt `attempt + 1` (`attempt` counts from 1).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        let millis = u64::try_from(exp.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=millis))
    }

    /// What to do after a failed attempt.
    ///
    /// * `rule`: how the failure may be retried (its class's, see `classify`);
    /// * `repeatable`: the spec marks the operation safe to repeat, or its body
    ///   carries an idempotency key;
    /// * `attempt`: attempts made so far (from 1);
    /// * `remaining`: time left before the deadline (`None`: no deadline);
    /// * `retry_after`: the server's plausible `Retry-After`.
    pub(crate) fn decide(
        &self,
        rule: RetryRule,
        repeatable: bool,
        attempt: u32,
        remaining: Option<Duration>,
        retry_after: Option<Duration>,
    ) -> Decision {
        if attempt >= self.max_attempts {
            return Decision::Stop;
        }
        let wait = match rule {
            RetryRule::Never => return Decision::Stop,
            RetryRule::NotSent => retry_after.unwrap_or_else(|| self.backoff(attempt)),
            RetryRule::IfRepeatable if !repeatable => return Decision::Stop,
            RetryRule::IfRepeatableAndOptedIn if !(repeatable && self.retry_500) => {
                return Decision::Stop;
            }
            RetryRule::IfRepeatable | RetryRule::IfRepeatableAndOptedIn => {
                retry_after.unwrap_or_else(|| self.backoff(attempt))
            }
            RetryRule::Now => Duration::ZERO,
        };
        match remaining {
            Some(left) if wait >= left => Decision::Stop,
            _ => Decision::Wait(wait),
        }
    }
}

/// How a failed attempt may be retried: what `classify` tells the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryRule {
    /// A permanent failure.
    Never,
    /// The request cannot have reached the server: safe for any operation.
    NotSent,
    /// Transient, but the server may have acted: only for operations safe to
    /// repeat (the spec says so, or the body carries an idempotency key).
    IfRepeatable,
    /// Like `IfRepeatable`, when the policy opts in (`retry_500`).
    IfRepeatableAndOptedIn,
    /// Refused for a reason the client has just corrected (a stale clock
    /// offset): once, at once, for any operation.
    Now,
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Stop,
    Wait(Duration),
}

/// `Retry-After` as a delay: either seconds or an HTTP date (relative to
/// `now`). Garbage, and values past [`MAX_RETRY_AFTER`], give `None`.
pub(crate) fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    let wait = if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
        // Digits past u64 are implausible too.
        Duration::from_secs(text.parse::<u64>().ok()?)
    } else {
        let at = httpdate::parse_http_date(text).ok()?;
        at.duration_since(now).unwrap_or_default()
    };
    (wait <= MAX_RETRY_AFTER).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> HeaderValue {
        HeaderValue::from_str(text).unwrap()
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_579_291_169);
        let parse = |t: &str| parse_retry_after(&header(t), now);
        assert_eq!(parse("0"), Some(Duration::ZERO));
        assert_eq!(parse(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse("86400"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse("86401"), None);
        assert_eq!(parse("18446744073709551615"), None);
        assert_eq!(parse("99999999999999999999999"), None);
        assert_eq!(parse("-5"), None);
        assert_eq!(parse("garbage"), None);
        assert_eq!(parse(""), None);
        // Fri, 17 Jan 2020 19:59:29 GMT is `now`; ten seconds later, and earlier.
        assert_eq!(
            parse("Fri, 17 Jan 2020 19:59:39 GMT"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(parse("Fri, 17 Jan 2020 19:59:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("Fri, 31 Dec 9999 23:59:59 GMT"), None);
    }

    #[test]
    fn decisions() {
        let policy = RetryPolicy::default();
        let later = Some(Duration::from_secs(2));
        let left = Some(Duration::from_secs(10));
        let decide =
            |rule, repeatable, attempt, left| policy.decide(rule, repeatable, attempt, left, later);
        assert_eq!(
            decide(RetryRule::IfRepeatable, true, 1, left),
            Decision::Wait(Duration::from_secs(2))
        );
        assert_eq!(
            decide(RetryRule::IfRepeatable, false, 1, left),
            Decision::Stop
        );
        assert_eq!(
            decide(
                RetryRule::IfRepeatable,
                true,
                1,
                Some(Duration::from_secs(1))
            ),
            Decision::Stop,
            "a Retry-After past the deadline ends the call now"
        );
        assert_eq!(
            decide(RetryRule::IfRepeatable, true, 4, left),
            Decision::Stop
        );
        assert!(matches!(
            policy.decide(RetryRule::NotSent, false, 1, None, None),
            Decision::Wait(_)
        ));
        assert_eq!(
            decide(RetryRule::NotSent, false, 1, left),
            Decision::Wait(Duration::from_secs(2)),
            "the gateway's own 429 is retried after its Retry-After"
        );
        assert_eq!(decide(RetryRule::Never, true, 1, left), Decision::Stop);
        assert_eq!(
            decide(RetryRule::Now, false, 1, left),
            Decision::Wait(Duration::ZERO)
        );
        assert_eq!(
            decide(RetryRule::IfRepeatableAndOptedIn, true, 1, left),
            Decision::Stop,
            "a 500 is retried only when the policy opts in"
        );
        assert_eq!(
            policy.clone().retry_500(true).decide(
                RetryRule::IfRepeatableAndOptedIn,
                true,
                1,
                left,
                later
            ),
            Decision::Wait(Duration::from_secs(2))
        );
    }

    #[test]
    fn backoff_never_overflows() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::MAX)
            .max_delay(Duration::MAX);
        for attempt in [0, 1, 2, 63, 64, u32::MAX] {
            let _ = policy.backoff(attempt);
        }
    }
}
