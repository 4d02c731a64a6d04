#!/usr/bin/env bash
# Makes sure `redis-server` is installed, for the shared rate limiter's tests
# and benchmarks (each starts its own on a free loopback port): as root with
# apt-get when it is missing. Exits 0 when it is there; when it cannot be had,
# fails under CI=true and otherwise says so loudly (the tests then skip).
set -euo pipefail

have() { command -v "${REDIS_SERVER:-redis-server}" >/dev/null 2>&1; }
loud() {
  local bar; bar=$(printf '!%.0s' {1..78})
  printf '\n%s\n%s\n%s\n\n' "$bar" "$1" "$bar" >&2
}

if have; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing: installing it (apt-get install -y redis-server)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends redis-server >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends redis-server >&2; } || true
fi
if have; then exit 0; fi
why="redis-server is not installed and could not be installed (needs root and apt-get)"
if [ "${CI:-}" = "true" ]; then echo "error: $why; CI=true, so this fails" >&2; exit 1; fi
loud "SKIPPED: the shared rate limiter's Redis tests: $why"
