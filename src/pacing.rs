//! A client-side limit on request rate, shared by every clone of a client.
//!
//! Ingo asks for at most five requests per second. The limiter keeps the start
//! times of the last `max_requests` requests and makes a new one wait until
//! the oldest is a full window old, so no window of that length ever holds
//! more than `max_requests` starts. It uses tokio's clock, so tests can check
//! it under a paused clock.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// At most `max_requests` request starts in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max_requests: u32,
    pub per: Duration,
}

impl Default for RateLimit {
    /// Ingo's guidance: five requests per second.
    fn default() -> Self {
        RateLimit {
            max_requests: 5,
            per: Duration::from_secs(1),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Pacer {
    limit: RateLimit,
    starts: Mutex<VecDeque<Instant>>,
}

impl Pacer {
    pub fn new(limit: RateLimit) -> Self {
        Pacer {
            limit: RateLimit {
                max_requests: limit.max_requests.max(1),
                per: limit.per,
            },
            starts: Mutex::new(VecDeque::new()),
        }
    }

    /// Wait for a slot. Waiters are served in order (tokio's mutex is fair).
    pub async fn acquire(&self) {
        let mut starts = self.starts.lock().await;
        loop {
            let now = Instant::now();
            while starts
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.limit.per)
            {
                starts.pop_front();
            }
            if starts.len() < self.limit.max_requests as usize {
                starts.push_back(now);
                return;
            }
            if let Some(oldest) = starts.front().copied() {
                tokio::time::sleep_until(oldest + self.limit.per).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// 50 concurrent callers under tokio's paused clock: no window of one
    /// second ever holds more than five starts, and the burst takes 9 s.
    #[tokio::test(start_paused = true)]
    async fn a_burst_of_50_is_paced_to_5_per_second() {
        let pacer = Arc::new(Pacer::new(RateLimit::default()));
        let t0 = Instant::now();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    pacer.acquire().await;
                    Instant::now()
                })
            })
            .collect();
        let mut starts = Vec::new();
        for t in tasks {
            starts.push(t.await.unwrap().duration_since(t0));
        }
        starts.sort();
        for (i, s) in starts.iter().enumerate() {
            let in_window = starts[i..]
                .iter()
                .take_while(|t| **t < *s + Duration::from_secs(1))
                .count();
            assert!(in_window <= 5, "{in_window} starts within 1 s of {s:?}");
        }
        assert_eq!(starts.last().copied(), Some(Duration::from_secs(9)));
    }
}
