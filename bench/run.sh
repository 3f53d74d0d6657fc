#!/usr/bin/env bash
# Runs bench/tcp.ts on Deno, Bun and Node in turn (each measures its own runtime against its
# hand-written pipe and HAProxy), then prints the three tables together.
# Usage: npm run bench                   (all three runtimes, full counts: under 2 min each)
#        npm run bench -- node --quick   (runtimes among deno bun node; other arguments go to tcp.ts)
# Nothing is pinned to a CPU; on a shared or small machine, run it when the machine is idle.
set -u
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

runtimes=()
args=()
for a in "$@"; do
  case "$a" in
    deno|bun|node) runtimes+=("$a") ;;
    *) args+=("$a") ;;
  esac
done
[ ${#runtimes[@]} -eq 0 ] && runtimes=(deno bun node)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=0
for rt in "${runtimes[@]}"; do
  echo "=============== $rt ==============="
  case "$rt" in
    deno) cmd=(deno run -A bench/tcp.ts) ;;
    bun) cmd=(bun run bench/tcp.ts) ;;
    node) cmd=(node bench/tcp.ts) ;;
  esac
  echo "\$ ${cmd[*]} ${args[*]:-}"
  start=$(date +%s)
  "${cmd[@]}" ${args[@]+"${args[@]}"} | tee "$out/$rt.txt"
  rc=${PIPESTATUS[0]}
  echo "--- $rt: exit $rc in $(( $(date +%s) - start )) s"
  [ "$rc" -eq 0 ] || failed=1
done

echo
echo "=============== summary ==============="
for rt in "${runtimes[@]}"; do
  # The table: from its === header line to the blank line that ends it.
  sed -n '/^=== proxykit tcp bench/,/^$/p' "$out/$rt.txt"
done
exit $failed
