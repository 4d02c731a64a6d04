//! End to end on loopback against the sandbox: the client against a
//! hand-written reqwest + hmac baseline sending the identical signed request
//! (same body bytes, same headers) and decoding into plain structs.
//! Single-request latency (p50, p99) and throughput at concurrency 1, 8, 64,
//! pacing off. Run: `cargo bench --bench end_to_end`.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::StreamExt;
use hmac::{Hmac, Mac};
use ingo_banking::Operation;
use sha2::{Digest, Sha512};
use support::plain::Plain;

const LATENCY_REQUESTS: usize = 1_000;
const THROUGHPUT_REQUESTS: usize = 2_000;

/// The hand-written floor: reqwest on HTTP/1.1, signing with the primitives.
struct Baseline {
    http: reqwest::Client,
    url: String,
    path: String,
    api_key: String,
    user: String,
    secret: Vec<u8>,
    body: ingo_banking::types::ListPaymentIntentsRequest,
}

impl Baseline {
    async fn call(&self) -> Plain {
        // The identical body bytes the client sends, serialized per call as the client does.
        let body = serde_json::to_vec(&self.body).expect("json");
        let x_date = httpdate::fmt_http_date(SystemTime::now());
        let digest = STANDARD.encode(Sha512::digest(&body));
        let line = format!(
            "POST {} HTTP/1.1\nx-date: {x_date}\ncontent-type: application/json\ncontent-sha512: {digest}\ncontent-length: {}",
            self.path,
            body.len()
        );
        let mut mac = Hmac::<Sha512>::new_from_slice(&self.secret).expect("any key length");
        mac.update(line.as_bytes());
        let signature = STANDARD.encode(mac.finalize().into_bytes());
        let authorization = format!(
            "hmac username=\"{}\", algorithm=\"hmac-sha512\", headers=\"request-line x-date content-type content-sha512 content-length\", signature=\"{signature}\"",
            self.user
        );
        let response = self
            .http
            .post(&self.url)
            .header("accept", "application/json")
            .header("api_key", &self.api_key)
            .header("x-date", x_date)
            .header("content-type", "application/json")
            .header("content-sha512", digest)
            .header("content-length", body.len())
            .header("authorization", authorization)
            .body(body)
            .send()
            .await
            .expect("baseline request");
        assert!(
            response.status().is_success(),
            "baseline rejected: {}",
            response.status()
        );
        let bytes = response.bytes().await.expect("body");
        serde_json::from_slice(&bytes).expect("decodes")
    }
}

async fn client_call(client: &ingo_banking::Client) {
    let r = client
        .list_payment_intents()
        .per_page(10)
        .call()
        .await
        .expect("client request");
    assert_eq!(r.data.map(|d| d.items.len()), Some(10));
}

async fn latency<F: std::future::Future<Output = ()>>(
    mut f: impl FnMut() -> F,
) -> (Duration, Duration) {
    for _ in 0..50 {
        f().await;
    }
    let mut times = Vec::with_capacity(LATENCY_REQUESTS);
    for _ in 0..LATENCY_REQUESTS {
        let t = Instant::now();
        f().await;
        times.push(t.elapsed());
    }
    times.sort();
    (
        support::percentile(&times, 0.5),
        support::percentile(&times, 0.99),
    )
}

async fn throughput<F: std::future::Future<Output = ()>>(
    concurrency: usize,
    f: impl Fn() -> F,
) -> f64 {
    let t = Instant::now();
    futures::stream::iter(0..THROUGHPUT_REQUESTS)
        .map(|_| f())
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
    THROUGHPUT_REQUESTS as f64 / t.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let sandbox = ingo_sandbox::Sandbox::start().expect("sandbox");
    let c = sandbox.credentials().clone();
    let client = ingo_banking::Client::builder()
        .base_url(sandbox.base_url())
        .credentials(
            ingo_banking::Credentials::new(&c.api_key, &c.hmac_username, &c.hmac_secret)
                .expect("creds"),
        )
        .rate_limit(None)
        .build()
        .expect("client");
    let body: ingo_banking::types::ListPaymentIntentsRequest =
        ingo_banking::types::ListPaymentIntentsRequest::builder()
            .per_page(10)
            .try_into()
            .expect("body");
    let baseline = Arc::new(Baseline {
        http: {
            // This reqwest shares the client's rustls, which needs its provider.
            ingo_banking::install_tls_provider();
            reqwest::Client::builder()
        }
        .http1_only()
        .build()
        .expect("reqwest"),
        url: format!("{}/payment-intent/program/all", sandbox.base_url()),
        path: url::Url::parse(sandbox.base_url())
            .expect("url")
            .path()
            .to_string()
            + "/payment-intent/program/all",
        api_key: c.api_key.clone(),
        user: c.hmac_username.clone(),
        secret: c.hmac_secret.as_bytes().to_vec(),
        body,
    });
    let _ = <ingo_banking::builder::ListPaymentIntents as Operation>::ID;

    println!(
        "end-to-end benchmark on {} (loopback, sandbox in-process, pacing off)",
        support::machine()
    );
    // Alternate the two, ROUNDS times, and compare medians, so drift in the
    // machine's load (a shared VM) hits both alike.
    let rounds: usize = std::env::var("E2E_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (mut c50, mut c99, mut b50, mut b99) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (p50, p99) = latency(|| {
            let b = baseline.clone();
            async move {
                b.call().await;
            }
        })
        .await;
        b50.push(p50.as_secs_f64() * 1e6);
        b99.push(p99.as_secs_f64() * 1e6);
        let (p50, p99) = latency(|| client_call(&client)).await;
        c50.push(p50.as_secs_f64() * 1e6);
        c99.push(p99.as_secs_f64() * 1e6);
    }
    let (c50, c99, b50, b99) = (median(c50), median(c99), median(b50), median(b99));
    println!("latency ({LATENCY_REQUESTS} sequential requests per run, median of {rounds} runs)");
    println!("  client   p50 {c50:>8.1} µs   p99 {c99:>8.1} µs");
    println!("  baseline p50 {b50:>8.1} µs   p99 {b99:>8.1} µs");
    println!("  ratio    p50 {:.3}   p99 {:.3}", c50 / b50, c99 / b99);
    println!(
        "throughput ({THROUGHPUT_REQUESTS} requests per run, median of {rounds} runs, requests/s)"
    );
    for concurrency in [1usize, 8, 64] {
        let (mut cl, mut bl) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            bl.push(
                throughput(concurrency, || {
                    let b = baseline.clone();
                    async move {
                        b.call().await;
                    }
                })
                .await,
            );
            cl.push(throughput(concurrency, || client_call(&client)).await);
        }
        let (cl, bl) = (median(cl), median(bl));
        println!(
            "  c={concurrency:<3} client {cl:>9.0}   baseline {bl:>9.0}   ratio {:.3}",
            cl / bl
        );
    }
    let verified = sandbox
        .requests()
        .iter()
        .filter(|r| r.signature_verified && r.status == 200)
        .count();
    println!(
        "sandbox verified {verified} of {} requests",
        sandbox.requests().len()
    );
}
