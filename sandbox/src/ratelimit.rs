//! The gateway's optional rate limiter, like Kong's `rate-limiting` plugin
//! with a per-second limit: at most N requests are admitted in any sliding
//! one-second window. Refused requests do not count (Kong checks the usage
//! before incrementing it).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(1);

/// Admission times within the last second; never more than `limit` of them.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    pub limit: u32,
    admitted: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    pub fn new(limit: u32) -> RateLimiter {
        RateLimiter {
            limit,
            admitted: Mutex::new(VecDeque::new()),
        }
    }

    /// Whether a request starting now is admitted (and if so, counts it).
    pub fn admit(&self) -> bool {
        let mut admitted = self.admitted.lock().unwrap_or_else(|p| p.into_inner());
        // Read the clock under the lock so that admissions stay in order.
        Self::admit_at(&mut admitted, self.limit, Instant::now())
    }

    fn admit_at(admitted: &mut VecDeque<Instant>, limit: u32, now: Instant) -> bool {
        while admitted
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
        {
            admitted.pop_front();
        }
        if admitted.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
            return false;
        }
        admitted.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sliding_window_of_one_second() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut admitted = VecDeque::new();
        let mut admit = |ms| RateLimiter::admit_at(&mut admitted, 2, at(ms));
        assert!(admit(0));
        assert!(admit(100));
        // Third in the window: refused, and not counted.
        assert!(!admit(200));
        assert!(!admit(999));
        // The request at 0 has left the window; the one at 100 has not.
        assert!(admit(1_000));
        assert!(!admit(1_050));
        assert!(admit(1_100));
        assert!(!admit(1_999));
        assert!(admit(2_000) && admit(2_100));
    }

    #[test]
    fn zero_admits_nothing() {
        let mut admitted = VecDeque::new();
        assert!(!RateLimiter::admit_at(&mut admitted, 0, Instant::now()));
        assert!(admitted.is_empty());
    }
}
