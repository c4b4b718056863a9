#!/usr/bin/env bash
# Benchmark of `kclrs download-jars` and `kclrs verify` on loopback (rerunnable, ~2 minutes).
#
# Builds a Maven-layout folder of ~90 jars (~70 MB): the first 90 real jars of the KCL
# MultiLangDaemon closure from the test Maven repository (tests/prepare.sh fills it) plus two
# generated 4.5 MB ones, writes a lockfile from their real sha256 and sizes, serves the folder with
# `python3 -m http.server` on 127.0.0.1, and measures with hyperfine:
#   - cold download into an empty cache vs `curl -Z` fetching the same URLs 8 at a time;
#   - warm no-op `download-jars` (target ≤ 20 ms median);
#   - `verify` re-hashing the ~70 MB (target ≤ 150 ms);
# then peak RSS (`/usr/bin/time -v`) of a cold download of one 200 MB artifact (target ≤ 30 MiB).
#
# Env: KCLRS_BIN (default target/release/kclrs, built if absent), KCLRS_TEST_M2, BENCH_DIR
# (default $TMPDIR/kclrs-bench, wiped first), RUNS (cold runs, default 5).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${KCLRS_BIN:-$root/target/release/kclrs}
if [ ! -x "$bin" ]; then (cd "$root" && cargo build --release --locked); fi
m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
ref=$(dirname "$m2")/reference/kcl-multilang.txt
[ -s "$ref" ] || { echo "bench: $ref is missing; run bash tests/prepare.sh first" >&2; exit 1; }
for tool in hyperfine curl python3 /usr/bin/time sha256sum; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (apt-get install hyperfine time)" >&2; exit 1; }
done
work=${BENCH_DIR:-${TMPDIR:-/tmp}/kclrs-bench}
runs=${RUNS:-5}
rm -rf "$work"
mkdir -p "$work/repo" "$work/big" "$work/out"

# --- the repository and its lockfile -------------------------------------------------------
lock=$work/jars.lock
printf 'version = 1\nroots = []\n' >"$lock"
add() { # add COORDS FILE-IN-REPO
  local sum size
  sum=$(sha256sum "$2" | cut -d' ' -f1)
  size=$(stat -c %s "$2")
  printf '\n[[artifact]]\ncoords = "%s"\nsha256 = "%s"\nsize = %s\n' "$1" "$sum" "$size" >>"$lock"
}
count=0
while read -r coords; do
  IFS=: read -r g a _ v _ <<<"$coords"
  rel=${g//.//}/$a/$v/$a-$v.jar
  mkdir -p "$work/repo/$(dirname "$rel")"
  ln -f "$m2/$rel" "$work/repo/$rel" 2>/dev/null || cp "$m2/$rel" "$work/repo/$rel"
  add "$g:$a:$v" "$work/repo/$rel"
  count=$((count + 1))
done < <(grep ':jar:' "$ref" | awk '{print $1}' | awk -F: 'NF == 5' | head -90)
for n in 1 2; do
  rel=kclrs/bench/generated-$n/1.0/generated-$n-1.0.jar
  mkdir -p "$work/repo/$(dirname "$rel")"
  head -c 4500000 /dev/urandom >"$work/repo/$rel"
  add "kclrs.bench:generated-$n:1.0" "$work/repo/$rel"
  count=$((count + 1))
done
total=$(awk '/^size/ {s += $3} END {print s}' "$lock")
echo "bench: $count artifacts, $((total / 1000000)) MB"

biglock=$work/big.lock
printf 'version = 1\nroots = []\n' >"$biglock"
bigrel=kclrs/bench/huge/1.0/huge-1.0.jar
mkdir -p "$work/repo/$(dirname "$bigrel")"
head -c 200000000 /dev/urandom >"$work/repo/$bigrel"
sum=$(sha256sum "$work/repo/$bigrel" | cut -d' ' -f1)
printf '\n[[artifact]]\ncoords = "kclrs.bench:huge:1.0"\nsha256 = "%s"\nsize = 200000000\n' "$sum" >>"$biglock"

# --- the server ----------------------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/repo" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
url=http://127.0.0.1:$port
for _ in $(seq 50); do curl -sf -o /dev/null "$url/" && break; sleep 0.1; done

# curl config: the same URLs, each to its own file, 8 at a time (kclrs's default --jobs).
cfg=$work/curl.cfg
: >"$cfg"
(cd "$work/repo" && find . -name '*.jar' ! -name 'huge-*' | sort) | while read -r rel; do
  rel=${rel#./}
  printf 'url = "%s/%s"\noutput = "%s/out/%s"\n' "$url" "$rel" "$work" "${rel//\//_}" >>"$cfg"
done

kclrs=("$bin" download-jars -q --no-mvn --no-local-repo --lockfile "$lock" --cache-dir "$work/cache" --repository "$url")
hyperfine --runs "$runs" --export-json "$work/cold.json" \
  --prepare "rm -rf $work/cache $work/out && mkdir -p $work/out" \
  -n kclrs-cold "${kclrs[*]}" \
  -n curl-parallel "curl -sS -Z --parallel-max 8 -K $cfg"

"${kclrs[@]}"
hyperfine -N --warmup 5 --runs 100 --export-json "$work/warm.json" -n kclrs-warm "${kclrs[*]}"
hyperfine -N --warmup 2 --runs 20 --export-json "$work/verify.json" \
  -n kclrs-verify "$bin verify --lockfile $lock --cache-dir $work/cache"

rm -rf "$work/bigcache"
/usr/bin/time -v "$bin" download-jars -q --no-mvn --no-local-repo --lockfile "$biglock" \
  --cache-dir "$work/bigcache" --repository "$url" 2>"$work/time.txt"
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")

python3 - "$work" "$rss_kb" <<'PY'
import json, sys
work, rss = sys.argv[1], int(sys.argv[2])
def med(name):
    return {r["command"]: r["median"] * 1000 for r in json.load(open(f"{work}/{name}.json"))["results"]}
cold, warm, verify = med("cold"), med("warm"), med("verify")
ratio = cold["kclrs-cold"] / cold["curl-parallel"]
print()
print(f"cold download  kclrs {cold['kclrs-cold']:.0f} ms, curl -Z {cold['curl-parallel']:.0f} ms, ratio {ratio:.2f} (target <= 1.5)")
print(f"warm no-op     {warm['kclrs-warm']:.1f} ms median (target <= 20)")
print(f"verify         {verify['kclrs-verify']:.1f} ms median (target <= 150)")
print(f"peak RSS       {rss / 1024:.1f} MiB downloading a 200 MB artifact (target <= 30)")
PY
