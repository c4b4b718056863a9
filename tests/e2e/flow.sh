#!/usr/bin/env bash
# The end-to-end flow of issue 5, with the launcher as a parameter:
#   flow.sh WORKDIR java              -> plain `java -cp <Maven's resolution> MultiLangDaemon`
#   flow.sh WORKDIR kclrs BIN [ARG…]  -> `BIN run --properties P ARG…` (the Rust test passes
#                                        --cache-dir and --java; kclrs execs the JVM)
#   flow.sh WORKDIR bundle DIR [ARG…] -> `DIR/bin/kcl-daemon -p P ARG…` of a `kclrs bundle` folder,
#                                        under `env -i` with no Java on PATH (only python3)
# Emulators on loopback (emulators.sh), a 2-shard stream, 200 records, the daemon started, all
# records awaited, SIGTERM to the launcher's pid, then checks: exit code 143 after the shutdown
# hook's "Process shutdown is complete.", both processors asked to checkpoint, no traceback,
# checkpoints in the lease table equal to the last record of each shard, no record processor left
# behind; then 50 more records and a second run of the same application, which must process them
# without replaying all of the first 200, stopped as a terminal's Ctrl-C does (SIGINT to the whole
# process group; exit code 130, the same checks). The JVM is the launcher's pid (plain java) or its
# child in a process group of its own (`kclrs run`): see lib.sh's stop_checked.
# Prints "e2e: <step> <seconds>s" timings and exits non-zero at the first failed check.
# The record processor is a parameter too (environment):
#   KCLRS_E2E_EXECUTABLE  executableName (default: python3 <kclrs's sample processor>)
#   KCLRS_E2E_OUTPUT      where processed records are seen: `tsv` (default; the processor appends
#                         shard/seq/subseq/key/data lines to $KCLRS_SAMPLE_OUTPUT) or `kclpy-log`
#                         (the official amazon_kclpy sample, which only logs each record's key,
#                         sequence number and size on stderr: read from the daemon's log, which
#                         gets that stderr when the processor exits; while it runs, the lease
#                         table's checkpoints show progress)
#   KCLRS_E2E_BASE_PROPERTIES  a properties file to adapt instead of starting from the template
#                         (the sample's own; the template's keys replace or extend it)
#   KCLRS_E2E_DAEMON_ENV  VAR=VALUE words added to the daemon's (so its processors') environment
#   KCLRS_E2E_LABEL       the name printed in the final "e2e: OK (<label>)"
#   KCLRS_E2E_EXPECT_JAVA the java binary the daemon must be running (checked by /proc/PID/exe)
#   KCLRS_E2E_ONE_RUN=1   stop after run 1 and its lease-table check (no resume run)
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
executable=${KCLRS_E2E_EXECUTABLE:-python3 $processor}
output_kind=${KCLRS_E2E_OUTPUT:-tsv}
label=${KCLRS_E2E_LABEL:-$mode}
read -r -a daemon_env <<<"${KCLRS_E2E_DAEMON_ENV:-}"
. "$here/lib.sh"

start_emulators
lap "emulators started"

app=kclrs-e2e-$$
stream=kclrs-e2e-stream
tool create-stream --stream "$stream" --shards 2 >/dev/null
tool put-records --stream "$stream" --prefix first --count "$first" >"$work/put1.jsonl"
lap "stream + $first records"

# The daemon splits executableName on spaces and runs it with PATH: going through python3 does not
# depend on the processor file's exec bit.
sed -e "s#@EXECUTABLE@#$executable#" -e "s#@STREAM@#$stream#" -e "s#@APP@#$app#" \
  -e "s#@KINESIS_PORT@#$H2_PORT#" -e "s#@DYNAMODB_PORT@#$MOTO_PORT#" \
  "$here/e2e.properties.template" >"$work/test.properties"
if [ "$output_kind" = kclpy-log ]; then
  # amazon_kclpy's sample checkpoints on its first batch, then at most every 30 s and only when
  # it is called: one batch per shard takes every record put before the start, and it is called
  # when idle too, so its checkpoint reaches the last record.
  sed -i -e 's/^maxRecords = .*/maxRecords = 1000/' "$work/test.properties"
  echo "callProcessRecordsEvenForEmptyRecordList = true" >>"$work/test.properties"
fi
if [ -n "${KCLRS_E2E_BASE_PROPERTIES:-}" ]; then
  # The sample's own file with the test's stream, application, endpoints and timings; its
  # streamArn (a placeholder account) would win over streamName, so it goes.
  tool adapt-properties --base "$KCLRS_E2E_BASE_PROPERTIES" --overrides "$work/test.properties" \
    --drop streamArn >"$work/app.properties"
else
  cp "$work/test.properties" "$work/app.properties"
fi

# Starts the daemon in the background with its own output file and log; sets $launcher_pid.
launch() {
  local n=$1
  # Only the daemon (and so its processors) gets the output path: `env` execs, $! stays its pid.
  local out=KCLRS_SAMPLE_OUTPUT=$work/out$n.tsv
  # setsid and env both exec (a background child of this shell is no group leader), so $! is the
  # launcher's own pid and, in its new group, the group id.
  if [ "$mode" = bundle ]; then
    setsid env -i "PATH=$work/path" "HOME=$work" "LANG=C.UTF-8" "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID" \
      "AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY" "AWS_REGION=$AWS_REGION" "$out" "${daemon_env[@]}" \
      "$bundle/bin/kcl-daemon" -p "$work/app.properties" -Daws.cborEnabled=false "${kclrs_args[@]}" \
      >"$work/daemon$n.log" 2>&1 &
  elif [ "$mode" = kclrs ]; then
    setsid env "$out" "${daemon_env[@]}" "${kclrs[@]}" run --properties "$work/app.properties" -J -Daws.cborEnabled=false \
      "${kclrs_args[@]}" >"$work/daemon$n.log" 2>&1 &
  else
    setsid env "$out" "${daemon_env[@]}" "$java_home/bin/java" -Daws.cborEnabled=false -cp "$classpath:$work" \
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
elif [ "$mode" = bundle ]; then
  bundle=$(cd "${1:?flow.sh: bundle mode needs the bundle folder}" && pwd)
  shift
  kclrs_args=("$@")
  # The daemon's PATH: the record processor's interpreter and nothing else, so no java.
  mkdir -p "$work/path"
  ln -sf "$(python3 -c 'import sys; print(sys.executable)')" "$work/path/python3"
  if env -i "PATH=$work/path" /bin/sh -c 'command -v java' >/dev/null; then fail "java is on the daemon's PATH $work/path"; fi
else
  classpath=$("$here/classpath.sh")
fi

# Stops run $1 with $2 (lib.sh's stop_checked: `term` or `int-group`) and checks the shutdown path,
# both shards' processors asked to checkpoint included. Plain java gets SIGTERM only: a group's
# SIGINT would reach its record processors too, the bug `kclrs run` avoids.
stop_daemon() {
  local how=$2
  [ "$mode" = kclrs ] || how=term
  stop_checked "run $1" "$launcher_pid" "$work/daemon$1.log" "$work/out$1.tsv" "$how" 2
}

# Waits until run $1 has processed every record of the put files named after it; with kclpy-log
# the checkpoints (at the last record of every put file so far) stand for it until the daemon's
# log can be read (after_stop).
wait_processed() {
  local n=$1; shift
  local puts=() p
  for p in "$@"; do puts+=(--put "$p"); done
  if [ "$output_kind" = kclpy-log ]; then
    local all=() f
    for f in "$work"/put*.jsonl; do all+=(--put "$f"); done
    tool wait-checkpoints --table "$app" "${all[@]}" --timeout "$wait_secs" --pid "$launcher_pid"
  else
    tool wait-output "${puts[@]}" --output "$work/out$n.tsv" --timeout "$wait_secs" --pid "$launcher_pid"
  fi
}
# With kclpy-log, the records each processor logged reach the daemon's log when it exits: turn
# them into the output file, then check that every record of the put files is in it.
after_stop() {
  local n=$1; shift
  [ "$output_kind" = kclpy-log ] || return 0
  local puts=() p
  for p in "$@"; do puts+=(--put "$p"); done
  tool kclpy-log --log "$work/daemon$n.log" >"$work/out$n.tsv"
  tool wait-output "${puts[@]}" --output "$work/out$n.tsv" --timeout 0 --match key \
    || fail "run $n: records missing from the sample's log lines in $work/daemon$n.log"
}

launch 1
wait_processed 1 "$work/put1.jsonl" || fail "run 1: records missing; see $work/daemon1.log"
lap "run 1: all $first records processed"
stop_daemon 1 term
lap "run 1: SIGTERM to exit"
after_stop 1 "$work/put1.jsonl"
tool check-leases --table "$app" --put "$work/put1.jsonl" || fail "run 1: lease table"
lap "run 1: lease table checked"
if [ "${KCLRS_E2E_ONE_RUN:-}" = 1 ]; then
  t_step=$t_all
  lap "total"
  echo "e2e: OK ($label)"
  exit 0
fi

tool put-records --stream "$stream" --prefix second --start "$first" --count "$second" >"$work/put2.jsonl"
launch 2
wait_processed 2 "$work/put2.jsonl" || fail "run 2: new records missing; see $work/daemon2.log"
lap "run 2: $second new records processed"
stop_daemon 2 int-group
lap "run 2: SIGINT to the process group (Ctrl-C) to exit"
after_stop 2 "$work/put2.jsonl"
match=data
[ "$output_kind" = kclpy-log ] && match=key
replay=$(tool count-output --put "$work/put1.jsonl" --output "$work/out2.tsv" --match "$match")
echo "e2e: run 2 replayed from run 1: $replay" >&2
distinct=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["distinct"])' "$replay")
[ "$distinct" -lt "$first" ] || fail "run 2 replayed all $first records of run 1: checkpoints were not used"
tool check-leases --table "$app" --put "$work/put1.jsonl" --put "$work/put2.jsonl" || fail "run 2: lease table"
t_step=$t_all
lap "total"
echo "e2e: OK ($label)"
