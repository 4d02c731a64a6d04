//! The CLI's NDJSON export against a hand-written floor, as separate processes.
//!
//! Run it with `bash scripts/bench-export.sh` (which builds the release
//! `ingo-sandbox` first), or `cargo bench -p ingo-cli --bench export` once
//! that binary is built. For each size (`EXPORT_ITEMS`, default
//! `200000,50000`) it starts one release `ingo-sandbox` holding that many
//! payment intents, checks that the two programs write the same bytes, then
//! alternates them `EXPORT_ROUNDS` times (default 5), output to `/dev/null`:
//!
//! * `ingo payment-intents list --all --per-page 500 --output ndjson --rate-limit 0`
//!   (the release binary, every other setting at its default);
//! * this executable re-run as `export baseline`: one sequential reqwest
//!   (HTTP/1.1) + hmac loop, signing like the client, decoding each page into
//!   plain structs and writing every item as one JSON line to stdout.
//!
//! Each child's user+sys CPU and peak RSS come from `wait4`'s `rusage`, its
//! wall time from a clock around spawn and reap. Medians are printed.

use std::error::Error;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const PER_PAGE: u64 = 500;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let outcome = match args.get(1).map(String::as_str) {
        Some("baseline") => baseline::run(),
        _ => harness(),
    };
    if let Err(e) = outcome {
        eprintln!("export bench: error: {e}");
        std::process::exit(1);
    }
}

/// One child's resources, as its parent saw them.
#[derive(Clone, Copy, Debug)]
struct Usage {
    cpu: Duration,
    user: Duration,
    sys: Duration,
    wall: Duration,
    max_rss_kib: u64,
}

/// Wait for `child` with `wait4`, which reports its own rusage (not a sum over children).
fn reap(child: &mut Child, started: Instant) -> Result<(Usage, i32)> {
    let pid = libc::pid_t::try_from(child.id())?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own unreaped child; the pointers are to live locals.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if reaped != pid {
        return Err(format!("wait4({pid}): {}", std::io::Error::last_os_error()).into());
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    let (user, sys) = (time(usage.ru_utime), time(usage.ru_stime));
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let usage = Usage {
        cpu: user + sys,
        user,
        sys,
        wall,
        // Linux reports ru_maxrss in KiB.
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    };
    Ok((usage, code))
}

/// Run `cmd` to completion, its stdout to `out`; fail with its stderr if it fails.
fn measure(cmd: &mut Command, out: &Path) -> Result<Usage> {
    let stdout = File::create(out)?;
    let started = Instant::now();
    let mut child = cmd
        .stdout(stdout)
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()?;
    // A failing run says why in a few lines: reading after the exit cannot block on a full pipe.
    let (usage, code) = reap(&mut child, started)?;
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr)?;
    }
    if code != 0 {
        return Err(format!("{cmd:?} exited with {code}: {stderr}").into());
    }
    Ok(usage)
}

struct Sandbox {
    child: Child,
    env: Vec<(String, String)>,
}

impl Sandbox {
    fn start(bin: &Path, items: u64) -> Result<Sandbox> {
        let mut child = Command::new(bin)
            .args(["--port", "0", "--payment-intents", &items.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out).read_line(&mut line)?;
        }
        let env: Vec<(String, String)> = line
            .split_whitespace()
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !env.iter().any(|(k, _)| k == "INGO_BASE_URL") {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the sandbox printed {line:?}, not INGO_BASE_URL=…").into());
        }
        Ok(Sandbox { child, env })
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Compare two outputs line by line (streaming: the harness must stay small,
/// as a spawned child's peak RSS starts from its parent's); say where they differ.
fn compare(cli: &Path, baseline: &Path) -> Result<(u64, u64)> {
    let (mut a, mut b) = (
        BufReader::new(File::open(cli)?),
        BufReader::new(File::open(baseline)?),
    );
    let (mut la, mut lb) = (Vec::new(), Vec::new());
    let (mut lines, mut bytes) = (0u64, 0u64);
    loop {
        la.clear();
        lb.clear();
        let (na, nb) = (a.read_until(b'\n', &mut la)?, b.read_until(b'\n', &mut lb)?);
        if la != lb {
            return Err(format!(
                "the outputs differ at line {}: cli {:?}, baseline {:?} ({} and {})",
                lines + 1,
                String::from_utf8_lossy(&la),
                String::from_utf8_lossy(&lb),
                cli.display(),
                baseline.display()
            )
            .into());
        }
        if na == 0 && nb == 0 {
            return Ok((lines, bytes));
        }
        lines += 1;
        bytes += na as u64;
    }
}

/// This process's `VmHWM` in KiB: the floor of every child's reported peak RSS.
fn own_peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn harness() -> Result<()> {
    let ingo = PathBuf::from(env!("CARGO_BIN_EXE_ingo"));
    let sandbox_bin = std::env::var_os("EXPORT_SANDBOX_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| ingo.with_file_name("ingo-sandbox"));
    let me = std::env::current_exe()?;
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let rounds: usize = env_or("EXPORT_ROUNDS", 5);
    let sizes: Vec<u64> = std::env::var("EXPORT_ITEMS")
        .unwrap_or_else(|_| "200000,50000".into())
        .split(',')
        .map(|s| s.trim().parse::<u64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| format!("EXPORT_ITEMS: {e}"))?;
    println!(
        "export benchmark: {} ({} cores), {rounds} alternating rounds per size, output to /dev/null",
        machine(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "  cli:      {} payment-intents list --all --per-page {PER_PAGE} --output ndjson --rate-limit 0",
        ingo.display()
    );
    println!(
        "  baseline: {} baseline (reqwest HTTP/1.1 + hmac, sequential, current-thread tokio)",
        me.display()
    );
    println!(
        "  sandbox:  {} --port 0 --payment-intents N",
        sandbox_bin.display()
    );
    for items in sizes {
        let sandbox = Sandbox::start(&sandbox_bin, items)?;
        let cli = |out: &Path| -> Result<Usage> {
            let mut cmd = Command::new(&ingo);
            cmd.args([
                "payment-intents",
                "list",
                "--all",
                "--per-page",
                &PER_PAGE.to_string(),
                "--output",
                "ndjson",
                "--rate-limit",
                "0",
            ]);
            cmd.envs(sandbox.env.iter().map(|(k, v)| (k, v)));
            measure(&mut cmd, out)
        };
        let base = |out: &Path| -> Result<Usage> {
            let mut cmd = Command::new(&me);
            cmd.arg("baseline");
            cmd.envs(sandbox.env.iter().map(|(k, v)| (k, v)));
            measure(&mut cmd, out)
        };
        // Same bytes first (also warms the sandbox's caches and the page cache).
        let (cli_out, base_out) = (
            tmp.join("export-cli.ndjson"),
            tmp.join("export-baseline.ndjson"),
        );
        cli(&cli_out)?;
        base(&base_out)?;
        let (lines, bytes) = compare(&cli_out, &base_out)?;
        if lines != items {
            return Err(format!("{lines} lines for {items} items").into());
        }
        let _ = std::fs::remove_file(&cli_out);
        let _ = std::fs::remove_file(&base_out);
        println!("\n{items} items: outputs identical ({lines} lines, {bytes} bytes)");
        println!("  round  program    cpu s  (user   sys)   wall s   peak RSS");
        let null = Path::new("/dev/null");
        let (mut c, mut b) = (Vec::new(), Vec::new());
        for round in 1..=rounds {
            // Alternate who goes first, so a drift in the host's load hits both alike.
            let pair = if round % 2 == 1 {
                let b = base(null)?;
                (cli(null)?, b)
            } else {
                let c = cli(null)?;
                (c, base(null)?)
            };
            for (name, u) in [("cli", pair.0), ("baseline", pair.1)] {
                println!(
                    "  {round:>5}  {name:<9} {:>6.3}  ({:.3} {:.3})  {:>6.3}   {:>6} KiB",
                    u.cpu.as_secs_f64(),
                    u.user.as_secs_f64(),
                    u.sys.as_secs_f64(),
                    u.wall.as_secs_f64(),
                    u.max_rss_kib
                );
            }
            c.push(pair.0);
            b.push(pair.1);
        }
        let med = |v: &[Usage], f: fn(&Usage) -> f64| median(v.iter().map(f).collect());
        let cpu = |u: &Usage| u.cpu.as_secs_f64();
        let wall = |u: &Usage| u.wall.as_secs_f64();
        let rss = |u: &Usage| u.max_rss_kib as f64;
        let cpu_ratios: Vec<f64> = c.iter().zip(&b).map(|(c, b)| cpu(c) / cpu(b)).collect();
        let wall_ratios: Vec<f64> = c.iter().zip(&b).map(|(c, b)| wall(c) / wall(b)).collect();
        println!(
            "  median    cli: cpu {:.3} s, wall {:.3} s, peak RSS {:.0} KiB ({:.0} items/cpu-s)",
            med(&c, cpu),
            med(&c, wall),
            med(&c, rss),
            items as f64 / med(&c, cpu)
        );
        println!(
            "  median    baseline: cpu {:.3} s, wall {:.3} s, peak RSS {:.0} KiB ({:.0} items/cpu-s)",
            med(&b, cpu),
            med(&b, wall),
            med(&b, rss),
            items as f64 / med(&b, cpu)
        );
        println!(
            "  ratio (cli / baseline), median of medians: cpu {:.3}, wall {:.3}; per-round cpu ratios: median {:.3} [{}]",
            med(&c, cpu) / med(&b, cpu),
            med(&c, wall) / med(&b, wall),
            median(cpu_ratios.clone()),
            cpu_ratios
                .iter()
                .map(|r| format!("{r:.3}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        println!(
            "  per-round wall ratios: median {:.3} [{}]",
            median(wall_ratios.clone()),
            wall_ratios
                .iter()
                .map(|r| format!("{r:.3}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        drop(sandbox);
    }
    println!(
        "\n(the harness's own peak RSS, {} KiB, is a floor under each child's figure: a child spawned by vfork inherits its parent's high-water mark)",
        own_peak_rss_kib()
    );
    Ok(())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpu}, {}", std::env::consts::ARCH)
}

/// What careful hand-written code does: one request after another, each
/// signed like the client signs (`src/signing.rs`), decoded into plain
/// structs, every item written as one JSON line.
mod baseline {
    use super::*;

    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use hmac::{Hmac, Mac};
    use serde::{Deserialize, Serialize};
    use sha2::{Digest, Sha512};

    #[derive(Serialize)]
    struct Request {
        page: u64,
        per_page: u64,
    }

    #[derive(Deserialize)]
    struct Envelope {
        data: Option<Page>,
    }

    #[derive(Deserialize)]
    struct Page {
        items: Vec<Intent>,
        pagination: Pagination,
    }

    #[derive(Deserialize)]
    struct Pagination {
        total: u64,
    }

    /// The spec's `PaymentIntent` with enums as strings; fields in the order
    /// the CLI writes them (alphabetical), absent ones skipped like the CLI does.
    #[derive(Deserialize, Serialize)]
    struct Intent {
        #[serde(skip_serializing_if = "Option::is_none")]
        action: Option<String>,
        amount: rust_decimal::Decimal,
        #[serde(skip_serializing_if = "Option::is_none")]
        category: Option<String>,
        currency: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        direction: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        entity_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        entity_type: Option<String>,
        id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        idempotent_key: Option<String>,
        #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
        metadata: serde_json::Map<String, serde_json::Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        posting_date: Option<chrono::DateTime<chrono::Utc>>,
        status: String,
    }

    fn var(name: &str) -> Result<String> {
        std::env::var(name).map_err(|_| format!("{name} is not set").into())
    }

    pub fn run() -> Result<()> {
        let base = var("INGO_BASE_URL")?;
        let api_key = var("INGO_API_KEY")?;
        let user = var("INGO_HMAC_USERNAME")?;
        let secret = var("INGO_HMAC_SECRET")?;
        let url = format!("{base}/payment-intent/program/all");
        let path = reqwest::Url::parse(&url)?.path().to_string();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            // The client's timeouts: reqwest arms a timer per request for them.
            let http = {
        // This reqwest shares the client's rustls, which needs its provider.
        ingo_banking::install_tls_provider();
        reqwest::Client::builder()
    }
                .http1_only()
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(30))
                .build()?;
            let mut out = BufWriter::new(std::io::stdout().lock());
            let mut page = 1u64;
            loop {
                let body = serde_json::to_vec(&Request {
                    page,
                    per_page: PER_PAGE,
                })?;
                let x_date = httpdate::fmt_http_date(SystemTime::now());
                let digest = STANDARD.encode(Sha512::digest(&body));
                let line = format!(
                    "POST {path} HTTP/1.1\nx-date: {x_date}\ncontent-type: application/json\ncontent-sha512: {digest}\ncontent-length: {}",
                    body.len()
                );
                let mut mac = Hmac::<Sha512>::new_from_slice(secret.as_bytes())?;
                mac.update(line.as_bytes());
                let signature = STANDARD.encode(mac.finalize().into_bytes());
                let authorization = format!(
                    "hmac username=\"{user}\", algorithm=\"hmac-sha512\", headers=\"request-line x-date content-type content-sha512 content-length\", signature=\"{signature}\""
                );
                let response = http
                    .post(&url)
                    .header("accept", "application/json")
                    .header("api_key", &api_key)
                    .header("x-date", x_date)
                    .header("content-type", "application/json")
                    .header("content-sha512", digest)
                    .header("content-length", body.len())
                    .header("authorization", authorization)
                    .body(body)
                    .send()
                    .await?;
                let status = response.status();
                let bytes = response.bytes().await?;
                if !status.is_success() {
                    return Err(format!("page {page}: HTTP {status}: {}", String::from_utf8_lossy(&bytes)).into());
                }
                let envelope: Envelope = serde_json::from_slice(&bytes)?;
                let data = envelope.data.ok_or_else(|| format!("page {page}: no data"))?;
                for item in &data.items {
                    serde_json::to_writer(&mut out, item)?;
                    out.write_all(b"\n")?;
                }
                let received = data.items.len() as u64;
                if received < PER_PAGE || page * PER_PAGE >= data.pagination.total {
                    break;
                }
                page += 1;
            }
            out.flush()?;
            Ok(())
        })
    }
}
