#!/usr/bin/env bash
# The README's first example, built and run by a crate outside the workspace
# that depends on ingo-banking (and the sandbox) by path, as a user's crate
# would: proof that the crate imports and works as documented. Then a program
# whose only [dependencies] are ingo-banking and tokio, using the types of the
# public signatures through the re-exports: a stream, decimals, dates, a proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=target/readme-example
mkdir -p "$dir/src"
# The first ```rust block of the README, as it stands.
awk '/^```rust/ && !done {inside=1; next} inside && /^```/ {done=1; inside=0} inside {print}' \
  README.md > "$dir/src/main.rs"
grep -q "fn main" "$dir/src/main.rs" || { echo "error: the README's first rust block has no main" >&2; exit 1; }
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "readme-example"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
ingo-banking = { path = "$root" }
ingo-sandbox = { path = "$root/sandbox" }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }

# Not a member of the ingo-banking workspace: a crate of its own.
[workspace]
TOML
# The workspace's versions, and its target dir, so nothing is built twice.
cp Cargo.lock "$dir/Cargo.lock"
CARGO_TARGET_DIR="$root/target" cargo run --quiet --manifest-path "$dir/Cargo.toml"

imports=target/imports-only
mkdir -p "$imports/src"
cat > "$imports/Cargo.toml" <<'TOML'
[package]
name = "imports-only"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
ingo-banking = { path = "../.." }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }

[workspace]
TOML
cat > "$imports/src/main.rs" <<'RUST'
//! Only ingo-banking and tokio: the types in the API come from its re-exports.
use ingo_banking::chrono::{DateTime, Duration, Utc};
use ingo_banking::prelude::*; // TryStreamExt too
use ingo_banking::reqwest::Proxy;
use ingo_banking::rust_decimal::Decimal;
use ingo_banking::ClientBuilder;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The sandbox process this script started: INGO_BASE_URL and the credentials.
    let client = Client::from_env()?;
    let since: DateTime<Utc> = Utc::now() - Duration::days(3650);
    let intents: Vec<types::PaymentIntent> = client
        .list_payment_intents()
        .start_date(since)
        .per_page(100)
        .items()
        .try_collect()
        .await?;
    let total: Decimal = intents.iter().map(|pi| pi.amount).sum();
    let newest = intents.iter().filter_map(|pi| pi.posting_date).max();
    assert!(!intents.is_empty() && total > Decimal::ZERO && newest.is_some());
    println!("{} intents since {}, {total} in all, newest {newest:?}", intents.len(), since.date_naive());

    // A proxy of reqwest's own type, set on the builder: here one that is not
    // listening, so the call fails, saying it went through that proxy and why.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let through = ClientBuilder::from_env()?
        .proxy(Proxy::all(format!("http://{closed}"))?)
        .build()?;
    let error = through.list_payment_intents().per_page(1).call().await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("proxy set on the client builder") && text.contains("Connection refused"), "{text}");
    println!("through a dead proxy: {error}");
    Ok(())
}
RUST
cp Cargo.lock "$imports/Cargo.lock"
CARGO_TARGET_DIR="$root/target" cargo build --quiet -p ingo-sandbox
"$root/target/debug/ingo-sandbox" --port 0 > "$imports/sandbox.env" 2> /dev/null &
sandbox=$!
trap 'kill $sandbox 2> /dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$imports/sandbox.env" ] && break; sleep 0.1; done
[ -s "$imports/sandbox.env" ] || { echo "error: the sandbox did not start" >&2; exit 1; }
env $(cat "$imports/sandbox.env") CARGO_TARGET_DIR="$root/target" \
  cargo run --quiet --manifest-path "$imports/Cargo.toml"
