//! The client's spans through OpenTelemetry: `tracing-opentelemetry` turns
//! each call into an internal span and each attempt into a client span
//! under it. Here they go to an in-memory exporter and are printed; a
//! service would give the SDK an OTLP exporter instead (see the README).
//!
//!     cargo run --example opentelemetry
//!
//! No credentials, no network: the sandbox runs in this process on loopback,
//! and answers the first request with a 503 so that one call shows a retry.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("example"))),
    )?;

    let sandbox = ingo_sandbox::Sandbox::start()?;
    sandbox
        .faults()
        .add(ingo_sandbox::FaultRule::status(503, None).first(1));
    let creds = sandbox.credentials();
    let client = ingo_banking::Client::builder()
        .base_url(sandbox.base_url())
        .credentials(ingo_banking::Credentials::new(
            &creds.api_key,
            &creds.hmac_username,
            &creds.hmac_secret,
        )?)
        .build()?;
    let page = client.list_payment_intents().per_page(3).call().await?;
    let listed = page.data.map_or(0, |data| data.items.len());
    println!("listed {listed} payment intents\n");

    provider.force_flush()?;
    let mut spans = exporter.get_finished_spans()?;
    spans.sort_by_key(|s| s.start_time);
    for span in &spans {
        let child = spans
            .iter()
            .any(|parent| parent.span_context.span_id() == span.parent_span_id);
        let took = span
            .end_time
            .duration_since(span.start_time)
            .unwrap_or_default();
        println!(
            "{}{} ({:?}, {:?}, {} µs)",
            if child { "  └ " } else { "" },
            span.name,
            span.span_kind,
            span.status,
            took.as_micros()
        );
        for kv in &span.attributes {
            println!(
                "{}    {} = {}",
                if child { "  " } else { "" },
                kv.key,
                kv.value
            );
        }
    }
    Ok(())
}
