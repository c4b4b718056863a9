#!/usr/bin/env bash
# Times `kclrs lock` on the KCL closure with every POM already local (the warm case): the
# re-resolution `lock --check` does (POMs, parents, BOMs, metadata; no jar reads), and a full
# `lock` (resolution plus reading, hashing and class-scanning every jar). Uses the Maven test
# repository filled by tests/prepare.sh (override with KCLRS_TEST_M2) and hyperfine.
#
# Then the COLD case: the KCL closure resolved and locked from a loopback HTTP server (nginx with
# keep-alive if installed, else python3 -m http.server) serving a hard-linked copy of that
# repository, plus the `maven-metadata.xml` a remote would have, into an empty kclrs cache. It
# prints the wall time and the round-trip depth (levels, sequential fetch batches, POMs), then
# repeats through bench/delay-proxy.py (RTT_MS of added latency, default 20) with --jobs 1 and the
# default --jobs 8, to show what fetching each level concurrently is worth.
# Usage: bash bench/lock.sh   (builds the release binary first; RTT_MS=0 skips the latency runs)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
[ -d "$m2" ] || { echo "bench: $m2 is missing; run bash tests/prepare.sh" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin=$here/target/release/kclrs
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
"$bin" lock --maven-repo-local "$m2" -o "$work/jars.lock" --json
# The same repository as a --repository: its POMs land in the kclrs cache on the first run.
remote=(--no-local-repo --repository "file://$m2" --cache-dir "$work/cache")
"$bin" lock --check -q "${remote[@]}" -o "$work/jars.lock"
hyperfine --warmup 3 --runs 20 \
  -n "re-resolve (lock --check)" "$bin lock --check -q --maven-repo-local $m2 -o $work/jars.lock" \
  -n "re-resolve, POMs from the kclrs cache" "$bin lock --check -q ${remote[*]} -o $work/jars.lock" \
  -n "full lock (resolve + hash jars)" "$bin lock -q --maven-repo-local $m2 -o $work/out.lock"

# ---- cold: from a loopback HTTP server into an empty kclrs cache ----
served=$work/served
cp -al "$m2" "$served" 2>/dev/null || cp -a "$m2" "$served"
version=$(sed -n 's/^roots = \["software.amazon.kinesis:amazon-kinesis-client-multilang:\(.*\)"\]$/\1/p' "$here/jars.lock")
ga_dir=$served/software/amazon/kinesis/amazon-kinesis-client-multilang
rm -f "$ga_dir/maven-metadata.xml"
cat > "$ga_dir/maven-metadata.xml" <<XML
<metadata><groupId>software.amazon.kinesis</groupId><artifactId>amazon-kinesis-client-multilang</artifactId>
<versioning><versions><version>$version</version></versions></versioning></metadata>
XML
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
if command -v nginx >/dev/null; then
  server="nginx (keep-alive)"
  mkdir -p "$work/nginx/logs"
  { [ "$(id -u)" = 0 ] && echo "user root;"
    echo "worker_processes 2; daemon off; pid $work/nginx/nginx.pid; error_log $work/nginx/logs/error.log;"
    echo "events { worker_connections 1024; }"
    echo "http { access_log off; sendfile on; keepalive_requests 100000;"
    for t in client_body proxy fastcgi uwsgi scgi; do echo " ${t}_temp_path $work/nginx/$t;"; done
    echo " server { listen 127.0.0.1:$port; root $served; } }"; } > "$work/nginx/nginx.conf"
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" & pids+=($!)
else
  server="python3 -m http.server (no keep-alive)"
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$served" >/dev/null 2>&1 & pids+=($!)
fi
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/${ga_dir#"$served"/}/maven-metadata.xml" >/dev/null && break; sleep 0.1; done
cold() { # URL JOBS LABEL
  rm -rf "$work/cold"
  local t0 t1 json
  t0=$(date +%s.%N)
  json=$("$bin" lock --kcl-version latest --repository "$1" --no-local-repo --no-mvn --jobs "$2" \
    --cache-dir "$work/cold" -o "$work/cold.lock" --json)
  t1=$(date +%s.%N)
  cmp -s "$work/cold.lock" "$here/jars.lock" || { echo "bench: the cold lock differs from jars.lock" >&2; exit 1; }
  python3 - "$3" "$t0" "$t1" "$json" <<'PY'
import json, sys
label, t0, t1, summary = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), json.loads(sys.argv[4])
print(f"{label:<44} {t1 - t0:7.2f} s   {summary['levels']} levels, {summary['fetch_rounds']} sequential "
      f"POM/metadata batches, {summary['poms']} POMs, {summary['artifacts']} jars")
PY
}
echo "cold lock of the KCL closure from $server on 127.0.0.1 (same bytes as jars.lock checked each run):"
for run in 1 2 3; do cold "http://127.0.0.1:$port/" 8 "cold, no added latency, --jobs 8 (run $run)"; done
rtt=${RTT_MS:-20}
if [ "$rtt" != 0 ]; then
  proxy_port=$(free_port)
  python3 "$here/bench/delay-proxy.py" "$proxy_port" "$port" "$rtt" & pids+=($!)
  sleep 0.5
  cold "http://127.0.0.1:$proxy_port/" 8 "cold, +${rtt} ms RTT, --jobs 8"
  cold "http://127.0.0.1:$proxy_port/" 1 "cold, +${rtt} ms RTT, --jobs 1"
fi
