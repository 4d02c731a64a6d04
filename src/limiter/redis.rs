//! One rate budget for every process and host that use the same credentials,
//! kept in Redis.
//!
//! Each start costs one round trip: a Lua script (`acquire.lua`) takes the
//! next slot on Redis's own clock, re-loaded by the `redis` crate if Redis
//! lost it. A 429 costs one more (`throttle.lua`): the shared rate drops and
//! a `Retry-After` holds every process. Answers ride on the next start's trip.
//! When Redis fails or is slow, the limiter paces in-process at a share of the
//! rate (by default 1/N, N the limiters that shared the budget in the last
//! minute, as the script counts them), or fails open or closed, as set; it
//! warns once, and tries Redis again in the background until sharing resumes.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::adaptive::{BETA, CUBIC, FLOOR};
use super::local::LocalLimiter;
use super::{IntoLimiter, Limiter, LimiterSetup, Refusal};
use crate::Error;

/// How long one Redis round trip may take before Redis counts as down.
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);
/// The share of the rate one limiter takes while Redis is down when it never
/// learnt how many share the budget (Redis was down from the start).
const UNKNOWN_SHARERS_SHARE: f64 = 0.5;
/// How often Redis is tried again while it is down.
const PROBE_EVERY: Duration = Duration::from_millis(500);
/// The longest wait taken from a Redis reply; more is a broken reply.
const MAX_WAIT: Duration = Duration::from_secs(31 * 24 * 60 * 60);
/// What names Redis in errors and logs.
const REDIS: &str = "Redis";

/// A rate budget shared through Redis (`redis://host:port/db`) by every
/// client, in any process on any host, whose credentials have the same HMAC
/// username and api key; clients with other credentials share nothing.
/// Give it to [`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter);
/// the client's [`RateLimit`](crate::RateLimit) is the budget's.
///
/// Redis keys are named by a SHA-256 of the username and api key, never the
/// key itself, under a hash tag (`ingo-banking:{…}:pace`) so that a Redis
/// Cluster keeps them in one slot.
///
/// ```
/// let limiter = ingo_banking::RedisLimiter::new("redis://127.0.0.1:6379/0")?
///     .fallback_share(0.25)?;
/// # Ok::<(), ingo_banking::Error>(())
/// ```
#[derive(Clone)]
pub struct RedisLimiter {
    client: redis::Client,
    endpoint: String,
    timeout: Duration,
    when_down: WhenDown,
}

/// What a [`RedisLimiter`] does while Redis cannot be reached or is slow.
#[derive(Debug, Clone, Copy, PartialEq)]
enum WhenDown {
    /// Pace in-process at `share` of the rate; `None` (the default): 1/N,
    /// N the limiters Redis last said share the budget (0.5 if it never said).
    Fallback { share: Option<f64> },
    /// Fail every call with [`Error::RateLimiterUnavailable`].
    FailClosed,
    /// Do not pace at all.
    FailOpen,
}

impl fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .field("when_down", &self.when_down)
            .finish()
    }
}

impl RedisLimiter {
    /// A limiter on the Redis at `url` (`redis://[:password@]host:port/db`);
    /// nothing is connected until the first request.
    pub fn new(url: &str) -> Result<Self, Error> {
        // The URL may carry a password: errors never repeat it.
        let client = redis::Client::open(url).map_err(|_| {
            Error::Configuration(
                "the shared rate limiter's URL is not a Redis URL (redis://host:port/db)".into(),
            )
        })?;
        let info = client.get_connection_info();
        let endpoint = format!("{}/{}", info.addr(), info.redis_settings().db());
        Ok(RedisLimiter {
            client,
            endpoint,
            timeout: DEFAULT_TIMEOUT,
            when_down: WhenDown::Fallback { share: None },
        })
    }

    /// How long a Redis round trip may take before Redis counts as down (default 250 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// While Redis is down, pace in-process at `share` (in (0, 1]) of the rate.
    /// By default the share is 1/N, N the clients (in every process) that
    /// took slots from the budget in the minute before Redis went down, as
    /// Redis counted them: their sum stays within the limit. A limiter that
    /// never reached Redis takes half.
    pub fn fallback_share(mut self, share: f64) -> Result<Self, Error> {
        if !(share > 0.0 && share <= 1.0) {
            return Err(Error::Configuration(
                "the rate limiter's fallback share must be more than 0 and at most 1".into(),
            ));
        }
        self.when_down = WhenDown::Fallback { share: Some(share) };
        Ok(self)
    }

    /// While Redis is down, fail calls with [`Error::RateLimiterUnavailable`].
    pub fn fail_closed(mut self) -> Self {
        self.when_down = WhenDown::FailClosed;
        self
    }

    /// While Redis is down, do not pace.
    pub fn fail_open(mut self) -> Self {
        self.when_down = WhenDown::FailOpen;
        self
    }
}

impl IntoLimiter for RedisLimiter {
    fn into_limiter(self, setup: &LimiterSetup) -> Result<Arc<dyn Limiter>, Error> {
        let base = setup.rate.interval()?;
        if self.timeout.is_zero() {
            return Err(Error::Configuration(
                "the rate limiter's Redis timeout must be greater than zero".into(),
            ));
        }
        let share = match self.when_down {
            WhenDown::Fallback { share } => share.unwrap_or(UNKNOWN_SHARERS_SHARE),
            _ => 1.0,
        };
        Ok(Arc::new(SharedBudget(Arc::new(Budget {
            key: format!("ingo-banking:{{{}}}:pace", setup.budget),
            sharers_key: format!("ingo-banking:{{{}}}:sharers", setup.budget),
            id: fastrand::i64(0..i64::MAX),
            sharers: AtomicU64::new(0),
            base,
            base_us: micros(base).max(1),
            timeout: self.timeout.min(Duration::from_secs(60)),
            fallback: LocalLimiter::with_interval(share_of(base, share)),
            when_down: self.when_down,
            endpoint: self.endpoint,
            client: self.client,
            connection: OnceCell::new(),
            acquire: redis::Script::new(include_str!("acquire.lua")),
            throttle: redis::Script::new(include_str!("throttle.lua")),
            down: AtomicBool::new(false),
            answered: AtomicBool::new(false),
            health: Mutex::new(Health::default()),
        }))))
    }
}

/// The limiter a client holds.
struct SharedBudget(Arc<Budget>);

struct Budget {
    client: redis::Client,
    endpoint: String,
    /// Made on first use, inside the caller's runtime.
    connection: OnceCell<ConnectionManager>,
    key: String,
    /// The sorted set of the limiters sharing the budget (`acquire.lua`).
    sharers_key: String,
    /// This limiter's member in it.
    id: i64,
    /// How many limiters Redis last said share the budget (0: not yet asked).
    sharers: AtomicU64,
    base: Duration,
    base_us: i64,
    timeout: Duration,
    when_down: WhenDown,
    fallback: LocalLimiter,
    acquire: redis::Script,
    throttle: redis::Script,
    /// Redis failed; the fallback paces until a probe succeeds.
    down: AtomicBool,
    /// This process saw an answer since its last start (rides on the next).
    answered: AtomicBool,
    health: Mutex<Health>,
}

#[derive(Default)]
struct Health {
    /// What failed, for errors.
    reason: String,
    last_probe: Option<Instant>,
}

impl fmt::Debug for SharedBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let budget = &self.0;
        f.debug_struct("RedisLimiter")
            .field("endpoint", &budget.endpoint)
            .field("when_down", &budget.when_down)
            .field("down", &budget.down.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The script's answer to a request for a slot.
#[derive(Debug, PartialEq, Eq)]
enum Grant {
    StartIn(Duration),
    AskAgainIn(Duration),
    PastDeadline(Duration),
}

impl Budget {
    async fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            // The probe retries, not the manager: a call never waits on a reconnect.
            .set_number_of_retries(0)
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        self.connection
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await
            .cloned()
    }

    /// Run one of the scripts: the rate's arguments first, then `rest`.
    async fn run<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        rest: &[i64],
    ) -> Result<T, String> {
        let mut connection = self.connection().await.map_err(reason)?;
        let mut call = script.key(&self.key);
        call.key(&self.sharers_key);
        call.arg(self.base_us).arg(BETA).arg(CUBIC).arg(FLOOR);
        for arg in rest {
            call.arg(*arg);
        }
        call.invoke_async(&mut connection).await.map_err(reason)
    }

    async fn ask(&self, max_wait_us: i64, answered: bool) -> Result<Grant, String> {
        let reply: Vec<i64> = self
            .run(&self.acquire, &[max_wait_us, i64::from(answered), self.id])
            .await?;
        let (grant, sharers) = grant(&reply)?;
        self.sharers.store(sharers, Ordering::Relaxed);
        Ok(grant)
    }

    async fn report(&self, hold_us: i64) -> Result<(), String> {
        let _: i64 = self.run(&self.throttle, &[hold_us]).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), String> {
        let mut connection = self.connection().await.map_err(reason)?;
        let _: String = redis::cmd("PING")
            .query_async(&mut connection)
            .await
            .map_err(reason)?;
        Ok(())
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Redis failed: pace without it from now on (at this limiter's share),
    /// and say so once.
    fn went_down(&self, why: String) {
        if !self.down.swap(true, Ordering::AcqRel) {
            let sharers = self.sharers.load(Ordering::Relaxed);
            if let WhenDown::Fallback { share: None } = self.when_down {
                let share = match sharers {
                    0 => UNKNOWN_SHARERS_SHARE,
                    n => 1.0 / n as f64,
                };
                self.fallback.set_interval(share_of(self.base, share));
            }
            tracing::warn!(
                redis = %self.endpoint,
                reason = %why,
                when_down = ?self.when_down,
                sharers,
                "the shared rate limiter (Redis) is unavailable; pacing without it until it is back"
            );
        }
        self.health().reason = why;
    }

    /// The start while Redis is down.
    async fn without_redis(&self, deadline: Option<Instant>) -> Result<(), Refusal> {
        match self.when_down {
            WhenDown::Fallback { .. } => self.fallback.acquire(deadline).await,
            WhenDown::FailOpen => Ok(()),
            WhenDown::FailClosed => Err(Refusal::Unavailable {
                limiter: REDIS,
                reason: self.health().reason.clone(),
            }),
        }
    }
}

impl SharedBudget {
    async fn start(&self, deadline: Option<Instant>) -> Result<(), Refusal> {
        let budget = &self.0;
        loop {
            if budget.down.load(Ordering::Acquire) {
                self.probe_soon();
                return budget.without_redis(deadline).await;
            }
            let now = Instant::now();
            let left = deadline.map(|d| d.saturating_duration_since(now));
            if left.is_some_and(|l| l.is_zero()) {
                return Err(Refusal::NoSlot(Duration::ZERO));
            }
            let limit = left.map_or(budget.timeout, |l| l.min(budget.timeout));
            let answered = budget.answered.swap(false, Ordering::AcqRel);
            let max_wait = left.map_or(-1, micros);
            match tokio::time::timeout(limit, budget.ask(max_wait, answered)).await {
                // The script checked the deadline; a reply that did not is a wrong one.
                Ok(Ok(Grant::StartIn(wait) | Grant::AskAgainIn(wait)))
                    if left.is_some_and(|l| wait > l) =>
                {
                    return Err(Refusal::NoSlot(wait));
                }
                Ok(Ok(Grant::StartIn(wait))) => {
                    // As in the local limiter: no timer (a millisecond) for a slot due now.
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    return Ok(());
                }
                Ok(Ok(Grant::AskAgainIn(wait))) => tokio::time::sleep(wait).await,
                Ok(Ok(Grant::PastDeadline(wait))) => return Err(Refusal::NoSlot(wait)),
                Ok(Err(why)) => budget.went_down(why),
                // The call's deadline came first: that is no fault of Redis.
                Err(_) if limit < budget.timeout => return Err(Refusal::NoSlot(Duration::ZERO)),
                Err(_) => budget.went_down(format!(
                    "no answer within {} ms",
                    budget.timeout.as_millis()
                )),
            }
        }
    }

    async fn report_throttle(&self, hold: Option<Duration>) {
        let budget = &self.0;
        // The fallback learns it too, in case it has to take over.
        budget.fallback.throttle(hold);
        if budget.down.load(Ordering::Acquire) {
            return;
        }
        let hold_us = hold.map_or(0, |h| micros(h.min(MAX_WAIT)));
        match tokio::time::timeout(budget.timeout, budget.report(hold_us)).await {
            Ok(Ok(())) => {}
            Ok(Err(why)) => budget.went_down(why),
            Err(_) => budget.went_down(format!(
                "no answer within {} ms",
                budget.timeout.as_millis()
            )),
        }
    }

    /// Try Redis again in the background, at most once per [`PROBE_EVERY`].
    fn probe_soon(&self) {
        let now = Instant::now();
        {
            let mut health = self.0.health();
            if health
                .last_probe
                .is_some_and(|t| now.saturating_duration_since(t) < PROBE_EVERY)
            {
                return;
            }
            health.last_probe = Some(now);
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let budget = Arc::clone(&self.0);
        runtime.spawn(async move {
            let pinged = tokio::time::timeout(budget.timeout, budget.ping()).await;
            if matches!(pinged, Ok(Ok(()))) && budget.down.swap(false, Ordering::AcqRel) {
                tracing::info!(redis = %budget.endpoint, "the shared rate limiter (Redis) is back");
            }
        });
    }
}

impl Limiter for SharedBudget {
    fn acquire(&self, deadline: Option<Instant>) -> BoxFuture<'_, Result<(), Refusal>> {
        self.start(deadline).boxed()
    }

    fn throttled(&self, hold: Option<Duration>) -> BoxFuture<'_, ()> {
        self.report_throttle(hold).boxed()
    }

    fn answered(&self) {
        self.0.answered.store(true, Ordering::Release);
        self.0.fallback.answered();
    }
}

/// One start every `base / share`.
fn share_of(base: Duration, share: f64) -> Duration {
    Duration::try_from_secs_f64(base.as_secs_f64() / share).unwrap_or(MAX_WAIT)
}

/// The script's reply, checked: three integers, a known code, a plausible
/// wait, and at least one limiter sharing the budget (the caller).
fn grant(reply: &[i64]) -> Result<(Grant, u64), String> {
    let unexpected = || "Redis answered an unexpected reply to the limiter's script".to_string();
    let [code, wait, sharers] = *reply else {
        return Err(unexpected());
    };
    let sharers = u64::try_from(sharers)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(unexpected)?;
    let wait = u64::try_from(wait)
        .map(Duration::from_micros)
        .ok()
        .filter(|w| *w <= MAX_WAIT)
        .ok_or_else(unexpected)?;
    let grant = match code {
        0 => Grant::StartIn(wait),
        1 => Grant::AskAgainIn(wait),
        2 => Grant::PastDeadline(wait),
        _ => return Err(unexpected()),
    };
    Ok((grant, sharers))
}

/// What failed, in words that cannot carry a credential or the URL.
fn reason(e: redis::RedisError) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connection_refusal() {
        "connection refused".into()
    } else if e.is_io_error() || e.is_connection_dropped() {
        "connection failed".into()
    } else if let Some(code) = e.code() {
        format!(
            "Redis answered {}",
            code.chars().take(32).collect::<String>()
        )
    } else {
        format!("{:?}", e.kind())
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_checked() {
        let ms = Duration::from_millis;
        assert_eq!(grant(&[0, 1_000, 1]), Ok((Grant::StartIn(ms(1)), 1)));
        assert_eq!(grant(&[1, 2_000, 3]), Ok((Grant::AskAgainIn(ms(2)), 3)));
        assert_eq!(grant(&[2, 0, 8]), Ok((Grant::PastDeadline(ms(0)), 8)));
        let bad: [&[i64]; 8] = [
            &[],
            &[0],
            &[0, 1],
            &[0, 1, 2, 3],
            &[3, 0, 1],
            &[0, -1, 1],
            &[0, i64::MAX, 1],
            &[0, 1, 0],
        ];
        for bad in bad {
            assert!(grant(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls_are_checked_and_never_echoed() {
        let error = RedisLimiter::new("http://user:hunter2@example/0").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        let limiter = RedisLimiter::new("redis://:hunter2@127.0.0.1:6390/2").unwrap();
        let shown = format!("{limiter:?}");
        assert!(
            shown.contains("127.0.0.1:6390/2") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(limiter.clone().fallback_share(0.0).is_err());
        assert!(limiter.clone().fallback_share(f64::NAN).is_err());
        assert!(limiter.fallback_share(1.0).is_ok());
    }
}
