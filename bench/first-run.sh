#!/usr/bin/env bash
# Benchmark of the default path (issue 9): `kclrs download-jars` of the built-in lock on a fresh
# HOME and an empty cache with nothing configured but a Maven installation, versus the same
# download with `--repository` pointing at the same server. Target: the default path takes at
# most 2x the configured one.
#
# The Maven installation is fake: `bin/mvn` only records that it ran (the default path must not
# need it) and `lib/maven-model-builder-3.9.9.jar` holds a super POM whose `central` is a loopback
# server. That server is `python3 -m http.server` serving the test Maven repository
# (tests/prepare.sh fills it) behind bench/delay-proxy.py, which adds RTT_MS of round-trip
# latency (default 20), so both runs cross the same emulated link.
#
# Env: KCLRS_BIN (default target/release/kclrs, built if absent), KCLRS_TEST_M2, BENCH_DIR
# (default $TMPDIR/kclrs-first-run, wiped first), RUNS (default 5), RTT_MS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${KCLRS_BIN:-$root/target/release/kclrs}
if [ ! -x "$bin" ]; then (cd "$root" && cargo build --release --locked); fi
m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
[ -d "$m2" ] || { echo "bench: $m2 is missing; run bash tests/prepare.sh first" >&2; exit 1; }
work=${BENCH_DIR:-${TMPDIR:-/tmp}/kclrs-first-run}
runs=${RUNS:-5}
rtt=${RTT_MS:-20}
rm -rf "$work"
mkdir -p "$work"

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$m2" >/dev/null 2>&1 & pids+=($!)
proxy=$(free_port)
python3 "$here/delay-proxy.py" "$proxy" "$port" "$rtt" & pids+=($!)
url="http://127.0.0.1:$proxy/"
for _ in $(seq 50); do
  python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" "$url" 2>/dev/null && break
  sleep 0.1
done

# --- the fake Maven installation ----------------------------------------------------------------
bash "$here/../tests/e2e/fake-maven.sh" "$work/maven" "$url"

# --- the two runs -------------------------------------------------------------------------------
# One cold download on a fresh HOME and cache; prints its wall time in seconds.
cold() {
  rm -rf "$work/home" "$work/cache"
  mkdir -p "$work/home"
  local t0 t1
  t0=$(date +%s.%N)
  env -u MAVEN_HOME -u M2_HOME -u KCLRS_REPOSITORY -u KCL_MVN_REPO_SEARCH_URL \
    HOME="$work/home" KCLRS_CACHE_DIR="$work/cache" PATH="$work/maven/bin:$PATH" \
    "$bin" download-jars -q "$@"
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.3f}')"
}
median() { python3 -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[1:])):.3f}')" "$@"; }

default=() configured=()
for run in $(seq "$runs"); do
  default+=("$(cold)")
  [ ! -e "$work/maven/mvn-ran" ] || { echo "bench: the fake mvn ran: the default path did not use the super POM" >&2; exit 1; }
  configured+=("$(cold --repository "$url")")
done
d=$(median "${default[@]}")
c=$(median "${configured[@]}")
echo "download-jars of the built-in lock, fresh HOME and cache, +${rtt} ms RTT, $runs runs each:"
echo "  nothing configured (central from Maven's super POM): median ${d} s (${default[*]})"
echo "  --repository URL:                                    median ${c} s (${configured[*]})"
python3 -c "r=$d/$c; print(f'  ratio {r:.2f}x (target <= 2x)'); raise SystemExit(0 if r <= 2 else 1)"
