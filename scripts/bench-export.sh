#!/usr/bin/env bash
# The CLI's NDJSON export against a hand-written reqwest + hmac floor
# (cli/benches/export.rs): release builds of ingo, ingo-sandbox and the
# baseline, then alternating runs at 200,000 and 50,000 payment intents.
#   EXPORT_ROUNDS=N       rounds per size (default 5)
#   EXPORT_ITEMS=a,b,...  sizes (default 200000,50000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p ingo-sandbox
cargo bench -p ingo-cli --bench export
