//! Decoding: a 500-item payment-intent page through the client's generated
//! types against `serde_json` into plain structs with the same fields.
//! Run: `cargo bench --bench decoding`.

mod support;

use std::hint::black_box;
use std::time::Duration;

use futures::TryStreamExt;
use ingo_banking::ListOperation;
use support::plain::Plain;

#[tokio::main]
async fn main() {
    // A real 500-item page, as the sandbox serves it.
    let sandbox = ingo_sandbox::Sandbox::start().expect("sandbox");
    let c = sandbox.credentials();
    let client = ingo_banking::Client::builder()
        .base_url(sandbox.base_url())
        .credentials(
            ingo_banking::Credentials::new(&c.api_key, &c.hmac_username, &c.hmac_secret)
                .expect("creds"),
        )
        .build()
        .expect("client");
    let page = client
        .list_payment_intents()
        .body_map(|b| b.per_page(500))
        .pages()
        .try_next()
        .await
        .expect("page")
        .expect("one page");
    let body = serde_json::to_vec(&serde_json::json!({
        "status": "success", "message": "operation completed",
        "data": {"items": page.items, "pagination": {"page": 1, "per_page": 500, "total": 2500, "sort": "created_at:desc", "search": null}}
    }))
    .expect("json");

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
