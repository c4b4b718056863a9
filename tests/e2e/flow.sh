#!/usr/bin/env bash
# The end-to-end flow of issue 5, with the launcher as a parameter:
#   flow.sh WORKDIR java              -> plain `java -cp <Maven's resolution> MultiLangDaemon`
#   flow.sh WORKDIR kclrs BIN [ARG…]  -> `BIN run --properties P ARG…` (the Rust test passes
#                                        --cache-dir and --java; kclrs execs the JVM)
# Emulators on loopback (emulators.sh), a 2-shard stream, 200 records, the daemon started, all
# records awaited, SIGTERM to the launcher's pid, then checks: exit code 143 after the shutdown
# hook's "Process shutdown is complete.", checkpoints in the lease table equal to the last record of
# each shard, no record processor left behind; then 50 more records and a second run of the same
# application, which must process them without replaying all of the first 200.
# The launcher pid must be the java process itself when signalled (exec, no wrapper).
# Prints "e2e: <step> <seconds>s" timings and exits non-zero at the first failed check.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mkdir -p "${1:?usage: flow.sh WORKDIR java|kclrs BIN [ARGS…]}" && cd "$1" && pwd)
mode=${2:?usage: flow.sh WORKDIR java|kclrs BIN [ARGS…]}
shift 2
java_home=${KCLRS_E2E_JAVA:-/usr/lib/jvm/java-17-openjdk-amd64}
wait_secs=${KCLRS_E2E_WAIT:-180}
first=${KCLRS_E2E_RECORDS:-200}
second=50
if [ -n "${KCLRS_E2E_PROCESSOR:-}" ]; then processor=$KCLRS_E2E_PROCESSOR
elif [ -f "$repo/samples/sample_record_processor.py" ]; then processor=$repo/samples/sample_record_processor.py
else processor=$here/processor.py; fi
tool() { python3 "$here/e2e_tool.py" --endpoint "http://127.0.0.1:$MOTO_PORT" "$@"; }
fail() { echo "e2e: FAILED: $*" >&2; exit 1; }
t_all=$(date +%s.%N)
t_step=$t_all
lap() {
  local now; now=$(date +%s.%N)
  awk -v a="$t_step" -v b="$now" -v s="$1" 'BEGIN { printf "e2e: %-34s %6.1fs\n", s, b - a }'
  t_step=$now
}

pids=()
cleanup() {
  local p
  # Each daemon runs in its own session and process group (setsid): killing the group also
  # takes down its record processors, and anything a wrapping launcher left behind.
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  "$here/emulators.sh" stop "$work" || true
}
trap cleanup EXIT

"$here/emulators.sh" start "$work"
. "$work/emulators.env"
lap "emulators started"

app=kclrs-e2e-$$
stream=kclrs-e2e-stream
tool create-stream --stream "$stream" --shards 2 >/dev/null
tool put-records --stream "$stream" --prefix first --count "$first" >"$work/put1.jsonl"
lap "stream + $first records"

# The daemon splits executableName on spaces and runs it with PATH: going through python3 does not
# depend on the processor file's exec bit.
sed -e "s#@EXECUTABLE@#python3 $processor#" -e "s#@STREAM@#$stream#" -e "s#@APP@#$app#" \
  -e "s#@KINESIS_PORT@#$H2_PORT#" -e "s#@DYNAMODB_PORT@#$MOTO_PORT#" \
  "$here/e2e.properties.template" >"$work/app.properties"

export AWS_ACCESS_KEY_ID=kclrs-e2e AWS_SECRET_ACCESS_KEY=kclrs-e2e AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN || true

# Starts the daemon in the background with its own output file and log; sets $launcher_pid.
launch() {
  local n=$1
  # Only the daemon (and so its processors) gets the output path: `env` execs, $! stays its pid.
  local out=KCLRS_SAMPLE_OUTPUT=$work/out$n.tsv
  # setsid and env both exec (a background child of this shell is no group leader), so $! is the
  # launcher's own pid and, in its new group, the group id.
  if [ "$mode" = kclrs ]; then
    setsid env "$out" "${kclrs[@]}" run --properties "$work/app.properties" -J -Daws.cborEnabled=false \
      "${kclrs_args[@]}" >"$work/daemon$n.log" 2>&1 &
  else
    setsid env "$out" "$java_home/bin/java" -Daws.cborEnabled=false -cp "$classpath:$work" \
      software.amazon.kinesis.multilang.MultiLangDaemon --properties-file "$work/app.properties" \
      >"$work/daemon$n.log" 2>&1 &
  fi
  launcher_pid=$!
  pids+=("$launcher_pid")
}
if [ "$mode" = kclrs ]; then
  kclrs=("${1:?flow.sh: kclrs mode needs the kclrs binary}")
  shift
  kclrs_args=("$@")
else
  classpath=$("$here/classpath.sh")
fi

# SIGTERM to the launcher's pid, bounded wait, then the shutdown-path checks.
stop_daemon() {
  local n=$1 rc=0 i exe
  # The launcher's pid must be the JVM itself (kclrs execs it), so the signal reaches its hook.
  exe=$(readlink "/proc/$launcher_pid/exe" || true)
  [ "${exe##*/}" = java ] || fail "run $n: pid $launcher_pid runs '$exe', not java: the launcher did not exec the JVM"
  kill -TERM "$launcher_pid"
  for ((i = 0; i < 600; i++)); do kill -0 "$launcher_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$launcher_pid" 2>/dev/null && fail "run $n: the JVM did not exit within 60 s of SIGTERM"
  wait "$launcher_pid" || rc=$?
  echo "e2e: run $n exit code $rc" >&2
  [ "$rc" = 143 ] || fail "run $n: exit code $rc, expected 143 (terminated by SIGTERM after the shutdown hook); see $work/daemon$n.log"
  grep -q "Process shutdown is complete." "$work/daemon$n.log" \
    || fail "run $n: no 'Process shutdown is complete.' in $work/daemon$n.log"
  # A processor inherits the run's unique output path in its environment: none may be left.
  tool orphans --env "KCLRS_SAMPLE_OUTPUT=$work/out$n.tsv" || fail "run $n: record processor(s) left behind"
}

launch 1
tool wait-output --put "$work/put1.jsonl" --output "$work/out1.tsv" --timeout "$wait_secs" --pid "$launcher_pid" \
  || fail "run 1: records missing; see $work/daemon1.log"
lap "run 1: all $first records processed"
stop_daemon 1
lap "run 1: SIGTERM to exit"
tool check-leases --table "$app" --put "$work/put1.jsonl" || fail "run 1: lease table"
lap "run 1: lease table checked"

tool put-records --stream "$stream" --prefix second --start "$first" --count "$second" >"$work/put2.jsonl"
launch 2
tool wait-output --put "$work/put2.jsonl" --output "$work/out2.tsv" --timeout "$wait_secs" --pid "$launcher_pid" \
  || fail "run 2: new records missing; see $work/daemon2.log"
lap "run 2: $second new records processed"
replay=$(tool count-output --put "$work/put1.jsonl" --output "$work/out2.tsv")
echo "e2e: run 2 replayed from run 1: $replay" >&2
distinct=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["distinct"])' "$replay")
[ "$distinct" -lt "$first" ] || fail "run 2 replayed all $first records of run 1: checkpoints were not used"
stop_daemon 2
lap "run 2: SIGTERM to exit"
tool check-leases --table "$app" --put "$work/put1.jsonl" --put "$work/put2.jsonl" || fail "run 2: lease table"
t_step=$t_all
lap "total"
echo "e2e: OK ($mode)"
