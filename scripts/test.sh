#!/usr/bin/env bash
# The quality gate: a static stage that fails fast (tsc, deno fmt --check, deno lint, deno doc
# --lint on every entry point, type-checked doc examples, deno publish --dry-run), then the
# whole suite on Deno, Bun and Node, each with its own test runner.
# Usage: npm test            (all three runtimes, then the npm package stage)
#        npm test -- node    (one or more of: deno bun node package; the static stage runs first anyway)
# The package stage (tests/e2e/package_e2e.ts) builds and packs the npm tarball and runs it on
# Node 20, Node 22, Bun and Deno: once, not once per runner.
# Exits non-zero if a runtime binary is missing, a static check fails or any runner fails.
# A peer program the tests need (haproxy, curl, openssl) that cannot be installed fails the
# tests that need it, unless PROXYKIT_ALLOW_MISSING_PEERS=1 is set (they then skip, loudly).
set -u
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

runtimes=("$@")
[ ${#runtimes[@]} -eq 0 ] && runtimes=(deno bun node package)

missing=0
for bin in deno bun node; do
  if ! v=$("$bin" --version 2>&1 | head -n 1); then
    echo "FATAL: '$bin' is missing or broken ($v). Run 'npm install' (it installs deno, bun and node from npm)." >&2
    missing=1
  else
    echo "toolchain: $bin $v ($(command -v "$bin"))"
  fi
done
case "$(node --version)" in v2[4-9]*|v[3-9]*) ;; *) echo "FATAL: node $(node --version) is too old: Node 24+ (from node_modules/.bin) is needed" >&2; missing=1;; esac
[ $missing -eq 0 ] || exit 1

bash scripts/static.sh || exit 1

bash scripts/peers.sh || true   # real peers (haproxy, curl, openssl): installed when possible (tests/_peers.ts decides)

# A runner that hangs (a handle left open after a failure) must fail, not stall CI: each
# runtime gets RUNTIME_LIMIT seconds (a full run takes under 30 s here), then SIGTERM/SIGKILL.
limit=${RUNTIME_LIMIT:-300}

failed=()
passed=()
for rt in "${runtimes[@]}"; do
  echo; echo "=============== $rt ==============="
  start=$(date +%s)
  case "$rt" in
    deno) timeout -k 10 "$limit" deno test -A --no-check tests/ ;;
    bun)  timeout -k 10 "$limit" bun test --timeout 120000 ./tests/ ;;
    node) timeout -k 10 "$limit" node --test --test-timeout=120000 --test-concurrency=2 'tests/**/*_test.ts' ;;
    package) timeout -k 10 "$limit" node --test --test-timeout=240000 tests/e2e/package_e2e.ts ;;
    *) echo "unknown runtime $rt" >&2; false ;;
  esac
  rc=$?
  [ $rc -eq 124 ] && echo "!!! $rt: still running after ${limit} s: killed (a test left a handle open?)"
  echo "--- $rt: exit $rc in $(( $(date +%s) - start )) s"
  if [ $rc -eq 0 ]; then passed+=("$rt"); else failed+=("$rt"); fi
done

echo
echo "runtimes passed: ${passed[*]:-none}; failed: ${failed[*]:-none}"
echo "runtimes: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
