#!/usr/bin/env bash
# Benchmark: the properties check on hostile files (issue 21, finding 6). For each size, a file
# holding the four required keys plus N distinct unknown keys, and one with a 100 MB value of a
# checked key; `kclrs print-command` (an empty lock, so only the properties check and the Java
# probe do work) is timed with GNU time: wall seconds, peak memory, bytes written to stderr.
#
#   bench/properties-check.sh                    # builds and measures target/release/kclrs
#   KCLRS_BIN=/work/main/target/release/kclrs bench/properties-check.sh   # another binary
#   KCLRS_BENCH_SIZES="10000 40000" KCLRS_BENCH_TIMEOUT=60 bench/properties-check.sh
#
# A run still going after KCLRS_BENCH_TIMEOUT seconds (default 120) is stopped and shown as
# "timeout". Needs: cargo, GNU time (/usr/bin/time), python3, a JDK (KCLRS_BENCH_JAVA, default
# /usr/lib/jvm/java-17-openjdk-amd64).
set -euo pipefail

cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 1; }
java_home=${KCLRS_BENCH_JAVA:-/usr/lib/jvm/java-17-openjdk-amd64}
sizes=${KCLRS_BENCH_SIZES:-10000 40000 80000 3000000}
limit=${KCLRS_BENCH_TIMEOUT:-120}
if [ -z "${KCLRS_BIN:-}" ]; then
    cargo build --release --locked --quiet
    bin=$PWD/target/release/kclrs
else
    bin=$KCLRS_BIN
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kclrs-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
printf 'version = 1\nroots = []\nmin-java = 8\n' >"$work/jars.lock"
required='executableName = sh\napplicationName = bench\nstreamName = s\nAwsCredentialsProvider = DefaultCredentialsProvider\n'

# measure NAME FILE: one line "NAME  wall  peak-RSS  stderr-bytes  exit".
measure() {
    local name=$1 file=$2 rc=0
    timeout "$limit" /usr/bin/time -f '%e %M' -o "$work/time" \
        "$bin" print-command --lockfile "$work/jars.lock" --cache-dir "$work/cache" \
        --properties "$file" --java "$java_home" >/dev/null 2>"$work/stderr" || rc=$?
    if [ "$rc" = 124 ]; then
        printf '%-22s %10s %12s %14s %5s\n' "$name" timeout - "$(stat -c %s "$work/stderr")" -
    else
        read -r wall rss <"$work/time"
        printf '%-22s %9ss %9s KB %14s %5s\n' "$name" "$wall" "$rss" "$(stat -c %s "$work/stderr")" "$rc"
    fi
}

echo "binary: $bin"
printf '%-22s %10s %12s %14s %5s\n' case wall peak-RSS stderr-bytes exit
for n in $sizes; do
    file=$work/keys-$n.properties
    printf "$required" >"$file"
    python3 -c "import sys
w = sys.stdout.write
for i in range($n): w(f'bench.unknown.key{i} = v{i}\n')" >>"$file"
    measure "$n distinct keys" "$file"
    rm -f "$file"
done
file=$work/value.properties
printf "$required" >"$file"
python3 -c "import sys; sys.stdout.write('failoverTimeMillis = ' + '9x' * 50_000_000 + '\n')" >>"$file"
measure "100 MB value" "$file"
