#!/usr/bin/env bash
# Runs the benches on Deno, Bun and Node in turn (each measures its own runtime against its
# hand-written pipe and HAProxy), then prints the tables together:
# - bench/tcp.ts: throughput and ping-pong (measures upload, download, pingpong);
# - bench/conn.ts: new connections per second and memory per idle stream (measures connrate,
#   idle), through nginx; needs wrk and nginx (installed with apt-get when missing, as root);
# - bench/http.ts: HTTP/1.1 reverse proxying to nginx (measures keepalive, close, large) through
#   HAProxy mode http, proxykit mode http and the JS proxies of bench/_js_proxies.ts (on Node).
# Usage: npm run bench                                (all three runtimes, every measure: about 8 min each)
#        npm run bench -- node --quick                (runtimes among deno bun node; a smoke test)
#        npm run bench -- node --measures connrate,idle   (only those measures: only bench/conn.ts runs)
#        npm run bench -- node --measures keepalive       (only bench/http.ts, one measure)
#        npm run bench -- deno --reps 5 --idle-conns 8000
# Options for every script: --quick, --reps N, --no-haproxy, --targets LIST, --measures LIST
# (split between the scripts; a script with no measure left does not run). tcp.ts only:
# --bulk-mib, --rounds, --write-kib, --extra. conn.ts and http.ts: --duration, --wrk-conns,
# --proxykit-from. conn.ts only: --idle-conns. See each script's header.
# The open-file limit is raised (ulimit -n) for the idle measure's thousands of streams.
# Nothing is pinned to a CPU; on a shared or small machine, run it when the machine is idle.
set -u
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

# Room for the idle streams: two descriptors each in a proxy (root may raise the hard limit).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

TCP_MEASURES=",upload,download,pingpong,"
CONN_MEASURES=",connrate,idle,"
HTTP_MEASURES=",keepalive,close,large,"
runtimes=()
tcp_args=()
conn_args=()
http_args=()
measures=""
while [ $# -gt 0 ]; do
  a="$1"
  shift
  name="${a%%=*}"
  # A flag's value: after '=' or the next argument.
  if [ "$name" != "$a" ]; then val="${a#*=}"; has_eq=1; else val=""; has_eq=0; fi
  case "$name" in
    deno | bun | node) runtimes+=("$a") ;;
    --quick | --no-haproxy)
      tcp_args+=("$a")
      conn_args+=("$a")
      http_args+=("$a")
      ;;
    --measures | --reps | --targets | --bulk-mib | --rounds | --write-kib | --extra | --duration | --wrk-conns | --idle-conns | --proxykit-from)
      if [ $has_eq -eq 0 ]; then
        if [ $# -eq 0 ]; then
          echo "run.sh: $name needs a value" >&2
          exit 2
        fi
        val="$1"
        shift
      fi
      case "$name" in
        --measures) measures="$val" ;;
        --reps | --targets)
          tcp_args+=("$name" "$val")
          conn_args+=("$name" "$val")
          http_args+=("$name" "$val")
          ;;
        --bulk-mib | --rounds | --write-kib | --extra) tcp_args+=("$name" "$val") ;;
        --idle-conns) conn_args+=("$name" "$val") ;;
        *)
          conn_args+=("$name" "$val")
          http_args+=("$name" "$val")
          ;;
      esac
      ;;
    *)
      echo "run.sh: unknown argument '$a' (see the header of bench/run.sh)" >&2
      exit 2
      ;;
  esac
done
[ ${#runtimes[@]} -eq 0 ] && runtimes=(deno bun node)

# Split --measures between the scripts.
scripts=(tcp conn http)
if [ -n "$measures" ]; then
  tcp_m=""
  conn_m=""
  http_m=""
  IFS=',' read -r -a list <<<"$measures"
  for m in "${list[@]}"; do
    if [[ "$TCP_MEASURES" == *",$m,"* ]]; then
      tcp_m="${tcp_m:+$tcp_m,}$m"
    elif [[ "$CONN_MEASURES" == *",$m,"* ]]; then
      conn_m="${conn_m:+$conn_m,}$m"
    elif [[ "$HTTP_MEASURES" == *",$m,"* ]]; then
      http_m="${http_m:+$http_m,}$m"
    else
      echo "run.sh: unknown measure '$m' (upload, download, pingpong, connrate, idle, keepalive, close, large)" >&2
      exit 2
    fi
  done
  scripts=()
  if [ -n "$tcp_m" ]; then
    scripts+=(tcp)
    tcp_args+=(--measures "$tcp_m")
  fi
  if [ -n "$conn_m" ]; then
    scripts+=(conn)
    conn_args+=(--measures "$conn_m")
  fi
  if [ -n "$http_m" ]; then
    scripts+=(http)
    http_args+=(--measures "$http_m")
  fi
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=0
for rt in "${runtimes[@]}"; do
  for script in "${scripts[@]}"; do
    echo "=============== $rt: bench/$script.ts ==============="
    case "$rt" in
      deno) cmd=(deno run -A "bench/$script.ts") ;;
      bun) cmd=(bun run "bench/$script.ts") ;;
      node) cmd=(node "bench/$script.ts") ;;
    esac
    case "$script" in
      tcp) args=(${tcp_args[@]+"${tcp_args[@]}"}) ;;
      conn) args=(${conn_args[@]+"${conn_args[@]}"}) ;;
      http) args=(${http_args[@]+"${http_args[@]}"}) ;;
    esac
    echo "\$ ${cmd[*]} ${args[*]:-}"
    start=$(date +%s)
    "${cmd[@]}" ${args[@]+"${args[@]}"} | tee "$out/$rt.$script.txt"
    rc=${PIPESTATUS[0]}
    echo "--- $rt $script: exit $rc in $(($(date +%s) - start)) s"
    [ "$rc" -eq 0 ] || failed=1
  done
done

echo
echo "=============== summary ==============="
for rt in "${runtimes[@]}"; do
  for script in "${scripts[@]}"; do
    # The table: from its === header line to the blank line that ends it.
    sed -n "/^=== proxykit $script bench/,/^\$/p" "$out/$rt.$script.txt"
  done
done
exit $failed
