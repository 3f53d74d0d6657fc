#!/usr/bin/env bash
# A/B of two proxykit checkouts in HTTP mode, by CPU time per request: the figure that moves
# least on a small shared machine. Both proxies (`cli.ts -f` with the same one-server
# haproxy.cfg, keep-alive both sides) run side by side on CPU 1 (`taskset`, when there are 2 CPUs
# or more); nginx answers `return 200` with 100 bytes on `/` and serves a 64 KiB file on
# `/large`. After a 2 s warm-up of each, wrk runs against A, then B, N times (interleaved); after each run, the proxy's user
# and system time from /proc/PID/stat, divided by the requests wrk counted.
# Prints, per checkout, the median rate and the median CPU µs per request (every run in
# brackets), in how many repetitions B used less CPU per request than A, and the median of B/A
# within a repetition (the figure the machine's drifting speed moves least: use short --secs and
# many --reps).
#
# Usage: bash bench/ab_cpu.sh [--runtime node|bun|deno] [--reps N] [--secs S] [--conns C] [--path /|/large] A_DIR B_DIR
#   e.g. git worktree add --detach /tmp/base HEAD~1 && ln -s "$PWD/node_modules" /tmp/base/
#        bash bench/ab_cpu.sh --conns 50 --reps 9 /tmp/base .
# Needs Linux (/proc), wrk and nginx (bench/http.ts installs them with apt-get).
set -eu
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
runtime=node reps=7 secs=3 conns=50 path=/
while [ $# -gt 2 ]; do
  case "$1" in
    --runtime) runtime=$2 ;;
    --reps) reps=$2 ;;
    --secs) secs=$2 ;;
    --conns) conns=$2 ;;
    --path) path=$2 ;;
    *) echo "ab_cpu: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
[ $# -eq 2 ] || { echo "usage: bash bench/ab_cpu.sh [options] A_DIR B_DIR" >&2; exit 2; }
dirs=("$(cd "$1" && pwd)" "$(cd "$2" && pwd)")
for bin in wrk nginx "$runtime"; do
  command -v "$bin" > /dev/null || { echo "ab_cpu: $bin is missing" >&2; exit 1; }
done
case "$runtime" in deno) run=(deno run -A) ;; bun) run=(bun run) ;; *) run=(node) ;; esac
pin=()
[ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null && pin=(taskset -c 1)

work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

origin=$(free_port)
mkdir -p "$work/www"
head -c 65536 /dev/urandom > "$work/www/large"
cat > "$work/nginx.conf" << EOF
daemon off; master_process off; worker_processes 1; error_log /dev/null; pid $work/nginx.pid;
events { worker_connections 4096; }
http { access_log off; keepalive_timeout 600s; keepalive_requests 1000000; sendfile on;
  server { listen 127.0.0.1:$origin; root $work/www;
    location = / { return 200 "$(printf '%0100d' 0)"; } } }
EOF
nginx -c "$work/nginx.conf" -p "$work" > /dev/null 2>&1 &
pids+=($!)

ports=()
for i in 0 1; do
  port=$(free_port)
  ports+=("$port")
  printf 'defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\nlisten px\n  bind 127.0.0.1:%s\n  server s1 127.0.0.1:%s\n' \
    "$port" "$origin" > "$work/p$i.cfg"
  "${pin[@]}" "${run[@]}" "${dirs[$i]}/cli.ts" -f "$work/p$i.cfg" > "$work/p$i.log" 2>&1 &
  pids+=($!)
done
for i in 0 1; do
  for _ in $(seq 1 100); do grep -q "listening" "$work/p$i.log" && break; sleep 0.1; done
  grep -q "listening" "$work/p$i.log" || { echo "ab_cpu: ${dirs[$i]} did not start:" >&2; cat "$work/p$i.log" >&2; exit 1; }
done

# Warm-up (JIT, connection pools), not counted.
for i in 0 1; do wrk -t1 -c"$conns" -d2s "http://127.0.0.1:${ports[$i]}$path" > /dev/null; done

# Busy jiffies (user + system) of a process; the clock ticks per second from getconf.
hz=$(getconf CLK_TCK)
jiffies() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pid_of() { ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
rates=("" "") cpus=("" "") ratios="" b_wins=0
for rep in $(seq 1 "$reps"); do
  us=()
  for i in 0 1; do
    pid=$(pid_of "${ports[$i]}")
    j0=$(jiffies "$pid")
    out=$(wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:${ports[$i]}$path")
    j1=$(jiffies "$pid")
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    us+=("$(awk -v j=$((j1 - j0)) -v n="$n" -v hz="$hz" 'BEGIN {printf "%.1f", j / hz * 1e6 / n}')")
    rates[$i]+="$((n / secs)) "
    cpus[$i]+="${us[$i]} "
  done
  awk -v a="${us[0]}" -v b="${us[1]}" 'BEGIN {exit !(b < a)}' && b_wins=$((b_wins + 1))
  ratios+="$(awk -v a="${us[0]}" -v b="${us[1]}" 'BEGIN {printf "%.3f", b / a}') "
  echo "rep $rep/$reps: A ${us[0]} µs/request, B ${us[1]} µs/request" >&2
done
median() { echo "$@" | tr ' ' '\n' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
for i in 0 1; do
  echo "$([ "$i" = 0 ] && echo A || echo B) ${dirs[$i]}: $(median ${rates[$i]}) requests/s, $(median ${cpus[$i]}) µs CPU/request [${cpus[$i]% }]"
done
echo "B used less CPU per request in $b_wins of $reps repetitions ($runtime, wrk -c$conns, $path);" \
  "median of B/A within a repetition: $(median $ratios)"
