//! The offset between this host's clock and the API's, measured from the
//! `Date` header of responses, so `X-Date` stays inside the gateway's ±300 s.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

/// A change of estimate larger than this, seen on a 401, is taken to be why
/// the request was refused, and it is retried once with the corrected time.
pub(crate) const SKEW_RETRY_THRESHOLD: Duration = Duration::from_secs(60);

/// Server time minus local time, in milliseconds.
#[derive(Debug, Default)]
pub(crate) struct ClockSkew {
    offset_ms: AtomicI64,
}

impl ClockSkew {
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Local time corrected by the measured offset.
    pub fn now(&self) -> SystemTime {
        shift(SystemTime::now(), self.offset_ms())
    }

    /// Update from a response's `Date`, sent between `sent` and `received`
    /// (local times). Returns how far the estimate moved.
    pub fn observe(&self, date: &str, sent: SystemTime, received: SystemTime) -> Option<Duration> {
        let server = httpdate::parse_http_date(date).ok()?;
        // `Date` is truncated to the second; take the middle of that second,
        // and the middle of the round trip as when the server read its clock.
        let server_ms = millis(server) + 500;
        let rtt = received.duration_since(sent).unwrap_or_default();
        let local_ms = millis(sent) + i64::try_from(rtt.as_millis() / 2).unwrap_or(0);
        let estimate = server_ms - local_ms;
        let previous = self.offset_ms.load(Ordering::Relaxed);
        let moved = estimate.abs_diff(previous);
        // The `Date` header's one-second resolution makes small moves noise;
        // and a `Date` that would put our clock where `X-Date` cannot follow
        // (before 1970, after 9999) is not adopted.
        let signable = crate::signing::is_signable(shift(SystemTime::now(), estimate));
        if moved > 1_000 && signable {
            self.offset_ms.store(estimate, Ordering::Relaxed);
        }
        Some(Duration::from_millis(moved))
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
    if offset_ms >= 0 { t + d } else { t - d }
}
