#!/usr/bin/env bash
# Fuzz smoke run: every cargo-fuzz target under fuzz/ for FUZZ_SECONDS each.
#
#   scripts/fuzz-smoke.sh                  # 60 s per target
#   FUZZ_SECONDS=300 scripts/fuzz-smoke.sh # longer
#   FUZZ_TARGETS="signer" scripts/fuzz-smoke.sh
#
# Works on a stable toolchain through RUSTC_BOOTSTRAP=1 (cargo-fuzz passes
# -Z flags). Uses AddressSanitizer when it builds, else no sanitizer
# (force one with FUZZ_SANITIZER=address|none). Exits non-zero if any target
# crashes, leaks, times out or fails to build; crash inputs land in
# fuzz/artifacts/<target>/, full logs in fuzz/logs/<target>.log.
set -euo pipefail

cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
TARGETS="${FUZZ_TARGETS:-decode_responses authorization_header signer}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

sanitizer="${FUZZ_SANITIZER:-}"
if [[ -z "$sanitizer" ]]; then
    if cargo fuzz build -O --sanitizer address; then
        sanitizer=address
    else
        echo "== AddressSanitizer build failed; falling back to --sanitizer none"
        sanitizer=none
    fi
fi
cargo fuzz build -O --sanitizer "$sanitizer"

mkdir -p fuzz/logs
failed=()
for target in $TARGETS; do
    mkdir -p "fuzz/corpus/$target" "fuzz/seeds/$target"
    log="fuzz/logs/$target.log"
    echo "== $target: ${SECONDS_PER_TARGET}s, sanitizer=$sanitizer"
    status=0
    cargo fuzz run -O --sanitizer "$sanitizer" "$target" \
        "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    # The last coverage line and libFuzzer's final stats.
    grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 || true
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
    if [[ $status -ne 0 ]]; then
        echo "!! $target FAILED (exit $status); see $log"
        grep -E "panicked at|^SUMMARY|Test unit written to|ERROR: " "$log" | head -n 8 || true
        failed+=("$target")
    else
        echo "ok $target: no crash"
    fi
done

if ((${#failed[@]})); then
    echo "== crashes in: ${failed[*]}"
    exit 1
fi
echo "== all targets ran ${SECONDS_PER_TARGET}s without a crash"
