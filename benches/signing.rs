//! Signing: `ingo_banking::signing::sign` against the raw primitives
//! (SHA-512 of the body, HMAC-SHA512 of the signing string, Base64) on the
//! same bytes. Run: `cargo bench --bench signing`.

mod support;

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha512};

fn raw(path: &str, body: &[u8], x_date: &str, secret: &[u8]) -> String {
    let digest = STANDARD.encode(Sha512::digest(body));
    let line = format!(
        "POST {path} HTTP/1.1\nx-date: {x_date}\ncontent-type: application/json\ncontent-sha512: {digest}\ncontent-length: {}",
        body.len()
    );
    let mut mac = Hmac::<Sha512>::new_from_slice(secret).expect("any key length");
    mac.update(line.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn main() {
    let credentials =
        ingo_banking::Credentials::new("key", "bench-user", "bench-secret").expect("credentials");
    let path = "/api/v4/payment-intent/program/all";
    let now = SystemTime::now();
    let x_date = httpdate::fmt_http_date(now);
    println!("signing benchmark on {}", support::machine());
    println!(
        "{:>8} {:>14} {:>14} {:>8}",
        "body", "client ns", "raw ns", "ratio"
    );
    for size in [100usize, 10_000, 1_000_000] {
        let body = vec![b'x'; size];
        let budget = Duration::from_secs(2);
        let client = support::ns_per_call(budget, || {
            black_box(
                ingo_banking::signing::sign("POST", path, black_box(&body), now, &credentials)
                    .expect("signable date"),
            );
        });
        let floor = support::ns_per_call(budget, || {
            black_box(raw(path, black_box(&body), &x_date, b"bench-secret"));
        });
        println!(
            "{:>8} {:>14.0} {:>14.0} {:>8.3}",
            size,
            client,
            floor,
            client / floor
        );
    }
}
