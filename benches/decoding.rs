//! Decoding: a 500-item payment-intent page through the client's generated
//! types against `serde_json` into plain structs with the same fields; and
//! the same page with the drift observer off (what a call does by default)
//! against on (`check_response`, the observer's one pass), taken in turns,
//! on the page as served and on the page with drift in every item.
//! Run: `cargo bench --bench decoding`.

mod support;

use std::hint::black_box;
use std::time::Duration;

use std::time::SystemTime;
use support::plain::Plain;

#[tokio::main]
async fn main() {
    // A real 500-item page, byte for byte as the sandbox serves it; and one
    // with an undeclared field in every item and an unlisted enum value.
    let body = page(ingo_sandbox::SandboxConfig::default()).await;
    let drifted = page(ingo_sandbox::SandboxConfig {
        faults: vec![
            ingo_sandbox::FaultKind::ExtraFields.into(),
            ingo_sandbox::FaultKind::UnknownEnumValue.into(),
        ],
        ..Default::default()
    })
    .await;
    type Page = ingo_banking::types::ListPaymentIntentsResponse;
    let items = serde_json::from_slice::<Page>(&body)
        .expect("a page")
        .data
        .map_or(0, |d| d.items.len());
    assert_eq!(items, 500);
    let (decoded, entries) = ingo_banking::check_response::<Page>("list_payment_intents", &body);
    assert!(decoded.is_ok() && entries.is_empty(), "{entries:?}");
    let (decoded, entries) = ingo_banking::check_response::<Page>("list_payment_intents", &drifted);
    assert!(decoded.is_ok() && !entries.is_empty());

    let budget = Duration::from_secs(3);
    let client_ns = support::ns_per_call(budget, || {
        let r: Page = serde_json::from_slice(black_box(&body)).expect("decodes");
        black_box(r);
    });
    let plain_ns = support::ns_per_call(budget, || {
        let r: Plain = serde_json::from_slice(black_box(&body)).expect("decodes");
        black_box(r);
    });
    let off = |body: &[u8]| {
        let r: Page = serde_json::from_slice(black_box(body)).expect("decodes");
        black_box(r);
    };
    let on = |body: &[u8]| {
        let (r, entries) = ingo_banking::check_response::<Page>("list_payment_intents", body);
        black_box((r.expect("decodes"), entries));
    };
    let (off_ns, on_ns) = support::ns_per_call_alternating(budget * 2, || off(&body), || on(&body));
    let (drifted_off_ns, drifted_on_ns) =
        support::ns_per_call_alternating(budget * 2, || off(&drifted), || on(&drifted));
    println!(
        "decoding benchmark on {} ({} bytes, 500 items)",
        support::machine(),
        body.len()
    );
    println!("client types: {:>10.1} µs/page", client_ns / 1e3);
    println!("plain structs: {:>9.1} µs/page", plain_ns / 1e3);
    println!("ratio: {:.3}", client_ns / plain_ns);
    println!("drift observer off: {:>8.1} µs/page", off_ns / 1e3);
    println!("drift observer on: {:>9.1} µs/page", on_ns / 1e3);
    println!("drift ratio (on / off): {:.3}", on_ns / off_ns);
    println!(
        "with drift in every item ({} bytes): off {:.1} µs/page, on {:.1} µs/page, ratio {:.3}",
        drifted.len(),
        drifted_off_ns / 1e3,
        drifted_on_ns / 1e3,
        drifted_on_ns / drifted_off_ns
    );
}

/// A 500-item page of payment intents, as a sandbox with `config` serves it.
async fn page(config: ingo_sandbox::SandboxConfig) -> bytes::Bytes {
    let sandbox = ingo_sandbox::Sandbox::start_with(config).expect("sandbox");
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
    reqwest::Client::new()
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
        .expect("body")
}
