//! The gateway's optional rate limiter. In its default mode it is Kong's
//! `rate-limiting` plugin with a per-second limit: at most N requests are
//! admitted in any sliding one-second window. In strict mode it is nginx's
//! `limit_req` at N r/s with no burst: a request less than 1/N s after the
//! last admitted one is refused. Refused requests do not count in either
//! (both check the usage before counting).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(1);

/// How the gateway's rate limit counts (see [`crate::SandboxConfig::rate_limit_mode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateLimitMode {
    /// At most N requests in any sliding second, in a burst if they like (Kong).
    #[default]
    Window,
    /// Requests at least 1/N s apart: even spacing, no burst (nginx `limit_req`).
    Strict,
}

impl std::str::FromStr for RateLimitMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "window" => Ok(RateLimitMode::Window),
            "strict" => Ok(RateLimitMode::Strict),
            _ => Err(format!("{s:?} is not a rate limit mode (window, strict)")),
        }
    }
}

/// Admission times within the last second; never more than `limit` of them.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    pub limit: u32,
    mode: RateLimitMode,
    admitted: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    pub fn new(limit: u32, mode: RateLimitMode) -> RateLimiter {
        RateLimiter {
            limit,
            mode,
            admitted: Mutex::new(VecDeque::new()),
        }
    }

    /// Whether a request starting now is admitted (and if so, counts it).
    pub fn admit(&self) -> bool {
        let mut admitted = self.admitted.lock().unwrap_or_else(|p| p.into_inner());
        // Read the clock under the lock so that admissions stay in order.
        let now = Instant::now();
        match self.mode {
            RateLimitMode::Window => Self::admit_at(&mut admitted, self.limit, now),
            RateLimitMode::Strict => Self::admit_spaced(&mut admitted, self.limit, now),
        }
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

    /// Strict mode keeps only the last admission.
    fn admit_spaced(admitted: &mut VecDeque<Instant>, limit: u32, now: Instant) -> bool {
        let Some(gap) = WINDOW.checked_div(limit) else {
            return false;
        };
        if admitted
            .back()
            .is_some_and(|t| now.saturating_duration_since(*t) < gap)
        {
            return false;
        }
        admitted.clear();
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
    fn strict_mode_wants_even_spacing() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut admitted = VecDeque::new();
        let mut admit = |ms| RateLimiter::admit_spaced(&mut admitted, 5, at(ms));
        assert!(admit(0));
        // 199 ms after the last admitted one: refused, and not counted.
        assert!(!admit(199));
        assert!(admit(200));
        assert!(!admit(201));
        assert!(admit(450));
        assert!(!admit(649));
        assert!(admit(650));
    }

    #[test]
    fn zero_admits_nothing() {
        let mut admitted = VecDeque::new();
        assert!(!RateLimiter::admit_at(&mut admitted, 0, Instant::now()));
        assert!(!RateLimiter::admit_spaced(&mut admitted, 0, Instant::now()));
        assert!(admitted.is_empty());
        assert_eq!("strict".parse(), Ok(RateLimitMode::Strict));
        assert!("bursty".parse::<RateLimitMode>().is_err());
    }
}
