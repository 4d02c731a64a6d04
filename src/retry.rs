//! When to try a request again, and how long to wait first.

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::HeaderValue;

/// Retries with exponential backoff and full jitter, bounded by attempts and a deadline.
///
/// Retried: connect errors, timeouts, 429, 502, 503, 504 (and 500 if
/// [`retry_500`](Self::retry_500) is set). `Retry-After` is honoured. Every
/// attempt is stamped and signed afresh.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether a response with this status is worth another attempt.
    pub fn retries_status(&self, status: u16) -> bool {
        matches!(status, 429 | 502 | 503 | 504) || (self.retry_500 && status == 500)
    }

    /// Full-jitter backoff before attempt `attempt + 1` (`attempt` counts from 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        let millis = u64::try_from(exp.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// `Retry-After` as a delay: either seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}
