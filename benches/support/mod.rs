//! Timing helpers shared by the benchmarks: figures are printed, never asserted.
#![allow(dead_code)]

pub mod plain;

use std::time::{Duration, Instant};

/// Run `f` repeatedly for about `budget` after a warm-up; return ns per call
/// (the median of 15 rounds, each timing a batch of calls).
pub fn ns_per_call(budget: Duration, mut f: impl FnMut()) -> f64 {
    let warm = Instant::now();
    let mut calls = 0u64;
    while warm.elapsed() < budget / 10 {
        f();
        calls += 1;
    }
    let per_round = (calls.max(1) * 10 / 15).max(1);
    let mut rounds: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_round {
                f();
            }
            t.elapsed().as_nanos() as f64 / per_round as f64
        })
        .collect();
    rounds.sort_by(|a, b| a.total_cmp(b));
    rounds[rounds.len() / 2]
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Peak resident set size of this process so far, in KiB (Linux `VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown cpu".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{cpu}, {cores} cores")
}

/// `ns_per_call` of `a` and of `b`, taken in turns (five rounds each, the
/// median of each side), so a noisy neighbour weighs on both alike.
pub fn ns_per_call_alternating(
    budget: Duration,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (f64, f64) {
    let (mut on_a, mut on_b) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        on_a.push(ns_per_call(budget / 5, &mut a));
        on_b.push(ns_per_call(budget / 5, &mut b));
    }
    on_a.sort_by(|x, y| x.total_cmp(y));
    on_b.sort_by(|x, y| x.total_cmp(y));
    (on_a[2], on_b[2])
}
