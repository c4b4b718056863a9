#!/usr/bin/env bash
# Class-data sharing, measured: the daemon's JVM CPU seconds (user + system, every thread) and
# peak RSS (VmHWM) from exec until the first record reaches the record processor, with and
# without the archive `kclrs run` makes, on each Java given; median of N runs each.
#   bench/cds.sh KCLRS_BIN CACHE_DIR [JAVA_HOME…]      (default: Java 17 and Temurin 25)
#   BENCH_RUNS=N (default 3)  BENCH_VARIANTS (default "off cds aot"): off = --no-cds, cds = the
#   dynamic archive (KCLRS_CDS_AOT=0), aot = the AOT cache (KCLRS_CDS_AOT=1; Java 25+ only)
# CACHE_DIR holds the locked jars (`kclrs download-jars --cache-dir CACHE_DIR`); runs are offline
# against the local emulators (tests/e2e/emulators.sh), a 1-shard stream with 20 records, each run
# a new application reading from the start. kclrs execs the JVM, so the pid measured is the JVM
# (its counters include kclrs's few milliseconds before the exec). Every variant gets two unmeasured
# runs first: the archive is written at the first one's exit and checked by the second.
# Prints the load average before and after, one line per run and a Markdown table.
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
e2e=$(cd "$bench/../tests/e2e" && pwd)
kclrs=$(realpath "${1:?usage: bench/cds.sh KCLRS_BIN CACHE_DIR [JAVA_HOME…]}")
cache=$(realpath "${2:?usage: bench/cds.sh KCLRS_BIN CACHE_DIR [JAVA_HOME…]}")
shift 2
javas=("$@")
[ ${#javas[@]} -gt 0 ] || javas=(/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64)
runs=${BENCH_RUNS:-3}
variants=${BENCH_VARIANTS:-off cds aot}
work=$(mktemp -d /tmp/kclrs-bench-cds.XXXXXX)
here=$e2e # lib.sh's tool, emulators and cleanup trap look there
. "$e2e/lib.sh"
processor=$e2e/processor.py
[ -f "$bench/../samples/sample_record_processor.py" ] && processor=$(realpath "$bench/../samples/sample_record_processor.py")
tck=$(getconf CLK_TCK)
echo "bench: load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores" >&2

start_emulators
stream=kclrs-bench-cds
tool create-stream --stream "$stream" --shards 1 >/dev/null
tool put-records --stream "$stream" --prefix b --count 20 >/dev/null

n=0
# one JAVA VARIANT [SIGNAL]: sets $cpu (seconds) and $rss (MB) of one run, a new application each
# time; then SIGNAL (default KILL: only the first run of a variant must exit cleanly, so that the
# JVM writes its archive; the rest need not wait out the daemon's graceful shutdown).
one() {
  local java=$1 variant=$2 signal=${3:-KILL} i pid rc=0 flags=() envs=()
  n=$((n + 1))
  case $variant in
    off) flags=(--no-cds) ;;
    cds) envs=(KCLRS_CDS_AOT=0) ;;
    aot) envs=(KCLRS_CDS_AOT=1) ;;
  esac
  sed -e "s#@EXECUTABLE@#python3 $processor#" -e "s#@STREAM@#$stream#" -e "s#@APP@#bench-$$-$n#" \
    -e "s#@KINESIS_PORT@#$H2_PORT#" -e "s#@DYNAMODB_PORT@#$MOTO_PORT#" \
    "$e2e/e2e.properties.template" >"$work/app$n.properties"
  : >"$work/out$n.tsv"
  setsid env "KCLRS_SAMPLE_OUTPUT=$work/out$n.tsv" "${envs[@]}" "$kclrs" run --properties "$work/app$n.properties" \
    --cache-dir "$cache" --offline --java "$java" -J-Daws.cborEnabled=false "${flags[@]}" \
    >"$work/run$n.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for ((i = 0; i < 18000; i++)); do
    [ -s "$work/out$n.tsv" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "bench: run $n died; see $work/run$n.log" >&2; exit 1; }
    sleep 0.01
  done
  [ -s "$work/out$n.tsv" ] || { echo "bench: run $n: no record in 180 s; see $work/run$n.log" >&2; exit 1; }
  cpu=$(awk -v t="$tck" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$pid/stat")
  rss=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  local t0; t0=$(date +%s.%N)
  kill "-$signal" "$pid"
  for ((i = 0; i < 900; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  wait "$pid" || rc=$?
  exit_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

table="| Java | variant | JVM CPU s to first record (median) | runs | peak RSS MB (median) | first run's exit after SIGTERM, s |
| --- | --- | --- | --- | --- | --- |"
for java in "${javas[@]}"; do
  version=$("$java/bin/java" -version 2>&1 | head -n1)
  rm -rf "$cache/cds"
  feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$java/release")
  for variant in $variants; do
    [ "$variant" = aot ] && [ "${feature:-0}" -lt 25 ] && continue
    one "$java" "$variant" TERM
    echo "bench: $variant on $java: the first run (no archive yet) exited ${exit_s}s after SIGTERM" >&2
    first_exit=$exit_s
    one "$java" "$variant"
    cpus=() rsss=()
    for ((r = 1; r <= runs; r++)); do
      one "$java" "$variant"
      echo "bench: $version $variant run $r: cpu ${cpu}s rss ${rss}MB" >&2
      cpus+=("$cpu") rsss+=("$rss")
    done
    table+="
| $version | $variant | $(printf '%s\n' "${cpus[@]}" | median) | ${cpus[*]} | $(printf '%s\n' "${rsss[@]}" | median) | $first_exit |"
  done
done
echo "bench: load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "$table"
