//! Worker processes for the shared limiter's tests and benchmarks: the test
//! (or bench) binary runs itself again with [`WORKER_JOB`] set, and the child
//! is one client process, configured by `Client::from_env()` (`INGO_*`,
//! `INGO_RATE_LIMIT_URL` included) at the defaults: pacing, retries, and
//! prefetch as the CLI walks. It prints one `WORKER …` line and its
//! `ingo_banking` log (info and up) on stderr.
//!
//! [`arrivals`] times each request at the sandbox, by watching its log.
#![allow(dead_code)]

use std::collections::HashSet;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use ingo_banking::Client;
use ingo_sandbox::Sandbox;

/// The variable naming a worker's job; unset in the parent.
pub const WORKER_JOB: &str = "INGO_LIMITER_WORKER_JOB";

/// What one worker process does.
#[derive(Debug, Clone)]
pub enum Job {
    /// `n` one-item calls of `list_contacts` for `user` (so the sandbox's log
    /// tells the workers apart).
    Calls { n: u32, user: String },
    /// Every payment intent, `per_page` at a time, prefetching as the CLI does.
    Walk { per_page: i64 },
}

impl Job {
    fn encode(&self) -> String {
        match self {
            Job::Calls { n, user } => format!("calls:{n}:{user}"),
            Job::Walk { per_page } => format!("walk:{per_page}"),
        }
    }

    fn decode(text: &str) -> Option<Job> {
        let mut parts = text.split(':');
        match (parts.next()?, parts.next()?, parts.next()) {
            ("calls", n, Some(user)) => Some(Job::Calls {
                n: n.parse().ok()?,
                user: user.to_string(),
            }),
            ("walk", per_page, None) => Some(Job::Walk {
                per_page: per_page.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// What a worker printed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Calls answered, or items received.
    pub ok: u64,
    /// Distinct items received (walks).
    pub distinct: u64,
    /// The error that ended the job, if one did.
    pub error: Option<String>,
}

/// A finished worker.
#[derive(Debug)]
pub struct Finished {
    pub report: Report,
    pub stderr: String,
}

/// In a worker process, run its job and return true; in the parent, false.
pub fn run_if_worker() -> bool {
    let Ok(job) = std::env::var(WORKER_JOB) else {
        return false;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter("ingo_banking=info")
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    let report = match Job::decode(&job) {
        Some(job) => tokio::runtime::Runtime::new()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(run(job)))
            .unwrap_or_else(|error| Report {
                error: Some(error),
                ..Report::default()
            }),
        None => Report {
            error: Some(format!("unknown job {job:?}")),
            ..Report::default()
        },
    };
    let error = report.error.as_deref().unwrap_or("-").replace('\n', " ");
    println!(
        "WORKER ok={} distinct={} error={error}",
        report.ok, report.distinct
    );
    true
}

/// One call of one item, for `user`.
pub async fn one_call(client: &Client, user: &str) -> Result<(), ingo_banking::Error> {
    client
        .list_contacts()
        .user_id(user)
        .business_id("buss-demo")
        .per_page(1)
        .call()
        .await
        .map(drop)
}

async fn run(job: Job) -> Result<Report, String> {
    let client = Client::from_env().map_err(|e| e.to_string())?;
    let mut report = Report::default();
    match job {
        Job::Calls { n, user } => {
            for _ in 0..n {
                match one_call(&client, &user).await {
                    Ok(()) => report.ok += 1,
                    Err(e) => {
                        report.error = Some(e.to_string());
                        break;
                    }
                }
            }
        }
        Job::Walk { per_page } => {
            let mut ids = Vec::new();
            let walk = client
                .list_payment_intents()
                .per_page(per_page)
                .items()
                .prefetch(true)
                .try_for_each(|pi| {
                    ids.push(pi.id);
                    futures::future::ready(Ok(()))
                })
                .await;
            report.ok = ids.len() as u64;
            report.distinct = ids.iter().collect::<HashSet<_>>().len() as u64;
            report.error = walk.err().map(|e| e.to_string());
        }
    }
    Ok(report)
}

/// A running worker process.
pub struct Worker {
    child: Child,
    out: std::thread::JoinHandle<String>,
    err: std::thread::JoinHandle<String>,
}

/// Start one worker per job, all on the budget at `redis_url`.
pub fn spawn_all(args: &[&str], sandbox: &Sandbox, redis_url: &str, jobs: &[Job]) -> Vec<Worker> {
    jobs.iter()
        .map(|job| spawn(args, sandbox, Some(redis_url), job))
        .collect()
}

/// Wait for every worker until `deadline` (see [`Worker::finish`]).
pub fn finish_all(running: Vec<Worker>, deadline: Instant) -> Vec<Finished> {
    running.into_iter().map(|w| w.finish(deadline)).collect()
}

/// Start a worker: this binary again (`args` select the worker in a test
/// harness), with `sandbox`'s address and credentials and the limiter's URL.
pub fn spawn(args: &[&str], sandbox: &Sandbox, redis_url: Option<&str>, job: &Job) -> Worker {
    let exe = std::env::current_exe().expect("the test binary's path");
    let c = sandbox.credentials();
    let mut command = Command::new(exe);
    command
        .args(args)
        .env(WORKER_JOB, job.encode())
        .env(ingo_banking::ENV_BASE_URL, sandbox.base_url())
        .env(ingo_banking::ENV_API_KEY, &c.api_key)
        .env(ingo_banking::ENV_HMAC_USERNAME, &c.hmac_username)
        .env(ingo_banking::ENV_HMAC_SECRET, &c.hmac_secret)
        .env_remove(ingo_banking::ENV_RATE_LIMIT_URL)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = redis_url {
        command.env(ingo_banking::ENV_RATE_LIMIT_URL, url);
    }
    let mut child = command.spawn().expect("a worker process starts");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    Worker { child, out, err }
}

impl Worker {
    /// Wait for it until `deadline`; past it, kill it and fail.
    pub fn finish(mut self, deadline: Instant) -> Finished {
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    let stderr = self.err.join().unwrap_or_default();
                    panic!("a worker hung (killed at the outer timeout); its log:\n{stderr}");
                }
            }
        }
        let stdout = self.out.join().unwrap_or_default();
        let stderr = self.err.join().unwrap_or_default();
        let report = stdout
            .lines()
            .find_map(|l| l.strip_prefix("WORKER "))
            .map(parse_report)
            .unwrap_or_else(|| panic!("a worker printed no report:\n{stdout}\n{stderr}"));
        Finished { report, stderr }
    }
}

fn parse_report(line: &str) -> Report {
    let mut report = Report::default();
    for field in line.splitn(3, ' ') {
        match field.split_once('=') {
            Some(("ok", n)) => report.ok = n.parse().unwrap_or_default(),
            Some(("distinct", n)) => report.distinct = n.parse().unwrap_or_default(),
            Some(("error", "-")) => {}
            Some(("error", e)) => report.error = Some(e.to_string()),
            _ => {}
        }
    }
    report
}

/// Run `body` while watching `sandbox`'s log every 2 ms: returns what
/// `body` returned and, for each logged request in order, when it was first
/// seen (within a few ms of its arrival).
pub fn arrivals<R>(sandbox: &Sandbox, body: impl FnOnce() -> R) -> (R, Vec<Instant>) {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut seen = Vec::new();
            loop {
                let done = stop.load(Ordering::Acquire);
                let n = sandbox.requests().len();
                let now = Instant::now();
                seen.resize(n.max(seen.len()), now);
                if done {
                    return seen;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let result = body();
        stop.store(true, Ordering::Release);
        (result, watcher.join().expect("the log watcher"))
    })
}

/// The most starts in any window of `width` (`times` in order).
pub fn most_in_window(times: &[Instant], width: Duration) -> usize {
    let mut most = 0;
    let mut first = 0;
    for (last, t) in times.iter().enumerate() {
        while t.saturating_duration_since(times[first]) >= width {
            first += 1;
        }
        most = most.max(last + 1 - first);
    }
    most
}
