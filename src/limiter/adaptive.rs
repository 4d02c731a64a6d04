//! The adapted rate, as AWS's SDKs adapt theirs: a 429 multiplies it by
//! [`BETA`]; answers then bring it back along a cubic curve (CUBIC, as in
//! TCP) that reaches the configured limit 1.55 s after the 429, never above
//! it and never below [`FLOOR`].
//!
//! The rate is a share of the configured limit (`scale`, 1 = the limit), so
//! the curve takes the same time at any limit. The Redis script does the same
//! sums with these constants (passed to it), on the shared state.

use std::time::Duration;

use tokio::time::Instant;

/// A 429 leaves this share of the rate (AWS: 0.7).
pub(crate) const BETA: f64 = 0.7;
/// The lowest share of the limit the rate drops to.
pub(crate) const FLOOR: f64 = 0.1;
/// The curve's constant, in shares of the limit per second cubed: from
/// 0.7, the limit is back 1.55 s after the 429.
pub(crate) const CUBIC: f64 = 0.08;

/// The adapted rate of one limiter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Adaptive {
    scale: f64,
    /// The last decrease: when, and the share it started from.
    last: Option<(Instant, f64)>,
}

impl Default for Adaptive {
    fn default() -> Self {
        Adaptive {
            scale: 1.0,
            last: None,
        }
    }
}

impl Adaptive {
    /// The time between starts at this rate, `base` being the limit's.
    pub fn interval(&self, base: Duration) -> Duration {
        Duration::try_from_secs_f64(base.as_secs_f64() / self.scale).unwrap_or(base)
    }

    /// A 429 at `now`. The 429s of requests sent before the last decrease
    /// took effect (within one interval of it) echo that one and are ignored.
    pub fn throttled(&mut self, now: Instant, base: Duration) {
        if let Some((at, _)) = self.last
            && now.saturating_duration_since(at) < self.interval(base)
        {
            return;
        }
        self.last = Some((now, self.scale));
        self.scale = (self.scale * BETA).max(FLOOR);
    }

    /// An answer at `now`: the rate follows the curve back up.
    pub fn answered(&mut self, now: Instant) {
        let Some((at, from)) = self.last else {
            return;
        };
        let elapsed = now.saturating_duration_since(at).as_secs_f64();
        self.scale = clamp(cubic(from, elapsed));
        if self.scale >= 1.0 {
            self.last = None;
        }
    }
}

/// The curve: `BETA * from` at 0, `from` again at `K`, rising past it after.
fn cubic(from: f64, elapsed: f64) -> f64 {
    let k = (from * (1.0 - BETA) / CUBIC).cbrt();
    CUBIC * (elapsed - k).powi(3) + from
}

/// Within `[FLOOR, 1]`, whatever the sums gave (NaN included).
fn clamp(scale: f64) -> f64 {
    if scale.is_nan() {
        return 1.0;
    }
    scale.clamp(FLOOR, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_millis(200);
    /// Where the curve from 0.7 meets the limit again.
    const RECOVERY: Duration = Duration::from_millis(1554);

    #[test]
    fn a_429_slows_down_and_answers_bring_the_limit_back() {
        let t0 = Instant::now();
        let mut rate = Adaptive::default();
        assert_eq!(rate.interval(BASE), BASE);
        rate.throttled(t0, BASE);
        assert!((rate.scale - BETA).abs() < 1e-9);
        // Halfway, the rate is between; at the end of the curve, the limit.
        rate.answered(t0 + RECOVERY / 2);
        assert!(rate.scale > BETA && rate.scale < 1.0, "{}", rate.scale);
        rate.answered(t0 + RECOVERY);
        assert!(rate.scale > 0.999, "{}", rate.scale);
        rate.answered(t0 + RECOVERY * 10);
        assert_eq!(rate.scale, 1.0, "never above the limit");
        assert_eq!(rate.interval(BASE), BASE);
    }

    #[test]
    fn echoes_of_one_429_count_once_and_the_floor_holds() {
        let t0 = Instant::now();
        let mut rate = Adaptive::default();
        rate.throttled(t0, BASE);
        rate.throttled(t0 + Duration::from_millis(100), BASE);
        assert!((rate.scale - BETA).abs() < 1e-9, "an echo");
        for i in 1..100 {
            rate.throttled(t0 + Duration::from_secs(i * 30), BASE);
        }
        assert_eq!(rate.scale, FLOOR);
        assert_eq!(rate.interval(BASE), BASE.mul_f64(1.0 / FLOOR));
    }

    #[test]
    fn no_answer_no_recovery() {
        let t0 = Instant::now();
        let mut rate = Adaptive::default();
        rate.throttled(t0, BASE);
        // An answer at once leaves the rate where the 429 put it.
        rate.answered(t0);
        assert!((rate.scale - BETA).abs() < 1e-9);
    }
}
