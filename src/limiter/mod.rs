//! Pacing: when a request may start.
//!
//! The engine asks a [`Limiter`] for a start slot before every attempt, and
//! tells it what the server said: a 429 (slow down, and hold everyone for its
//! `Retry-After`) or an answer (the rate may recover). The default is
//! [`LocalLimiter`], shared by every clone of a client; with the `redis`
//! feature, `RedisLimiter` shares one budget between every process and host
//! that use the same credentials.

mod adaptive;
mod local;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::{Credentials, Error};

pub use local::LocalLimiter;
#[cfg(feature = "redis")]
pub use redis::RedisLimiter;

/// The longest any duration setting is taken to be (a day).
const MAX_PERIOD: Duration = Duration::from_secs(24 * 60 * 60);

/// Starts are spaced by the limit's interval plus this share of it (10 ms at
/// 5/s), so that jitter on the way to the gateway neither brings two starts
/// closer than its interval nor puts N + 1 of them in one of its windows.
const GUARD: f64 = 0.05;

/// At most `max_requests` request starts in any window of `per`, spread
/// evenly: one every `per / max_requests` (plus a 5 % guard against jitter).
///
/// ```
/// use std::time::Duration;
/// let limit = ingo_banking::RateLimit::new(5, Duration::from_secs(1));
/// assert_eq!(limit, ingo_banking::RateLimit::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Starts allowed per window (at least 1).
    pub max_requests: u32,
    /// The window (at most a day).
    pub per: Duration,
}

impl RateLimit {
    /// At most `max_requests` starts in any window of `per`.
    pub fn new(max_requests: u32, per: Duration) -> Self {
        RateLimit { max_requests, per }
    }

    /// At most `n` starts in any second.
    pub fn per_second(n: u32) -> Self {
        RateLimit::new(n, Duration::from_secs(1))
    }

    /// The time between two starts, guard included: the one place a rate
    /// limit is checked.
    pub(crate) fn interval(self) -> Result<Duration, Error> {
        if self.max_requests == 0 {
            return Err(Error::Configuration(
                "rate limit: max_requests must be at least 1 (use .rate_limit(None) for no pacing)"
                    .into(),
            ));
        }
        if self.per.is_zero() {
            return Err(Error::Configuration(
                "rate limit period must be greater than zero".into(),
            ));
        }
        let per = self.per.min(MAX_PERIOD);
        Ok(per
            .checked_div(self.max_requests)
            .unwrap_or(per)
            .mul_f64(1.0 + GUARD))
    }
}

impl Default for RateLimit {
    /// Ingo's guidance: five requests per second.
    fn default() -> Self {
        RateLimit::per_second(5)
    }
}

/// Why a limiter gave no start slot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The earliest slot lies past the call's deadline; the wait it would need.
    NoSlot(Duration),
    /// The limiter's store cannot be reached and the limiter is set to fail
    /// closed: `limiter` names it (`"Redis"`), `reason` says what failed.
    Unavailable {
        /// The store, e.g. `"Redis"`.
        limiter: &'static str,
        /// What failed (never a credential).
        reason: String,
    },
}

/// Paces a client's requests: every attempt waits in [`acquire`](Self::acquire)
/// for its start; what the server answered comes back through
/// [`throttled`](Self::throttled) and [`answered`](Self::answered).
///
/// Implementations must never hold a lock across an await: a caller that is
/// never polled again must block nobody.
pub trait Limiter: fmt::Debug + Send + Sync {
    /// Wait for a start slot no later than `deadline`; when none fits,
    /// refuse at once, reserving nothing.
    fn acquire(&self, deadline: Option<Instant>) -> BoxFuture<'_, Result<(), Refusal>>;

    /// The server refused a request for its rate (429): slow down, and with
    /// `hold` (the server's `Retry-After`), start nothing for that long.
    fn throttled(&self, hold: Option<Duration>) -> BoxFuture<'_, ()>;

    /// The server answered a request: the rate may recover.
    fn answered(&self);
}

/// What a client gives [`IntoLimiter`] to make its limiter from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LimiterSetup {
    /// The client's rate limit.
    pub rate: RateLimit,
    /// A name for the credentials' budget: a SHA-256 of the HMAC username and
    /// the api key (never either of them), the same in every process.
    pub budget: String,
}

impl LimiterSetup {
    /// What a client with this rate limit and these credentials gives its limiter.
    pub fn new(rate: RateLimit, credentials: &Credentials) -> Self {
        LimiterSetup {
            rate,
            budget: budget_name(credentials),
        }
    }
}

/// What [`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter)
/// takes: a limiter, or what makes one from the client's rate limit and credentials.
pub trait IntoLimiter {
    /// The limiter for a client.
    fn into_limiter(self, setup: &LimiterSetup) -> Result<Arc<dyn Limiter>, Error>;
}

impl IntoLimiter for Arc<dyn Limiter> {
    fn into_limiter(self, _: &LimiterSetup) -> Result<Arc<dyn Limiter>, Error> {
        Ok(self)
    }
}

/// The budget's name: length-prefixed, so that no two (username, key) pairs
/// hash the same input.
fn budget_name(credentials: &Credentials) -> String {
    let username = credentials.hmac_username().as_bytes();
    let key = credentials.api_key().as_bytes();
    let mut hash = Sha256::new();
    hash.update(b"ingo-banking rate budget v1\0");
    hash.update(
        u64::try_from(username.len())
            .unwrap_or(u64::MAX)
            .to_be_bytes(),
    );
    hash.update(username);
    hash.update(key);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_carry_the_guard_and_absurd_limits_are_bounded() {
        let five = RateLimit::per_second(5).interval().unwrap();
        assert_eq!(five, Duration::from_millis(210));
        let slow = RateLimit::new(1, Duration::MAX).interval().unwrap();
        assert_eq!(slow, MAX_PERIOD.mul_f64(1.0 + GUARD));
        assert!(RateLimit::new(u32::MAX, Duration::MAX).interval().is_ok());
        assert!(
            RateLimit::new(0, Duration::from_secs(1))
                .interval()
                .is_err()
        );
        assert!(RateLimit::new(1, Duration::ZERO).interval().is_err());
    }

    #[test]
    fn budgets_are_named_by_a_hash_that_shows_no_credential() {
        let a = Credentials::new("key-abc", "user-1", "secret").unwrap();
        let b = Credentials::new("key-abd", "user-1", "secret").unwrap();
        // The same bytes split differently are another pair.
        let c = Credentials::new("1key-abc", "user-", "secret").unwrap();
        let name = budget_name(&a);
        assert_eq!(name.len(), 64);
        assert!(!name.contains("key-abc") && !name.contains("user-1"));
        assert_eq!(name, budget_name(&a.clone()));
        assert_ne!(name, budget_name(&b));
        assert_ne!(name, budget_name(&c));
    }
}
