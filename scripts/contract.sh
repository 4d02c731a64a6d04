#!/usr/bin/env bash
# The sandbox against each spec, by schemathesis (from PyPI, into
# target/tools): valid bodies answered within the spec, forbidden ones refused
# (tests/contract/sandbox_schemathesis.py). The sandbox binary serves each
# spec with --spec; every request is signed by tools/ingo_sign.py.
#   CONTRACT_EXAMPLES=N   examples per operation and mode (default 25)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/tools/schemathesis
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import schemathesis' 2> /dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi
cargo build --quiet -p ingo-sandbox
for spec in spec/ingo-banking.yaml target/extended-spec.yaml target/all-features-spec.yaml; do
  env_file=$(mktemp)
  target/debug/ingo-sandbox --port 0 --spec "$spec" > "$env_file" 2> /dev/null &
  sandbox=$!
  for _ in $(seq 100); do [ -s "$env_file" ] && break; sleep 0.1; done
  set -a; . "$env_file"; set +a
  echo "-- $spec"
  status=0
  "$venv/bin/python" tests/contract/sandbox_schemathesis.py "$spec" "$INGO_BASE_URL" \
    "$INGO_API_KEY" "$INGO_HMAC_USERNAME" "$INGO_HMAC_SECRET" "${CONTRACT_EXAMPLES:-25}" || status=$?
  kill "$sandbox" 2> /dev/null || true
  wait "$sandbox" 2> /dev/null || true
  rm -f "$env_file"
  [ "$status" -eq 0 ] || exit "$status"
done
