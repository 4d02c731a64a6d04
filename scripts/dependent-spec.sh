#!/usr/bin/env bash
# A crate outside this workspace brings its own spec, as the README's recipe
# says: `.cargo/config.toml` sets INGO_SPEC relative to the crate. Its spec
# (the extended one: `listUsers`, a camelCase list, and `createBankAccount`, a
# write) generates the client and the sandbox it depends on; its program walks
# the list, filters it, and repeats a write with the same idempotency key
# against a sandbox built from that spec. Then the CLI is installed from the
# same spec (`cargo install` reads no project config, so INGO_SPEC is given
# as an absolute path) and walks the list through a sandbox process.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=$root/target/dependent
rm -rf "$dir"
mkdir -p "$dir/src" "$dir/.cargo"
python3 tests/fixtures/extend_spec.py spec/ingo-banking.yaml "$dir/spec.yaml"
cat > "$dir/.cargo/config.toml" <<'TOML'
[env]
# The spec, relative to this crate: the client (and the sandbox, and a CLI
# built here) are generated from it.
INGO_SPEC = { value = "spec.yaml", relative = true }
TOML
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "dependent-spec"
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
cat > "$dir/src/main.rs" <<'RUST'
//! Calls the operations its own spec added, against a sandbox built from it.
use std::collections::HashSet;

use ingo_banking::futures::TryStreamExt;
use ingo_banking::{Client, Credentials, Error};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = ingo_sandbox::Sandbox::start()?;
    let c = sandbox.credentials();
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .credentials(Credentials::new(&c.api_key, &c.hmac_username, &c.hmac_secret)?)
        .build()?;

    // The camelCase list, walked: every item once, as many as the total says.
    let first = client.list_users().per_page(7).call().await?;
    let total = first.data.as_ref().map(|d| d.pagination.total).unwrap_or_default();
    let users: Vec<_> = client.list_users().per_page(7).items().try_collect().await?;
    let ids: HashSet<_> = users.iter().map(|u| u.id.clone()).collect();
    assert!(total > 0, "the sandbox serves users");
    assert_eq!(users.len() as i64, total, "the walk yields the total");
    assert_eq!(ids.len(), users.len(), "each user once");
    println!("listUsers: {} users walked, {} distinct", users.len(), ids.len());
    // For the CLI's walk below, through a sandbox process of the same spec and seed.
    std::fs::write("users-total.txt", total.to_string())?;

    // A filter narrows: the users whose email is the first one's.
    let email = users[0].email.clone();
    let same: Vec<_> = client.list_users().email(email.clone()).items().try_collect().await?;
    assert!(!same.is_empty() && same.len() < users.len(), "{} of {}", same.len(), users.len());
    assert!(same.iter().all(|u| u.email == email));
    println!("listUsers --email: {} of {}", same.len(), users.len());

    // The write: the same key returns the first object; a later list shows it.
    let create = || {
        client
            .create_bank_account()
            .user_id("user-dependent")
            .routing_number("021000021")
            .account_number("12345678")
            .idempotent_key("dependent-key-1")
    };
    let first = create().call().await?;
    let again = create().call().await?;
    let id = |r: &ingo_banking::types::BankAccountsResponse| {
        r.data.as_ref().and_then(|d| d.items.first()).map(|a| a.id.clone())
    };
    assert!(id(&first).is_some(), "the write returns the account");
    assert_eq!(id(&first), id(&again), "the same key, the same account");
    let listed: Vec<_> = client
        .list_bank_accounts()
        .user_id("user-dependent")
        .items()
        .try_collect()
        .await?;
    assert!(listed.iter().any(|a| Some(&a.id) == id(&first).as_ref()), "a later list shows it");
    // The kebab-case list, walked to its total, each account once.
    let page = client.list_bank_accounts().user_id("user-dependent").call().await?;
    let total = page.data.as_ref().map(|d| d.pagination.total).unwrap_or_default();
    let distinct: HashSet<_> = listed.iter().map(|a| a.id.clone()).collect();
    assert_eq!((listed.len() as i64, distinct.len()), (total, listed.len()));
    println!("list-bank-accounts: {} accounts walked, {} distinct", listed.len(), distinct.len());
    println!("createBankAccount: {} twice with one key, listed", id(&first).unwrap_or_default());

    // The spec's digit pattern is checked before anything is sent.
    let sent = sandbox.requests().len();
    let refused = create().routing_number("0210000").call().await;
    assert!(matches!(&refused, Err(Error::InvalidRequest { field, .. }) if field == "routing_number"), "{refused:?}");
    assert_eq!(sandbox.requests().len(), sent);
    println!("refused before sending: {}", refused.err().map(|e| e.to_string()).unwrap_or_default());
    Ok(())
}
RUST
cp Cargo.lock "$dir/Cargo.lock"
# Built and run from the crate's own folder, so its .cargo/config.toml applies.
(cd "$dir" && CARGO_TARGET_DIR="$root/target" cargo run --quiet)

echo "-- the CLI and the sandbox binary, from the same spec"
INGO_SPEC="$dir/spec.yaml" cargo install --quiet --debug --locked --path cli \
  --root "$dir/bin" --target-dir "$root/target"
INGO_SPEC="$dir/spec.yaml" cargo build --quiet -p ingo-sandbox
"$root/target/debug/ingo-sandbox" --port 0 > "$dir/sandbox.env" 2> /dev/null &
sandbox=$!
trap 'kill $sandbox 2> /dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$dir/sandbox.env" ] && break; sleep 0.1; done
export $(cat "$dir/sandbox.env")
"$dir/bin/bin/ingo" list-users --all --output ndjson > "$dir/users.ndjson"
lines=$(wc -l < "$dir/users.ndjson")
distinct=$(sed 's/.*"id":"\([^"]*\)".*/\1/' "$dir/users.ndjson" | sort -u | wc -l)
total=$(cat "$dir/users-total.txt")
echo "ingo list-users --all: $lines users, $distinct distinct, of $total"
if [ "$lines" -ne "$total" ] || [ "$lines" -ne "$distinct" ]; then
  echo "error: the CLI's walk of the dependent's own list operation is wrong" >&2; exit 1
fi
# The write through the CLI: the same key twice, the same account.
write() {
  "$dir/bin/bin/ingo" bank-accounts create --user-id user-cli --routing-number 021000021 \
    --account-number 12345678 --idempotent-key cli-key-1 --output json
}
if [ "$(write)" != "$(write)" ]; then
  echo "error: the same idempotency key gave two different answers" >&2; exit 1
fi
created=$(write | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["items"][0]["id"])')
listed=$("$dir/bin/bin/ingo" bank-accounts list --user-id user-cli --all --output ndjson | grep -c "\"$created\"" || true)
echo "ingo bank-accounts create, twice with one key: one account ($created), listed $listed time(s)"
if [ "$listed" -ne 1 ]; then
  echo "error: the created account is not in the list exactly once" >&2; exit 1
fi
