#!/usr/bin/env bash
# Issue 18, items 3 and 4, with the real daemon on the local emulators:
#   logs_cds.sh WORKDIR KCLRS_BIN CACHE_DIR JAVA_HOME
# (CACHE_DIR already holds the locked jars; every run is `kclrs run --offline`.)
# Four runs of the same classpath on one Java, each a new application reading a 2-shard stream
# from the start, each stopped with SIGTERM once every record was processed:
#   1 --log-format json: every stdout line is a JSON object with level, loggerName, message and
#     mdc (KCL 3.1.3 puts no key in the MDC: no class of it references org.slf4j.MDC, so shard
#     ids arrive in message arguments; both count); the JVM leaves a class-data archive at exit.
#   2 --log-format json --log-level WARN: still only JSON, no INFO/DEBUG/TRACE line; the archive
#     of run 1 is checked and used (KCL's classes loaded from "shared objects file"). On Java 25
#     the archive is the AOT cache, on 17 the dynamic archive.
#   3 the archive damaged in place (same size and mtime, so kclrs's stamp still matches): the
#     JVM's region checksums refuse it, the daemon starts and processes everything without it.
#   4 the archive replaced by garbage: kclrs's check refuses it, the run starts without it, and a
#     new archive exists after its exit.
# Prints "e2e: <step> <seconds>s" and exits non-zero at the first failed check.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
usage="usage: logs_cds.sh WORKDIR KCLRS_BIN CACHE_DIR JAVA_HOME"
work=$(mkdir -p "${1:?$usage}" && cd "$1" && pwd)
kclrs=${2:?$usage}
cache=${3:?$usage}
java_home=${4:?$usage}
records=20
if [ -f "$repo/samples/sample_record_processor.py" ]; then processor=$repo/samples/sample_record_processor.py
else processor=$here/processor.py; fi
. "$here/lib.sh"

start_emulators
lap "emulators started"
stream=kclrs-logs-cds
tool create-stream --stream "$stream" --shards 2 >/dev/null
tool put-records --stream "$stream" --prefix r --count "$records" >"$work/put.jsonl"

# run N [kclrs run flags…]: a new application on the stream, until every record was processed,
# then SIGTERM; stdout in outN.log, stderr in errN.log, the processed records in outN.tsv.
run() {
  local n=$1 rc=0 i; shift
  sed -e "s#@EXECUTABLE@#python3 $processor#" -e "s#@STREAM@#$stream#" -e "s#@APP@#kclrs-logs-cds-$$-$n#" \
    -e "s#@KINESIS_PORT@#$H2_PORT#" -e "s#@DYNAMODB_PORT@#$MOTO_PORT#" \
    "$here/e2e.properties.template" >"$work/app$n.properties"
  setsid env "KCLRS_SAMPLE_OUTPUT=$work/out$n.tsv" "$kclrs" run --properties "$work/app$n.properties" \
    --cache-dir "$cache" --offline --java "$java_home" -J-Daws.cborEnabled=false \
    -J-Xlog:class+load=info:file="$work/classes$n.txt" "$@" >"$work/out$n.log" 2>"$work/err$n.log" &
  local pid=$!
  pids+=("$pid")
  tool wait-output --put "$work/put.jsonl" --output "$work/out$n.tsv" --timeout 180 --pid "$pid" \
    || fail "run $n: records missing; see $work/out$n.log and $work/err$n.log"
  kill -TERM "$pid"
  for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  wait "$pid" || rc=$?
  [ "$rc" = 143 ] || fail "run $n: exit code $rc, expected 143; see $work/err$n.log"
  lap "run $n: $records records, SIGTERM"
}

# shared N: how many of KCL's own classes run N loaded from an archive (the JDK's base archive
# holds none of them; a dynamic archive says "shared objects file (top)", the AOT cache without).
shared() { grep -c 'software\.amazon\.kinesis\..* source: shared objects file' "$work/classes$1.txt" || true; }

# every_line_json N FORBIDDEN_LEVELS: each stdout line of run N is a JSON log event; prints how
# many carry a shard id.
every_line_json() {
  python3 - "$work/out$1.log" "$2" <<'EOF'
import json, sys
path, forbidden = sys.argv[1], set(filter(None, sys.argv[2].split(",")))
lines = open(path, encoding="utf-8").read().splitlines()
shard = 0
for no, line in enumerate(lines, 1):
    try:
        event = json.loads(line)
    except ValueError as e:
        sys.exit(f"{path}:{no}: not JSON ({e}): {line[:200]}")
    for key in ("level", "loggerName", "message", "mdc"):
        if not isinstance(event, dict) or key not in event:
            sys.exit(f"{path}:{no}: no {key}: {line[:200]}")
    if event["level"] in forbidden:
        sys.exit(f"{path}:{no}: a {event['level']} line: {line[:200]}")
    where = [str((event["mdc"] or {}).get("ShardId", "")), event["message"]]
    where += [str(a) for a in event.get("arguments") or []]
    if any("shardId-" in w for w in where):
        shard += 1
print(shard)
EOF
}

run 1 --log-format json
with_shard=$(every_line_json 1 "") || fail "run 1: $with_shard"
echo "e2e: run 1: $(wc -l <"$work/out1.log") JSON lines, $with_shard naming a shard" >&2
[ "$with_shard" -gt 0 ] || fail "run 1: no log line carries the shard id"

run 2 --log-format json --log-level WARN
every_line_json 2 "INFO,DEBUG,TRACE" >/dev/null || fail "run 2: $(every_line_json 2 INFO,DEBUG,TRACE)"
archive=
for f in "$cache"/cds/*.jsa "$cache"/cds/*.aot; do [ -f "$f" ] && archive=$f && break; done
[ -n "$archive" ] && [ -f "$archive.checked" ] || fail "run 2: no checked archive in $cache/cds: $(ls "$cache/cds" 2>&1)"
echo "e2e: run 2: $(wc -l <"$work/out2.log") JSON lines (WARN+); $(shared 2) classes from $archive" >&2
[ "$(shared 2)" -gt 300 ] || fail "run 2: the archive was not used"

# Damage in place, keeping size and mtime: only the JVM's checksums can tell.
cp -p "$archive" "$work/archive.orig"
chmod u+w "$archive"
dd if=/dev/zero of="$archive" bs=4096 seek=$(( $(stat -c %s "$archive") / 8192 )) count=4 conv=notrunc status=none
touch -r "$work/archive.orig" "$archive"
run 3
echo "e2e: run 3 (damaged archive, same size and mtime): $(shared 3) classes from it" >&2
[ "$(shared 3)" = 0 ] || fail "run 3: classes came from a damaged archive"

head -c 1000000 /dev/urandom >"$work/garbage"
cp "$work/garbage" "$archive"
run 4
echo "e2e: run 4 (garbage archive): now in the cache: $(ls "$cache/cds" | tr '\n' ' ')" >&2
# (No class count here: on Java 25 the AOT cache's assembly child inherits -Xlog:class+load and
# rewrites that file.) The garbage must be gone, replaced by a dump of this run.
if [ -f "$archive" ] && cmp -s "$archive" "$work/garbage"; then fail "run 4: the garbage archive is still in place"; fi
new=$(ls "$cache"/cds/ | grep -E '\.(jsa|aot|partial)$' | head -n1 || true)
[ -n "$new" ] || fail "run 4: no new archive after exit"
[ "$(stat -c %s "$cache/cds/$new")" -gt 1000000 ] || fail "run 4: $new is not a new archive"
t_step=$t_all
lap "total"
echo "e2e: OK (logs and class-data sharing on $java_home)"
