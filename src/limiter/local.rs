//! The in-process limiter, shared by every clone of a client.
//!
//! Starts are spaced evenly, at least one interval apart (so never more than
//! N in any window of the limit's period), rather than let out in bursts. A
//! caller reserves an estimated slot under a short `std::sync::Mutex` (never
//! held across an await), sleeps until it, and then checks in: if the rate
//! dropped, a hold began or the previous start was late meanwhile, it waits
//! again, one interval after the last start. So a hold stops every waiting
//! caller, and the end of a hold lets them out one interval apart. A caller
//! that is never polled again holds nothing. It uses tokio's clock, so tests
//! can check it under a paused clock.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::time::Instant;

use super::adaptive::Adaptive;
use super::{IntoLimiter, Limiter, LimiterSetup, RateLimit, Refusal};
use crate::Error;

/// The default limiter: pacing within this process (see the module docs).
#[derive(Debug)]
pub struct LocalLimiter {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The interval at the configured rate.
    base: Duration,
    /// The next slot to hand out (an estimate: starts are checked in).
    next: Option<Instant>,
    /// When the last caller started.
    last_start: Option<Instant>,
    /// No start before this (a server's `Retry-After`).
    hold_until: Option<Instant>,
    rate: Adaptive,
}

impl State {
    /// The earliest the next caller may start, not counting reservations.
    fn earliest(&self) -> Option<Instant> {
        let spaced = self
            .last_start
            .and_then(|t| t.checked_add(self.rate.interval(self.base)));
        spaced.max(self.hold_until)
    }
}

/// What a caller that slept until its slot may do.
enum CheckIn {
    Start,
    WaitUntil(Instant),
}

impl LocalLimiter {
    /// Pacing at `limit`, adapted to the server's 429s.
    pub fn new(limit: RateLimit) -> Result<Self, Error> {
        Ok(LocalLimiter::with_interval(limit.interval()?))
    }

    /// Pacing one start every `base` at most (the rate's interval, guard included).
    pub(crate) fn with_interval(base: Duration) -> Self {
        LocalLimiter {
            state: Mutex::new(State {
                base,
                next: None,
                last_start: None,
                hold_until: None,
                rate: Adaptive::default(),
            }),
        }
    }

    /// Pace one start every `base` from now on (a shared budget's fallback
    /// takes its share once it knows how many share it).
    #[cfg(feature = "redis")]
    pub(crate) fn set_interval(&self, base: Duration) {
        self.state().base = base;
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reserve the earliest estimated slot, unless it lies past `deadline`
    /// (then nothing is reserved).
    fn reserve(&self, deadline: Option<Instant>) -> Result<Instant, Refusal> {
        let now = Instant::now();
        let mut state = self.state();
        let earliest = state.earliest().unwrap_or(now);
        let at = now.max(earliest).max(state.next.unwrap_or(now));
        refuse_past(deadline, at, now)?;
        let interval = state.rate.interval(state.base);
        // Past the clock's range: the next caller is refused by its deadline.
        state.next = Some(at.checked_add(interval).unwrap_or(at));
        Ok(at)
    }

    /// Start now if the spacing and any hold allow it, else when they will.
    fn check_in(&self, deadline: Option<Instant>) -> Result<CheckIn, Refusal> {
        let now = Instant::now();
        let mut state = self.state();
        match state.earliest() {
            Some(at) if at > now => {
                refuse_past(deadline, at, now)?;
                Ok(CheckIn::WaitUntil(at))
            }
            _ => {
                state.last_start = Some(now);
                Ok(CheckIn::Start)
            }
        }
    }

    async fn wait_for_start(&self, deadline: Option<Instant>) -> Result<(), Refusal> {
        let mut at = self.reserve(deadline)?;
        loop {
            // tokio's timer rounds up to the next millisecond: a slot due now
            // is taken now, not a millisecond later.
            if at > Instant::now() {
                tokio::time::sleep_until(at).await;
            }
            match self.check_in(deadline)? {
                CheckIn::Start => return Ok(()),
                CheckIn::WaitUntil(later) => at = later,
            }
        }
    }

    /// Give no slot to anyone before `now + hold`, and slow down.
    pub(crate) fn throttle(&self, hold: Option<Duration>) {
        let now = Instant::now();
        let mut state = self.state();
        let base = state.base;
        state.rate.throttled(now, base);
        if let Some(until) = hold.and_then(|h| now.checked_add(h)) {
            state.hold_until = state.hold_until.max(Some(until));
        }
    }
}

/// No slot at `at` for a caller whose deadline comes first.
fn refuse_past(deadline: Option<Instant>, at: Instant, now: Instant) -> Result<(), Refusal> {
    match deadline {
        Some(d) if at > d => Err(Refusal::NoSlot(at.saturating_duration_since(now))),
        _ => Ok(()),
    }
}

impl Limiter for LocalLimiter {
    fn acquire(&self, deadline: Option<Instant>) -> BoxFuture<'_, Result<(), Refusal>> {
        self.wait_for_start(deadline).boxed()
    }

    fn throttled(&self, hold: Option<Duration>) -> BoxFuture<'_, ()> {
        self.throttle(hold);
        futures::future::ready(()).boxed()
    }

    fn answered(&self) {
        self.state().rate.answered(Instant::now());
    }
}

impl IntoLimiter for LocalLimiter {
    fn into_limiter(self, _: &LimiterSetup) -> Result<std::sync::Arc<dyn Limiter>, Error> {
        Ok(std::sync::Arc::new(self))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn per_second(n: u32) -> Arc<LocalLimiter> {
        Arc::new(LocalLimiter::new(RateLimit::per_second(n)).unwrap())
    }

    const FIVE: Duration = Duration::from_millis(210);

    async fn starts(limiter: &Arc<LocalLimiter>, n: usize) -> Vec<Duration> {
        let t0 = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move { limiter.acquire(None).await.map(|()| Instant::now()) })
            })
            .collect();
        let mut starts = Vec::new();
        for t in tasks {
            starts.push(t.await.unwrap().unwrap().duration_since(t0));
        }
        starts.sort();
        starts
    }

    fn assert_spaced(starts: &[Duration], gap: Duration) {
        for pair in starts.windows(2) {
            assert!(pair[1] - pair[0] >= gap, "{starts:?}");
        }
    }

    /// 50 concurrent callers under tokio's paused clock: one start every
    /// 210 ms, so no second ever holds more than five.
    #[tokio::test(start_paused = true)]
    async fn a_burst_of_50_is_spread_evenly() {
        let limiter = per_second(5);
        let starts = starts(&limiter, 50).await;
        assert_spaced(&starts, FIVE);
        assert_eq!(starts.first().copied(), Some(Duration::ZERO));
        assert_eq!(starts.last().copied(), Some(FIVE * 49));
    }

    /// A caller that reserved a slot and is never polled again blocks nobody.
    #[tokio::test(start_paused = true)]
    async fn a_waiter_never_polled_again_blocks_nobody() {
        let limiter = per_second(2);
        limiter.acquire(None).await.unwrap();
        let mut stuck = limiter.acquire(None);
        assert!((&mut stuck).now_or_never().is_none());
        let others = tokio::time::timeout(Duration::from_secs(60), starts(&limiter, 4))
            .await
            .expect("a caller was blocked by the abandoned waiter");
        assert_spaced(&others, Duration::from_millis(525));
        drop(stuck);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_past_the_deadline_is_refused_and_not_reserved() {
        let limiter = per_second(1);
        let now = Instant::now();
        limiter.acquire(Some(now)).await.unwrap();
        let interval = Duration::from_millis(1050);
        let deadline = now + Duration::from_millis(500);
        assert_eq!(
            limiter.acquire(Some(deadline)).await,
            Err(Refusal::NoSlot(interval))
        );
        // The refused caller took nothing: the next slot is still one interval on.
        assert_eq!(limiter.reserve(None), Ok(now + interval));
    }

    /// A hold stops the callers already waiting, and its end lets them out
    /// one interval apart, not all at once.
    #[tokio::test(start_paused = true)]
    async fn a_hold_stops_waiting_callers_and_releases_them_evenly() {
        let limiter = per_second(5);
        let waiting = {
            let limiter = limiter.clone();
            tokio::spawn(async move { starts(&limiter, 6).await })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        limiter.throttle(Some(Duration::from_secs(2)));
        let starts = waiting.await.unwrap();
        // Two started before the hold; the others after it, spaced at the
        // slowed rate (210 ms / 0.7).
        assert_eq!(&starts[..2], &[Duration::ZERO, FIVE]);
        let held = Duration::from_millis(2_300);
        assert_eq!(starts[2], held, "{starts:?}");
        assert_spaced(
            &starts[2..],
            FIVE.mul_f64(1.0 / 0.7) - Duration::from_millis(1),
        );
    }

    /// After a 429 the spacing widens; answers bring it back to the limit.
    #[tokio::test(start_paused = true)]
    async fn a_429_widens_the_spacing_until_answers_narrow_it() {
        let limiter = per_second(5);
        limiter.acquire(None).await.unwrap();
        limiter.throttle(None);
        let t = Instant::now();
        limiter.acquire(None).await.unwrap();
        assert!(Instant::now() - t >= FIVE.mul_f64(1.0 / 0.7) - Duration::from_millis(1));
        tokio::time::sleep(Duration::from_secs(2)).await;
        limiter.answered();
        let t = Instant::now();
        limiter.acquire(None).await.unwrap();
        limiter.acquire(None).await.unwrap();
        assert_eq!(Instant::now() - t, FIVE);
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_periods_and_holds_do_not_panic() {
        let limiter = LocalLimiter::new(RateLimit::new(1, Duration::MAX)).unwrap();
        assert!(limiter.reserve(None).is_ok());
        let soon = Some(Instant::now() + Duration::from_secs(1));
        assert!(limiter.reserve(soon).is_err(), "a day away");
        limiter.throttle(Some(Duration::MAX));
        let fast = LocalLimiter::new(RateLimit::new(u32::MAX, Duration::MAX)).unwrap();
        for _ in 0..3 {
            fast.acquire(None).await.unwrap();
        }
        let held = per_second(5);
        held.throttle(Some(Duration::from_secs(2)));
        let now = Instant::now();
        assert_eq!(held.reserve(None), Ok(now + Duration::from_secs(2)));
    }
}
