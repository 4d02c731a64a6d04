//! A client-side limit on request rate, shared by every clone of a client.
//!
//! Ingo asks for at most five requests per second. The pacer hands out start
//! times ("slots") so that no window of `per` holds more than `max_requests`
//! of them: a caller reserves its slot under a short `std::sync::Mutex`
//! (never held across an await) and then sleeps until it on its own. A caller
//! that is never polled again holds nothing; at most its slot goes unused.
//! It uses tokio's clock, so tests can check it under a paused clock.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// At most `max_requests` request starts in any window of `per`.
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
}

impl Default for RateLimit {
    /// Ingo's guidance: five requests per second.
    fn default() -> Self {
        RateLimit::per_second(5)
    }
}

/// No slot before the caller's deadline; the wait it would have needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NoSlot(pub Duration);

#[derive(Debug)]
pub(crate) struct Pacer {
    max_requests: NonZeroU32,
    per: Duration,
    state: Mutex<Slots>,
}

#[derive(Debug, Default)]
struct Slots {
    /// The last `max_requests` slots handed out, in order.
    given: VecDeque<Instant>,
    /// No slot before this (set when the server asks everyone to wait).
    not_before: Option<Instant>,
}

impl Pacer {
    /// At most `max_requests` starts in any window of `per` (checked by the
    /// client builder: `per` is at most a day).
    pub fn new(max_requests: NonZeroU32, per: Duration) -> Self {
        Pacer {
            max_requests,
            per,
            state: Mutex::new(Slots::default()),
        }
    }

    /// Reserve the earliest slot that keeps the limit, unless it lies past
    /// `deadline` (then nothing is reserved). Returns when to start.
    pub fn reserve(&self, deadline: Option<Instant>) -> Result<Instant, NoSlot> {
        let now = Instant::now();
        let mut slots = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let max = usize::try_from(self.max_requests.get()).unwrap_or(usize::MAX);
        let mut at = now;
        if let Some(last) = slots.given.back() {
            at = at.max(*last);
        }
        if let Some(not_before) = slots.not_before {
            at = at.max(not_before);
        }
        if slots.given.len() >= max
            && let Some(oldest) = slots.given.front()
        {
            // `per` is bounded by the builder, but a sum past the clock's
            // range means "never": no slot.
            let Some(free) = oldest.checked_add(self.per) else {
                return Err(NoSlot(self.per));
            };
            at = at.max(free);
        }
        if deadline.is_some_and(|d| at > d) {
            return Err(NoSlot(at.saturating_duration_since(now)));
        }
        slots.given.push_back(at);
        while slots.given.len() > max {
            slots.given.pop_front();
        }
        Ok(at)
    }

    /// Wait for a slot (see [`Pacer::reserve`]); no lock is held while waiting.
    pub async fn acquire(&self, deadline: Option<Instant>) -> Result<(), NoSlot> {
        let at = self.reserve(deadline)?;
        tokio::time::sleep_until(at).await;
        Ok(())
    }

    /// Give no slot to anyone before `now + wait` (a server's `Retry-After`).
    pub fn hold_for(&self, wait: Duration) {
        let Some(until) = Instant::now().checked_add(wait) else {
            return;
        };
        let mut slots = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        slots.not_before = Some(slots.not_before.map_or(until, |t| t.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures::FutureExt;

    use super::*;

    fn per_second(n: u32) -> Pacer {
        Pacer::new(NonZeroU32::new(n).unwrap(), Duration::from_secs(1))
    }

    fn assert_paced(starts: &mut [Duration], max: usize, per: Duration) {
        starts.sort();
        for (i, s) in starts.iter().enumerate() {
            let in_window = starts[i..].iter().take_while(|t| **t < *s + per).count();
            assert!(
                in_window <= max,
                "{in_window} starts within {per:?} of {s:?}"
            );
        }
    }

    /// 50 concurrent callers under tokio's paused clock: no window of one
    /// second ever holds more than five starts, and the burst takes 9 s.
    #[tokio::test(start_paused = true)]
    async fn a_burst_of_50_is_paced_to_5_per_second() {
        let pacer = Arc::new(per_second(5));
        let t0 = Instant::now();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move { pacer.acquire(None).await.map(|()| Instant::now()) })
            })
            .collect();
        let mut starts = Vec::new();
        for t in tasks {
            starts.push(t.await.unwrap().unwrap().duration_since(t0));
        }
        assert_paced(&mut starts, 5, Duration::from_secs(1));
        assert_eq!(starts.last().copied(), Some(Duration::from_secs(9)));
    }

    /// A caller that reserved a slot and is never polled again blocks
    /// nobody: the others are served on time (the deadlock of a lock held
    /// across an await cannot happen).
    #[tokio::test(start_paused = true)]
    async fn a_waiter_never_polled_again_blocks_nobody() {
        let pacer = Arc::new(per_second(2));
        let t0 = Instant::now();
        // Two callers take the first window; a third starts waiting for the
        // second window, is polled once, and is then abandoned (not dropped).
        pacer.acquire(None).await.unwrap();
        pacer.acquire(None).await.unwrap();
        let mut stuck = Box::pin(pacer.acquire(None));
        assert!((&mut stuck).now_or_never().is_none());
        let others: Vec<_> = (0..4)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move { pacer.acquire(None).await.map(|()| Instant::now()) })
            })
            .collect();
        let mut starts = vec![Duration::ZERO, Duration::ZERO, Duration::from_secs(1)];
        for t in others {
            let started = tokio::time::timeout(Duration::from_secs(60), t)
                .await
                .expect("a caller was blocked by the abandoned waiter")
                .unwrap()
                .unwrap();
            starts.push(started.duration_since(t0));
        }
        assert_paced(&mut starts, 2, Duration::from_secs(1));
        // The abandoned slot (at 1 s) is lost, not given twice: the four
        // others start at 1 s, 2 s, 2 s and 3 s.
        assert_eq!(starts.last().copied(), Some(Duration::from_secs(3)));
        drop(stuck);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_past_the_deadline_is_refused_and_not_reserved() {
        let pacer = per_second(1);
        let now = Instant::now();
        assert_eq!(pacer.reserve(Some(now)), Ok(now));
        let deadline = now + Duration::from_millis(500);
        assert_eq!(
            pacer.reserve(Some(deadline)),
            Err(NoSlot(Duration::from_secs(1)))
        );
        // The refused caller took nothing: the next slot is still at 1 s.
        assert_eq!(pacer.reserve(None), Ok(now + Duration::from_secs(1)));
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_periods_and_holds_do_not_panic() {
        let pacer = Pacer::new(NonZeroU32::MIN, Duration::MAX);
        assert!(pacer.reserve(None).is_ok());
        assert!(
            pacer.reserve(None).is_err(),
            "a period past the clock's range never frees"
        );
        pacer.hold_for(Duration::MAX);
        let held = per_second(5);
        held.hold_for(Duration::from_secs(2));
        let now = Instant::now();
        assert_eq!(held.reserve(None), Ok(now + Duration::from_secs(2)));
    }
}
