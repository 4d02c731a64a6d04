//! A walk over 1,000,000 payment intents at per_page 500: items per second
//! and peak RSS for the client's stream (with and without prefetch) and for a
//! naive sequential loop over `call()`. Each variant runs in its own child
//! process, so its peak RSS is its own; the sandbox runs in this parent.
//! Run: `cargo bench --bench walk` (`WALK_ITEMS=100000` for a shorter run).

mod support;

use std::time::Instant;

use futures::TryStreamExt;
use ingo_banking::{ListOperation, Operation};

fn client_from_env() -> ingo_banking::Client {
    ingo_banking::Client::builder()
        .base_url(std::env::var("WALK_BASE_URL").expect("WALK_BASE_URL"))
        .credentials(
            ingo_banking::Credentials::new(
                std::env::var("WALK_API_KEY").expect("key"),
                std::env::var("WALK_USER").expect("user"),
                std::env::var("WALK_SECRET").expect("secret"),
            )
            .expect("creds"),
        )
        .rate_limit(None)
        .build()
        .expect("client")
}

async fn child(variant: &str) {
    let client = client_from_env();
    let t = Instant::now();
    let mut count = 0u64;
    let request = client.list_payment_intents().per_page(500);
    match variant {
        "stream" | "stream-prefetch" => {
            let mut items = request.items().prefetch(variant == "stream-prefetch");
            while let Some(pi) = items.try_next().await.expect("walk") {
                std::hint::black_box(&pi);
                count += 1;
            }
        }
        _ => {
            // What a caller writes by hand: page after page until a short one.
            let mut page = 1u64;
            loop {
                let response = request.clone().with_page(page).call().await.expect("page");
                let items = response.data.map(|d| d.items).unwrap_or_default();
                let n = items.len();
                for pi in items {
                    std::hint::black_box(&pi);
                    count += 1;
                }
                if n < 500 {
                    break;
                }
                page += 1;
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{variant} {count} {secs} {}",
        support::peak_rss_kib().unwrap_or(0)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let variant = args.get(i + 1).cloned().unwrap_or_default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(child(&variant));
        return;
    }
    let items: u64 = std::env::var("WALK_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let sandbox = ingo_sandbox::Sandbox::start_with(ingo_sandbox::SandboxConfig {
        payment_intents: items,
        ..Default::default()
    })
    .expect("sandbox");
    let c = sandbox.credentials().clone();
    println!(
        "walk benchmark on {}: {items} payment intents, per_page 500",
        support::machine()
    );
    println!(
        "{:<16} {:>10} {:>10} {:>12} {:>14}",
        "variant", "items", "seconds", "items/s", "peak RSS MiB"
    );
    let _ = <ingo_banking::builder::ListPaymentIntents as Operation>::ID;
    for variant in ["naive-loop", "stream", "stream-prefetch"] {
        let out = std::process::Command::new(std::env::current_exe().expect("exe"))
            .args(["--child", variant])
            .env("WALK_BASE_URL", sandbox.base_url())
            .env("WALK_API_KEY", &c.api_key)
            .env("WALK_USER", &c.hmac_username)
            .env("WALK_SECRET", &c.hmac_secret)
            .output()
            .expect("child runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != 4 {
            println!(
                "{variant}: failed: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            );
            continue;
        }
        let count: f64 = fields[1].parse().unwrap_or(0.0);
        let secs: f64 = fields[2].parse().unwrap_or(1.0);
        let rss: f64 = fields[3].parse().unwrap_or(0.0);
        println!(
            "{:<16} {:>10} {:>10.2} {:>12.0} {:>14.1}",
            variant,
            count,
            secs,
            count / secs,
            rss / 1024.0
        );
    }
}
