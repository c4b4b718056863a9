#!/usr/bin/env bash
# Benchmark of `kclrs bundle` (issue 19). Builds a bundle of the built-in lock with JDK 17, prints
# its size (runtime, lib, CDS archive) against Debian's openjdk-17-jre-headless (Installed-Size
# from dpkg or apt-cache), then starts the daemon RUNS times per variant against the local
# emulators (tests/e2e/emulators.sh: moto + nginx on loopback) and, at the moment the first record
# reaches the sample processor's output, reads the JVM's own CPU time (utime+stime of
# /proc/PID/stat, processors excluded) and peak RSS (VmHWM); prints the median of each.
# Variants, all with the same jars in the same order, the same properties and `env -i`:
#   jdk          the full JDK's java -cp … (its default CDS of JDK classes; what `kclrs run` starts)
#   jdk-noshare  the same with -Xshare:off (no archive at all)
#   bundle       DIR/bin/kcl-daemon (jlinked runtime + the bundle's CDS archive)
# Every start uses a new application name (a fresh lease table), so each does the same work.
# Env: KCLRS_BIN (default target/release/kclrs, built if absent), KCLRS_TEST_M2, BENCH_JAVA
# (default /usr/lib/jvm/java-17-openjdk-amd64), BENCH_DIR (default $TMPDIR/kclrs-bundle-bench,
# wiped first), RUNS (default 3), VARIANTS (default "jdk jdk-noshare bundle"; jdk comes first, the
# others are compared with it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${KCLRS_BIN:-$root/target/release/kclrs}
if [ ! -x "$bin" ]; then (cd "$root" && cargo build --release --locked); fi
m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
java_home=${BENCH_JAVA:-/usr/lib/jvm/java-17-openjdk-amd64}
runs=${RUNS:-3}
work=${BENCH_DIR:-${TMPDIR:-/tmp}/kclrs-bundle-bench}
rm -rf "$work"
mkdir -p "$work"
e2e=$root/tests/e2e
# lib.sh (it wants $here to be its folder): tool, fail, the cleanup trap (kills every launched
# process group, stops the emulators).
here=$e2e
. "$e2e/lib.sh"

# --- the bundle and its size ------------------------------------------------------------------
t0=$(date +%s.%N)
"$bin" bundle --dest "$work/kcl" --java "$java_home" --cache-dir "$work/cache" \
  --repository "file://$m2/" --no-mvn --no-local-repo
t1=$(date +%s.%N)
bytes() { du -sb "$1" | cut -f1; }
runtime=$(bytes "$work/kcl/runtime")
lib=$(bytes "$work/kcl/lib")
archive=$(bytes "$work/kcl/cds/kcl-daemon.jsa")
jre_kib=$(dpkg-query -W -f '${Installed-Size}' openjdk-17-jre-headless 2>/dev/null ||
  apt-cache show openjdk-17-jre-headless 2>/dev/null | sed -n 's/^Installed-Size: //p' | head -n1)
[ -n "$jre_kib" ] || fail "no Installed-Size for openjdk-17-jre-headless from dpkg or apt-cache"
python3 - "$runtime" "$lib" "$archive" "$jre_kib" "$t0" "$t1" <<'PY'
import sys
runtime, lib, archive, jre_kib = (int(x) for x in sys.argv[1:5])
jre = jre_kib * 1024
mib = lambda b: b / 1048576
print("bundle: built in %.1f s" % (float(sys.argv[6]) - float(sys.argv[5])))
print("bundle: runtime %.1f MiB, lib %.1f MiB, CDS archive %.1f MiB, total %.1f MiB"
      % (mib(runtime), mib(lib), mib(archive), mib(runtime + lib + archive)))
print("bundle: openjdk-17-jre-headless installed %.1f MiB (+ lib %.1f MiB = %.1f MiB)"
      % (mib(jre), mib(lib), mib(jre + lib)))
print("bundle: runtime = %.1f %% of the JRE package; runtime + archive = %.1f %%"
      % (100 * runtime / jre, 100 * (runtime + archive) / jre))
PY

# --- starts to the first record ---------------------------------------------------------------
start_emulators
stream=kclrs-bench-stream
tool create-stream --stream "$stream" --shards 2 >/dev/null
tool put-records --stream "$stream" --prefix bench --count 50 >"$work/put.jsonl"
mkdir -p "$work/path"
ln -sf "$(python3 -c 'import sys; print(sys.executable)')" "$work/path/python3"
cp=
while read -r jar; do cp=${cp:+$cp:}$work/kcl/lib/$jar; done < <(ls "$work/kcl/lib" | sort)
clk=$(getconf CLK_TCK)
results=$work/results.tsv
: >"$results"

# one VARIANT N: start, wait for the first record, measure, kill.
one() {
  local variant=$1 n=$2 app=kclrs-bench-$1-$2 dir=$work/$1-$2
  mkdir -p "$dir"
  sed -e "s#@EXECUTABLE@#python3 $root/samples/sample_record_processor.py#" -e "s#@STREAM@#$stream#" \
    -e "s#@APP@#$app#" -e "s#@KINESIS_PORT@#$H2_PORT#" -e "s#@DYNAMODB_PORT@#$MOTO_PORT#" \
    "$e2e/e2e.properties.template" >"$dir/app.properties"
  local envs=(env -i "PATH=$work/path" "HOME=$dir" "LANG=C.UTF-8" "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID"
    "AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY" "AWS_REGION=$AWS_REGION" "KCLRS_SAMPLE_OUTPUT=$dir/out.tsv")
  local main=software.amazon.kinesis.multilang.MultiLangDaemon
  case $variant in
    jdk) setsid "${envs[@]}" "$java_home/bin/java" -Daws.cborEnabled=false -cp "$cp:$dir" "$main" \
      --properties-file "$dir/app.properties" >"$dir/daemon.log" 2>&1 & ;;
    jdk-noshare) setsid "${envs[@]}" "$java_home/bin/java" -Xshare:off -Daws.cborEnabled=false -cp "$cp:$dir" \
      "$main" --properties-file "$dir/app.properties" >"$dir/daemon.log" 2>&1 & ;;
    bundle) setsid "${envs[@]}" "$work/kcl/bin/kcl-daemon" -p "$dir/app.properties" -Daws.cborEnabled=false \
      -Xshare:on >"$dir/daemon.log" 2>&1 & ;;
  esac
  local pid=$!
  pids+=("$pid")
  local i
  for ((i = 0; i < 1800; i++)); do
    [ -s "$dir/out.tsv" ] && break
    kill -0 "$pid" 2>/dev/null || fail "$variant $n: the daemon exited; see $dir/daemon.log"
    sleep 0.1
  done
  [ -s "$dir/out.tsv" ] || fail "$variant $n: no record within 180 s; see $dir/daemon.log"
  local stat ticks hwm
  stat=$(sed 's/.*) //' "/proc/$pid/stat")
  ticks=$(awk '{print $12 + $13}' <<<"$stat")
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  printf '%s\t%s\t%s\n' "$variant" "$(awk -v t="$ticks" -v c="$clk" 'BEGIN { printf "%.2f", t / c }')" "$hwm" >>"$results"
  echo "bench: $variant run $n: $(tail -n1 "$results" | cut -f2) s CPU, $(tail -n1 "$results" | cut -f3) KiB peak RSS" >&2
}
for ((r = 1; r <= runs; r++)); do
  for v in ${VARIANTS:-jdk jdk-noshare bundle}; do one "$v" "$r"; done
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
by = {}
for v, cpu, rss in rows:
    by.setdefault(v, []).append((float(cpu), int(rss)))
base = statistics.median(c for c, _ in by["jdk"])
print("bench: JVM CPU and peak RSS to the first record, median of %d" % len(by["jdk"]))
print("%-12s %10s %12s %14s" % ("variant", "CPU s", "peak RSS MiB", "CPU vs jdk"))
for v in [v for v in ("jdk", "jdk-noshare", "bundle") if v in by]:
    cpu = statistics.median(c for c, _ in by[v])
    rss = statistics.median(r for _, r in by[v]) / 1024
    print("%-12s %10.2f %12.1f %+13.0f%%" % (v, cpu, rss, 100 * (cpu - base) / base))
PY
