//! The offset between this host's clock and the API's, measured from the
//! `Date` header of responses, so `X-Date` stays inside the gateway's ±300 s.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

/// A 401 for an attempt signed with an offset that differs from the current
/// estimate by more than this is taken to be a clock refusal, and the call is
/// retried once with the corrected time.
pub(crate) const SKEW_RETRY_THRESHOLD: Duration = Duration::from_secs(60);

/// A `Date` read over a round trip longer than this is not trusted (the
/// server may have read its clock anywhere in it).
const MAX_TRUSTED_ROUND_TRIP: Duration = Duration::from_secs(10);

/// Where the local time comes from: the system clock, or a fixed one in tests.
pub(crate) type Clock = fn() -> SystemTime;

/// Server time minus local time, in milliseconds, and the local clock.
#[derive(Debug)]
pub(crate) struct ClockSkew {
    offset_ms: AtomicI64,
    clock: Clock,
}

impl Default for ClockSkew {
    fn default() -> Self {
        ClockSkew::with_clock(SystemTime::now)
    }
}

impl ClockSkew {
    pub fn with_clock(clock: Clock) -> Self {
        ClockSkew {
            offset_ms: AtomicI64::new(0),
            clock,
        }
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// The local clock, uncorrected.
    pub fn local_now(&self) -> SystemTime {
        (self.clock)()
    }

    /// Local time corrected by the measured offset.
    pub fn now(&self) -> SystemTime {
        self.at(self.offset_ms())
    }

    /// Local time corrected by `offset_ms` (an offset read earlier).
    pub fn at(&self, offset_ms: i64) -> SystemTime {
        shift(self.local_now(), offset_ms)
    }

    /// Whether the current estimate differs from `signed_with` (the offset an
    /// attempt was stamped with) by more than [`SKEW_RETRY_THRESHOLD`].
    pub fn moved_since(&self, signed_with: i64) -> bool {
        let moved = self.offset_ms().abs_diff(signed_with);
        u128::from(moved) > SKEW_RETRY_THRESHOLD.as_millis()
    }

    /// Update from a response's `Date`, sent between `sent` and `received`
    /// (local times). A cached response (`age` present) or a round trip too
    /// long to trust says nothing about the server's clock now.
    pub fn observe(&self, date: &str, age: bool, sent: SystemTime, received: SystemTime) {
        let rtt = received.duration_since(sent).unwrap_or_default();
        if age || rtt > MAX_TRUSTED_ROUND_TRIP {
            return;
        }
        let Ok(server) = httpdate::parse_http_date(date) else {
            return;
        };
        // `Date` is truncated to the second; take the middle of that second,
        // and the middle of the round trip as when the server read its clock.
        let server_ms = millis(server).saturating_add(500);
        let local_ms = millis(sent).saturating_add(i64::try_from(rtt.as_millis() / 2).unwrap_or(0));
        let estimate = server_ms.saturating_sub(local_ms);
        let previous = self.offset_ms.load(Ordering::Relaxed);
        let moved = estimate.abs_diff(previous);
        // The `Date` header's one-second resolution makes small moves noise;
        // and a `Date` that would put our clock where `X-Date` cannot follow
        // (before 1970, after 9999) is not adopted.
        let signable = crate::signing::is_signable(shift(self.local_now(), estimate));
        if moved > 1_000 && signable {
            self.offset_ms.store(estimate, Ordering::Relaxed);
        }
    }
}

fn millis(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

fn shift(t: SystemTime, offset_ms: i64) -> SystemTime {
    let d = Duration::from_millis(offset_ms.unsigned_abs());
    let shifted = if offset_ms >= 0 {
        t.checked_add(d)
    } else {
        t.checked_sub(d)
    };
    shifted.unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fri, 17 Jan 2020 19:59:29 GMT.
    fn fixed() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_579_291_169)
    }

    #[test]
    fn the_offset_is_measured_against_the_injected_clock() {
        let skew = ClockSkew::with_clock(fixed);
        let sent = fixed();
        let received = sent + Duration::from_millis(200);
        // The server is ten minutes ahead.
        skew.observe("Fri, 17 Jan 2020 20:09:29 GMT", false, sent, received);
        assert_eq!(skew.offset_ms(), 600_000 + 500 - 100);
        assert_eq!(
            skew.now(),
            fixed() + Duration::from_millis(600_400),
            "corrected local time"
        );
        assert!(skew.moved_since(0));
        // A cached response, or a round trip too long to trust, says nothing.
        let cached = ClockSkew::with_clock(fixed);
        cached.observe("Fri, 17 Jan 2020 20:09:29 GMT", true, sent, received);
        let slow = ClockSkew::with_clock(fixed);
        slow.observe(
            "Fri, 17 Jan 2020 20:09:29 GMT",
            false,
            sent,
            sent + Duration::from_secs(11),
        );
        assert_eq!((cached.offset_ms(), slow.offset_ms()), (0, 0));
    }
}
