#!/usr/bin/env bash
# The README's first example, built and run by a crate outside the workspace
# that depends on ingo-banking (and the sandbox) by path, as a user's crate
# would: proof that the crate imports and works as documented.
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
futures = "0.3"
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }

# Not a member of the ingo-banking workspace: a crate of its own.
[workspace]
TOML
# The workspace's versions, and its target dir, so nothing is built twice.
cp Cargo.lock "$dir/Cargo.lock"
CARGO_TARGET_DIR="$root/target" cargo run --quiet --manifest-path "$dir/Cargo.toml"
