//! Decoding: a 500-item payment-intent page through the client's generated
//! types against `serde_json` into plain structs with the same fields.
//! Run: `cargo bench --bench decoding`.

mod support;

use std::hint::black_box;
use std::time::Duration;

use std::time::SystemTime;
use support::plain::Plain;

#[tokio::main]
async fn main() {
    // A real 500-item page, byte for byte as the sandbox serves it.
    let sandbox = ingo_sandbox::Sandbox::start().expect("sandbox");
    let c = sandbox.credentials();
    let credentials = ingo_banking::Credentials::new(&c.api_key, &c.hmac_username, &c.hmac_secret)
        .expect("creds");
    let url = format!("{}/payment-intent/program/all", sandbox.base_url());
    let path = url::Url::parse(&url).expect("url").path().to_string();
    let request = br#"{"per_page":500}"#;
    let signed =
        ingo_banking::signing::sign("POST", &path, request, SystemTime::now(), &credentials)
            .expect("sign");
    ingo_banking::install_tls_provider();
    let body = reqwest::Client::new()
        .post(&url)
        .header("api_key", &c.api_key)
        .header("x-date", signed.x_date)
        .header("content-type", signed.content_type)
        .header("content-sha512", signed.content_sha512)
        .header("authorization", signed.authorization)
        .body(request.to_vec())
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    let items = serde_json::from_slice::<ingo_banking::types::ListPaymentIntentsResponse>(&body)
        .expect("a page")
        .data
        .map_or(0, |d| d.items.len());
    assert_eq!(items, 500);

    let budget = Duration::from_secs(3);
    let client_ns = support::ns_per_call(budget, || {
        let r: ingo_banking::types::ListPaymentIntentsResponse =
            serde_json::from_slice(black_box(&body)).expect("decodes");
        black_box(r);
    });
    let plain_ns = support::ns_per_call(budget, || {
        let r: Plain = serde_json::from_slice(black_box(&body)).expect("decodes");
        black_box(r);
    });
    println!(
        "decoding benchmark on {} ({} bytes, 500 items)",
        support::machine(),
        body.len()
    );
    println!("client types: {:>10.1} µs/page", client_ns / 1e3);
    println!("plain structs: {:>9.1} µs/page", plain_ns / 1e3);
    println!("ratio: {:.3}", client_ns / plain_ns);
}
