#!/usr/bin/env bash
# What importing the crate costs: a cold debug build of a minimal importer
# (ingo-banking + tokio: a client, one call, a walk) against a hand-written
# equivalent (reqwest + hmac + sha2 + base64 + httpdate + serde + serde_json +
# tokio: the same signed call by hand), in the same run, alternating, each in
# a fresh target dir (dependency sources already downloaded; nothing else
# shared). Two hand-written floors: TLS as ours by default (rustls with ring),
# and reqwest's own defaults, which a hand-written client most often takes.
#   BUILD_ROUNDS=N   rounds (default 3)
# Prints CPU (user + sys) and wall seconds per build, medians, and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
rounds=${BUILD_ROUNDS:-3}
work=$root/target/bench-build
rm -rf "$work"
mkdir -p "$work"

crate() { # name, dependencies, main.rs
  mkdir -p "$work/$1/src"
  printf '[package]\nname = "%s"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n[dependencies]\n%s\n\n[workspace]\n' \
    "$1" "$2" > "$work/$1/Cargo.toml"
  printf '%s\n' "$3" > "$work/$1/src/main.rs"
}

crate importer "ingo-banking = { path = \"$root\" }
tokio = { version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }" '
use ingo_banking::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = Client::from_env()?;
    let page = client.list_contacts().user_id("u").business_id("b").call().await?;
    println!("{}", page.data.map_or(0, |d| d.pagination.total));
    let all: Vec<_> = client.list_payment_intents().per_page(500).items().try_collect().await?;
    println!("{}", all.len());
    Ok(())
}'

handwritten_main='
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha512};

#[derive(Deserialize)]
struct Page { data: Option<Data> }
#[derive(Deserialize)]
struct Data { items: Vec<serde_json::Value>, pagination: Pagination }
#[derive(Deserialize)]
struct Pagination { total: u64 }

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    //PROVIDER
    let (key, user, secret) = (std::env::var("INGO_API_KEY")?, std::env::var("INGO_HMAC_USERNAME")?, std::env::var("INGO_HMAC_SECRET")?);
    let body = serde_json::to_vec(&serde_json::json!({"user_id": "u", "business_id": "b"}))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let digest = b64.encode(Sha512::digest(&body));
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let path = "/api/v4/business/customers/get-all";
    let line = format!("POST {path} HTTP/1.1\nx-date: {date}\ncontent-type: application/json\ncontent-sha512: {digest}\ncontent-length: {}", body.len());
    let mut mac = Hmac::<Sha512>::new_from_slice(secret.as_bytes())?;
    mac.update(line.as_bytes());
    let signature = b64.encode(mac.finalize().into_bytes());
    let page: Page = reqwest::Client::builder().http1_only().build()?
        .post(format!("https://api.sdev.banking.ingopayments.tech{path}"))
        .header("api_key", key).header("x-date", date).header("content-type", "application/json")
        .header("content-sha512", digest)
        .header("authorization", format!("hmac username=\"{user}\", algorithm=\"hmac-sha512\", headers=\"request-line x-date content-type content-sha512 content-length\", signature=\"{signature}\""))
        .body(body).send().await?.json().await?;
    println!("{}", page.data.map_or(0, |d| d.pagination.total + d.items.len() as u64));
    Ok(())
}'
common='hmac = "0.12"
sha2 = "0.10"
base64 = "0.22"
httpdate = "1"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }'
crate handwritten-ring "reqwest = { version = \"0.13\", default-features = false, features = [\"rustls-no-provider\", \"json\"] }
rustls = { version = \"0.23\", default-features = false, features = [\"ring\", \"std\", \"tls12\"] }
$common" "${handwritten_main//\/\/PROVIDER/let _ = rustls::crypto::ring::default_provider().install_default();}"
crate handwritten-defaults "reqwest = { version = \"0.13\", features = [\"json\"] }
$common" "$handwritten_main"

for name in importer handwritten-ring handwritten-defaults; do
  cp Cargo.lock "$work/$name/Cargo.lock" 2> /dev/null || true
  # Resolve (and fetch) once, outside the timed builds.
  cargo fetch --quiet --manifest-path "$work/$name/Cargo.toml"
done

results=$work/results.txt
: > "$results"
for round in $(seq "$rounds"); do
  for name in importer handwritten-ring handwritten-defaults; do
    rm -rf "$work/$name/target"
    /usr/bin/time -f "%U %S %e" -o "$work/time.txt" \
      cargo build --quiet --manifest-path "$work/$name/Cargo.toml" --target-dir "$work/$name/target"
    read -r user sys wall < "$work/time.txt"
    crates=$(find "$work/$name/target/debug/deps" -name '*.d' | sed 's/-[0-9a-f]*\.d$//' | sort -u | wc -l)
    cpu=$(python3 -c "print(f'{$user + $sys:.1f}')")
    echo "round $round  $name  cpu ${cpu} s  wall ${wall} s  ($crates units)"
    echo "$name $cpu $wall" >> "$results"
  done
done
python3 - "$results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, cpu, wall = line.split()
    runs.setdefault(name, []).append((float(cpu), float(wall)))
med = {n: (statistics.median(c for c, _ in r), statistics.median(w for _, w in r)) for n, r in runs.items()}
for n, (c, w) in med.items():
    print(f"median  {n:22} cpu {c:6.1f} s  wall {w:6.1f} s")
i = med["importer"]
for floor in ("handwritten-ring", "handwritten-defaults"):
    f = med[floor]
    print(f"importer / {floor:22} cpu {i[0] / f[0]:.2f}x  wall {i[1] / f[1]:.2f}x")
PY
rm -rf "$work"/*/target  # the cold builds take ~1 GB each
