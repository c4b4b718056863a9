#!/usr/bin/env bash
# Times `kclrs lock` on the KCL closure with every POM already local (the warm case): the
# re-resolution `lock --check` does (POMs, parents, BOMs, metadata; no jar reads), and a full
# `lock` (resolution plus reading, hashing and class-scanning every jar). Uses the Maven test
# repository filled by tests/prepare.sh (override with KCLRS_TEST_M2) and hyperfine.
#
# Then the COLD case: the KCL closure (as the committed jars.lock records it: `--kcl-version
# latest`, javapoet excluded) resolved and locked from nginx on loopback (keep-alive, access log
# counting every request) serving a hard-linked copy of that repository plus the
# `maven-metadata.xml` a remote would have, into an empty kclrs cache, through
# bench/delay-proxy.py emulating each link of PROFILES (RTT_MS:MBIT, default "40:200 100:50").
# Each profile: RUNS (default 3) cold locks, each checked byte for byte against jars.lock, their
# median, the requests of a run, and the ratio to the jar bytes' link time (their size at the link
# rate), to the chain bound (the POM round trips before the jars are final, each one RTT, then the
# jars left at the link rate) and to the bound from the jars' real ask times; then the warm re-lock (same cache, same remote) with its request count, which must be 0.
# Each profile runs per protocol of PROTOCOLS (default "http1 h2"): `http1` is plain http:// to
# nginx (HTTP/1.1, one request per connection at a time); `h2` is https:// to the same nginx with
# `http2` on (ALPN, a self-signed certificate kclrs trusts through SSL_CERT_FILE), the way public
# and company repositories answer.
# Usage: bash bench/lock.sh   (builds the release binary first; needs nginx; the warm-local
# section needs hyperfine and is skipped without it; COLD_ONLY=1 skips it too; LOCK_FLAGS adds
# flags to every cold lock, e.g. LOCK_FLAGS="--jobs 16")
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
[ -d "$m2" ] || { echo "bench: $m2 is missing; run bash tests/prepare.sh" >&2; exit 1; }
command -v nginx >/dev/null || { echo "bench: install nginx (apt-get install nginx-light)" >&2; exit 1; }
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin=$here/target/release/kclrs
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
if [ -z "${COLD_ONLY:-}" ] && command -v hyperfine >/dev/null; then
  "$bin" lock --maven-repo-local "$m2" -o "$work/jars.lock" --json
  # The same repository as a --repository: its POMs land in the kclrs cache on the first run.
  remote=(--no-local-repo --repository "file://$m2" --cache-dir "$work/cache")
  "$bin" lock --check -q "${remote[@]}" -o "$work/jars.lock"
  hyperfine --warmup 3 --runs 20 \
    -n "re-resolve (lock --check)" "$bin lock --check -q --maven-repo-local $m2 -o $work/jars.lock" \
    -n "re-resolve, POMs from the kclrs cache" "$bin lock --check -q ${remote[*]} -o $work/jars.lock" \
    -n "full lock (resolve + hash jars)" "$bin lock -q --maven-repo-local $m2 -o $work/out.lock"
else
  echo "bench: warm-local section skipped (COLD_ONLY set or no hyperfine)"
fi

# ---- cold: through an emulated link from nginx on loopback into an empty kclrs cache ----
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
tls_port=$(free_port)
mkdir -p "$work/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE \
  -keyout "$work/tls/key.pem" -out "$work/tls/cert.pem" 2>/dev/null
export SSL_CERT_FILE=$work/tls/cert.pem
log=$work/nginx/logs/access.log
mkdir -p "$work/nginx/logs"
{ [ "$(id -u)" = 0 ] && echo "user root;"
  echo "worker_processes 2; daemon off; pid $work/nginx/nginx.pid; error_log $work/nginx/logs/error.log;"
  echo "events { worker_connections 1024; }"
  echo "http { log_format short '\$status \$uri \$server_protocol \$msec \$request_time \$body_bytes_sent'; access_log $log short; sendfile on; keepalive_requests 100000;"
  for t in client_body proxy fastcgi uwsgi scgi; do echo " ${t}_temp_path $work/nginx/$t;"; done
  echo " server { listen 127.0.0.1:$port; root $served; }"
  echo " server { listen 127.0.0.1:$tls_port ssl http2; root $served; http2_max_concurrent_streams 128;"
  echo "   ssl_certificate $work/tls/cert.pem; ssl_certificate_key $work/tls/key.pem; } }"; } > "$work/nginx/nginx.conf"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" & pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/${ga_dir#"$served"/}/maven-metadata.xml" >/dev/null && break; sleep 0.1; done
jar_bytes=$(sed -n 's/^size = //p' "$here/jars.lock" | paste -sd+ | bc)
jars=$(grep -c '^\[\[artifact\]\]' "$here/jars.lock")
echo "load before the cold runs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "jar bytes: $jar_bytes in $jars jars; server: nginx (keep-alive) behind bench/delay-proxy.py"

# One lock: LABEL URL CACHE [FLAGS...] into $work/out.lock (the CACHE is kept as is: warm when it
# already holds the closure). Prints one line with the wall time, the requests nginx logged
# during it, and the resolver's counts.
one() {
  local before t0 t1 json label=$1 url=$2 cache=$3
  shift 3
  before=$(wc -l < "$log")
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086 # LOCK_FLAGS is a list of flags
  json=$("$bin" lock "$@" ${LOCK_FLAGS:-} --repository "$url" --no-local-repo --no-mvn --cache-dir "$cache" \
    -o "$work/out.lock" --json)
  t1=$(date +%s.%N)
  sleep 0.2 # nginx writes its log line after the response
  cmp -s "$work/out.lock" "$here/jars.lock" || { echo "bench: the lock differs from jars.lock" >&2; exit 1; }
  tail -n +"$((before + 1))" "$log" > "$work/run.log"
  python3 - "$label" "$t0" "$t1" "$json" "$work/run.log" "${rtt:-0}" "${mbit:-0}" <<'PY'
import collections, json, sys
label, t0, t1, summary, log = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5]
rtt, mbit = float(sys.argv[6]) / 1000, float(sys.argv[7])
kinds = collections.Counter()
protocols = collections.Counter()
jars = []


def bound():
    # The earliest any lock could end given when its jars were asked for: from each jar's
    # request on, the bytes of it and of every later-asked jar still have to cross the link,
    # then half a round trip to arrive (hashing and writing the lock are left out).
    rate = mbit * 1e6 / 8
    jars.sort()
    left, best = sum(b for _, b in jars), 0.0
    for asked, size in jars:
        best = max(best, asked + left / rate)
        left -= size
    return f"; bound {best + rtt / 2 - t0:.2f} s, first jar asked at {jars[0][0] - t0:.2f} s"


poms = []


def chain():
    # The issue's bound: the chain of POM round trips, each exactly one RTT, then the jars left
    # after it at the link rate. Trips are counted from the server's side: a trip starts at the
    # first POM/metadata request at least one RTT after the previous trip started (an answer
    # cannot come back sooner), which never counts more trips than the resolution made. A jar
    # asked during trip k was final after k - 1 trips; had every trip taken one RTT, it would
    # have been asked (k - 1) RTTs after the first request. From each such point, every jar
    # final no earlier still has to cross the link; then half a round trip to arrive.
    rate = mbit * 1e6 / 8
    starts = []
    for asked in sorted(poms):
        if not starts or asked >= starts[-1] + rtt:
            starts.append(asked)
    trip = lambda asked: max(1, sum(1 for s in starts if s <= asked))
    by_trip = sorted((trip(a), b) for a, b in jars)
    left, best, at = sum(b for _, b in by_trip), 0.0, None
    for k, size in by_trip:
        end = starts[0] + (k - 1) * rtt + left / rate
        if end > best:
            best, at = end, (k - 1, left)
        left -= size
    return (f"; chain: {at[0]} POM round trips before {at[1] / 1e6:.1f} MB of jars are final, "
            f"chain bound {best + rtt / 2 - t0:.2f} s")


for line in open(log):
    status, uri, protocol, done, took, sent = line.split()
    if uri.endswith(".jar") and status == "200":
        # When the server had the request (nginx's clock is this machine's, as date's is).
        jars.append((float(done) - float(took), int(sent)))
    if uri.endswith((".pom", ".xml")):
        poms.append(float(done) - float(took))
    protocols[protocol] += 1
    kind = "404" if status == "404" else uri.rsplit(".", 1)[-1]
    kinds[kind if kind in ("404", "pom", "jar", "sha1", "xml") else "other"] += 1
print(f"{label:<24} {t1 - t0:7.2f} s  requests {sum(kinds.values()):4d} "
      f"(pom {kinds['pom']}, jar {kinds['jar']}, sha1 {kinds['sha1']}, metadata {kinds['xml']}, "
      f"404 {kinds['404']}, other {kinds['other']}; {', '.join(sorted(protocols))})  {summary['levels']} levels, "
      f"{summary['fetch_rounds']} POM/metadata rounds, {summary['poms']} POMs, {summary['artifacts']} jars"
      + (bound() + chain() if jars and mbit else ""))
PY
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
summary=()
for profile in ${PROFILES:-40:200 100:50}; do
for protocol in ${PROTOCOLS:-http1 h2}; do
  rtt=${profile%%:*} mbit=${profile##*:}
  proxy_port=$(free_port)
  case $protocol in
    http1) target=$port scheme=http ;;
    h2) target=$tls_port scheme=https ;;
    *) echo "bench: unknown protocol $protocol (http1 or h2)" >&2; exit 1 ;;
  esac
  python3 "$here/bench/delay-proxy.py" "$proxy_port" "$target" "$rtt" "$mbit" & proxy=$!
  pids+=($proxy)
  sleep 0.5
  url="$scheme://127.0.0.1:$proxy_port/"
  echo "== $rtt ms RTT, $mbit Mbit/s, $protocol =="
  : > "$work/times"
  : > "$work/bounds"
  : > "$work/chains"
  for run in $(seq "${RUNS:-3}"); do
    rm -rf "$work/cold" "$work/out.lock"
    one "cold (run $run)" "$url" "$work/cold" \
      --kcl-version latest --exclude com.palantir.javapoet:javapoet | tee "$work/line"
    sed -n 's/^.* \([0-9.]*\) s  requests.*$/\1/p' "$work/line" >> "$work/times"
    sed -n 's/^.*; bound \([0-9.]*\) s.*$/\1/p' "$work/line" >> "$work/bounds"
    sed -n 's/^.*, chain bound \([0-9.]*\) s.*$/\1/p' "$work/line" >> "$work/chains"
    requests=$(sed -n 's/^.*requests *\([0-9]*\) .*$/\1/p' "$work/line")
  done
  cold=$(median < "$work/times")
  bound=$(median < "$work/bounds")
  chain_bound=$(median < "$work/chains")
  # The resolution alone (POMs, parents, BOMs; no jars): `lock --check` of jars.lock into an
  # empty cache. Its time is the chain of POM round trips the jars can hide behind.
  : > "$work/chain"
  for run in $(seq "${RUNS:-3}"); do
    rm -rf "$work/chaincache"
    before=$(wc -l < "$log")
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$bin" lock --check -q ${LOCK_FLAGS:-} --repository "$url" --no-local-repo --no-mvn \
      --cache-dir "$work/chaincache" -o "$here/jars.lock"
    t1=$(date +%s.%N)
    sleep 0.2
    n=$(($(wc -l < "$log") - before))
    python3 -c "print(f'{\"resolve only (run $run)\":<24} {$t1 - $t0:7.2f} s  requests {$n:4d} (lock --check, cold)')" | tee "$work/line"
    sed -n 's/^.* \([0-9.]*\) s  requests.*$/\1/p' "$work/line" >> "$work/chain"
  done
  chain=$(median < "$work/chain")
  : > "$work/warm"
  for run in $(seq "${RUNS:-3}"); do
    # A plain `lock` re-locks what the lock records: no metadata to ask, everything cached.
    one "warm re-lock (run $run)" "$url" "$work/cold" | tee "$work/line"
    sed -n 's/^.* \([0-9.]*\) s  requests.*$/\1/p' "$work/line" >> "$work/warm"
    warm_requests=$(sed -n 's/^.*requests *\([0-9]*\) .*$/\1/p' "$work/line")
    [ "$warm_requests" = 0 ] || { echo "bench: the warm re-lock made $warm_requests requests" >&2; exit 1; }
  done
  warm=$(median < "$work/warm")
  kill "$proxy"
  summary+=("$(python3 -c "
b, mbit, cold, rtt, chain, bound, trips = $jar_bytes, $mbit, $cold, $rtt, $chain, $bound, $chain_bound
link = b * 8 / (mbit * 1e6)
print(f'| {rtt} ms / {mbit} Mbit | $protocol | {cold:.2f} s | {link:.2f} s | {cold / link:.2f}x | {chain:.2f} s | {trips:.2f} s | {cold / trips:.2f}x | {bound:.2f} s | {cold / bound:.2f}x | $requests | ${warm} s, 0 requests |')")")
done
done
echo "load after the cold runs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| link | protocol | kclrs lock, cold (median of ${RUNS:-3}) | jar bytes at link rate | ratio | resolve only (lock --check, cold) | chain bound (POM trips x RTT, then the jars left) | ratio to it | bound from the jars' ask times | ratio to it | requests | warm re-lock (median) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
