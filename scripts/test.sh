#!/usr/bin/env bash
# Every test of the project, in the order a failure is cheapest to read:
#   1. the spec validates as OpenAPI 3.0 under an independent validator
#      (openapi-spec-validator from PyPI, installed into target/tools/ here);
#   2. every test of the workspace (client, sandbox, CLI, doctests);
#   3. regeneration: a copy of the spec with a third operation and a new
#      optional field, given through INGO_SPEC, builds and is keyed and signed;
#      a copy using every ordinary schema feature builds (client and CLI), its
#      rules are checked before sending, and its responses decode leniently;
#   3b. schemathesis (an independent schema-based tester) against the sandbox,
#      for each spec: valid bodies answered within the spec, forbidden refused;
#   4. a broken spec fails the build with a message naming the file; so does
#      every schema keyword (and format) the generator does not implement,
#      named with its JSON path, and two operationIds that name one method;
#   5. the README's example, built and run by a crate outside the workspace,
#      and a program depending on ingo-banking and tokio alone (the re-exports);
#      a crate with its own spec (scripts/dependent-spec.sh);
#   5b. drift: the CLI's drift logs against a sandbox in --drift mode hold
#      exactly what it injected, `ingo spec drift` makes an overlay of them,
#      and rebuilt with it the same walks log no drift (scripts/drift.sh);
#   6. the in-process rate limiter in the library's default build (no redis
#      crate); the shared one (feature `redis`, on through the CLI) ran in
#      step 2 against real redis-servers the tests start
#      (scripts/redis-server.sh, run first, installs redis-server if missing);
#   7. every crate packages, and builds from its package alone (cargo package).
set -euo pipefail
cd "$(dirname "$0")/.."

have_python() { command -v python3 >/dev/null 2>&1; }
skip_or_fail() {
  if [ "${CI:-}" = "true" ]; then echo "error: $1" >&2; exit 1; fi
  echo "SKIPPED: $1 (install python3 to run it)" >&2
}

mkdir -p target/tools target/refused
# Before step 2, whose workspace build has the `redis` feature (through the CLI),
# so the shared-limiter tests run there against real redis-servers.
bash scripts/redis-server.sh
if have_python; then
  python3 tests/fixtures/extend_spec.py spec/ingo-banking.yaml target/extended-spec.yaml
  python3 tests/fixtures/all_features.py spec/ingo-banking.yaml target/all-features-spec.yaml
fi

echo "==> 1. spec validation (openapi-spec-validator)"
if have_python; then
  venv=target/tools/spec-validator
  if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator==0.9.0"
  fi
  "$venv/bin/openapi-spec-validator" --schema 3.0 spec/ingo-banking.yaml target/extended-spec.yaml \
    target/all-features-spec.yaml
else
  skip_or_fail "spec validation needs python3"
fi

echo "==> 2. workspace tests"
cargo test --workspace

echo "==> 3. regeneration from an extended spec (INGO_SPEC)"
if have_python; then
  INGO_SPEC=target/extended-spec.yaml cargo test -p ingo-banking --test every_operation --test sandbox_spec
  INGO_SPEC=target/all-features-spec.yaml cargo test -p ingo-banking --test all_features --test sandbox_spec --test errors_say_why --test spans
  INGO_SPEC=target/all-features-spec.yaml cargo test -p ingo-cli
else
  skip_or_fail "the regeneration check needs python3 to write the extended spec"
fi

echo "==> 3b. the sandbox against each spec, by schemathesis (valid answered, forbidden refused)"
if have_python; then
  bash scripts/contract.sh
else
  skip_or_fail "the contract test needs python3"
fi

echo "==> 4. a broken spec fails the build with a message naming it"
# $1: the spec; $2: what the message must name (after the spec's path).
refused() {
  local out
  if out=$(INGO_SPEC="$1" cargo build -p ingo-banking 2>&1); then
    echo "error: the build accepted $1, which it must refuse naming: $2" >&2; exit 1
  fi
  if ! grep -F "ingo spec error: $PWD/$1: " <<<"$out" | grep -qF -- "$2"; then
    echo "error: the build of $1 failed without naming the spec and \`$2\`:" >&2; echo "$out" >&2; exit 1
  fi
  echo "refused $1, naming: $2"
}
printf 'openapi: 3.0.3\ninfo: {title: broken, version: "1"}\npaths:\n  /a:\n    post:\n      responses: {}\n' \
  > target/broken-spec.yaml
refused target/broken-spec.yaml "has no operationId"
if have_python; then
  python3 tests/fixtures/refused_specs.py target/extended-spec.yaml target/refused > target/refused/list.txt
  while read -r file expected; do refused "$file" "$expected"; done < target/refused/list.txt
else
  skip_or_fail "the refused-keyword specs need python3"
fi
echo "==> 5. the README example, and a crate with its own spec, outside the workspace"
bash scripts/readme-example.sh
if have_python; then
  bash scripts/dependent-spec.sh
else
  skip_or_fail "the dependent crate's spec is written by python3"
fi
echo "==> 5b. drift: observed against a drifting sandbox, adopted through an overlay"
if have_python; then
  bash scripts/drift.sh
else
  skip_or_fail "the drift logs are read by python3"
fi
echo "==> 6. the in-process rate limiter in the library's default build (no redis crate)"
if cargo tree -p ingo-banking -e normal --prefix none | grep -q '^redis '; then
  echo "error: the library's default build pulls in the redis crate" >&2; exit 1
fi
cargo test -p ingo-banking --lib --test pacing
# The workspace's lints (CI's clippy) see the library with the CLI's redis
# feature on; its default build must compile without warnings too (an
# importer sees them). Only the library recompiles here.
cargo rustc -p ingo-banking --lib --quiet -- -D warnings
echo "==> 7. cargo package --workspace (each crate builds from its package)"
# cargo verifies the client against ingo-codegen served from a local registry
# it makes under target/package; being "from a registry", a codegen of the
# same version that an earlier run unpacked and compiled counts as fresh even
# when codegen/ has changed since. Forget those copies first.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/ingo-* target/package
cargo clean --quiet -p ingo-codegen
cargo package --workspace --quiet
echo "all test steps passed"
