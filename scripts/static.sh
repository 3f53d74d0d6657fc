#!/usr/bin/env bash
# The static stage of the quality gate (scripts/test.sh runs it first; `npm run check` alone):
# stops at the first failing step and names it.
set -u
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export NO_COLOR=1

# Every entry point of the JSR package, read from deno.json's "exports".
mapfile -t entries < <(node -e 'for (const f of Object.values(require("./deno.json").exports)) console.log(f)')

step() {
  local name=$1
  shift
  local start=$(date +%s%N)
  if ! out=$("$@" 2>&1); then
    echo "$out" | tail -n 60
    echo "FATAL: static check failed: $name ($*)" >&2
    exit 1
  fi
  echo "static: $name ok ($(( ($(date +%s%N) - start) / 1000000 )) ms)"
}

step "type check (tsc: sources, adapters, examples, tests, bench)" tsc -p tsconfig.json
step "format (deno fmt --check)" deno fmt --check
step "lint (deno lint)" deno lint
step "documentation (deno doc --lint on every entry point)" deno doc --lint "${entries[@]}"
step "doc examples type-check (deno check --doc)" deno check --doc "${entries[@]}" src/ adapters/
step "README examples type-check (deno check --doc-only README.md)" deno check --doc-only README.md
step "JSR package (deno publish --dry-run)" deno publish --dry-run --allow-dirty
