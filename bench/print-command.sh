#!/usr/bin/env bash
# Benchmark: wall time of `kclrs print-command` for an 86-jar lock (target: median <= 5 ms).
#
# Rerunnable and self-contained: builds the release binary, creates 86 small real jars (one text
# entry each, made with `zip`) in the Maven layout of a throw-away kclrs cache, writes a lockfile
# whose sha256/size come from those files (sha256sum, stat), and times print-command with
# hyperfine (no shell in between, warm-up runs first).
#
#   bench/print-command.sh            # uses /usr/lib/jvm/java-17-openjdk-amd64 as --java
#   KCLRS_BENCH_JAVA=/path/to/jdk bench/print-command.sh
#   KCLRS_BENCH_RUNS=500 bench/print-command.sh
#
# Needs: cargo, hyperfine, zip, sha256sum (Debian/Ubuntu: apt-get install -y hyperfine zip).
set -euo pipefail

cd "$(dirname "$0")/.."
for tool in hyperfine zip sha256sum; do
    command -v "$tool" >/dev/null || {
        echo "bench: $tool is missing (Debian/Ubuntu: apt-get install -y hyperfine zip coreutils)" >&2
        exit 1
    }
done
java_home=${KCLRS_BENCH_JAVA:-/usr/lib/jvm/java-17-openjdk-amd64}
runs=${KCLRS_BENCH_RUNS:-300}
jars=86

cargo build --release --locked --quiet
bin=$PWD/target/release/kclrs

work=$(mktemp -d "${TMPDIR:-/tmp}/kclrs-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cache=$work/cache
lock=$work/jars.lock
mkdir -p "$work/entry" "$work/app"
printf 'version = 1\nroots = []\nmin-java = 8\n' >"$lock"
for i in $(seq -w 1 "$jars"); do
    artifact=bench-artifact-$i
    version=1.0.$i
    dir=$cache/maven/com/example/bench/$artifact/$version
    jar=$dir/$artifact-$version.jar
    mkdir -p "$dir"
    printf 'bench jar %s\n' "$i" >"$work/entry/entry-$i.txt"
    (cd "$work/entry" && zip -q -X "$jar" "entry-$i.txt")
    sha=$(sha256sum "$jar" | cut -d' ' -f1)
    size=$(stat -c %s "$jar")
    printf '\n[[artifact]]\ncoords = "com.example.bench:%s:%s"\nsha256 = "%s"\nsize = %s\n' \
        "$artifact" "$version" "$sha" "$size" >>"$lock"
done
cat >"$work/app/app.properties" <<'PROPS'
executableName = sh
applicationName = kclrs-bench
streamName = words
AwsCredentialsProvider = DefaultCredentialsProvider
PROPS

cmd=("$bin" print-command --lockfile "$lock" --cache-dir "$cache" --properties "$work/app/app.properties" --java "$java_home")
# One checked run first: the command must succeed and name all 86 jars, without warnings.
out=$("${cmd[@]}" 2>"$work/stderr")
if [ -s "$work/stderr" ]; then
    echo "bench: print-command wrote to stderr:" >&2
    cat "$work/stderr" >&2
    exit 1
fi
count=$(grep -o '\.jar' <<<"$out" | wc -l)
[ "$count" -eq "$jars" ] || { echo "bench: expected $jars jars in the command, got $count" >&2; exit 1; }

quoted=$(printf '%q ' "${cmd[@]}")
hyperfine --shell=none --warmup 30 --runs "$runs" --export-json "$work/result.json" "$quoted"
median=$(grep -o '"median": *[0-9.e-]*' "$work/result.json" | head -1 | sed 's/.*: *//')
awk -v m="$median" -v n="$jars" 'BEGIN { printf "median wall time of print-command with %d jars: %.2f ms\n", n, m * 1000 }'
