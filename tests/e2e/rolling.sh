#!/usr/bin/env bash
# Rolling restarts (issue 18): three `kclrs run` workers of one application on a 6-shard stream
# while a producer puts records the whole time; worker-a runs the official amazon_kclpy sample
# (unmodified), worker-b and worker-c kclrs's sample processor.
#   rolling.sh WORKDIR KCLPY_DIR BIN [ARG…]   -> each worker is `BIN run --properties P ARG…`
#                                               (KCLPY_DIR: tests/e2e/install.sh's kclpy-<V>)
# After the leases split 2/2/2, each worker in turn is restarted as a deployment restarts it in
# place: SIGTERM, wait for the exit (143, the shutdown-path checks of lib.sh's stop_checked), start
# it again with the same workerId. Then one (worker-c) is killed with SIGKILL (launcher, JVM and
# processors at once, as a crashed host) and started again. For each restart: the seconds from
# the signal until every lease has a live owner (tool takeover, from a 4-per-second record of the
# lease table and the restarted process's log), records lost, duplicates and
# their bound (what the stopped process had processed after its last checkpoint); asserted: 0
# lost, duplicates within the bound, takeover within $KCLRS_E2E_TAKEOVER_MAX seconds (default 60)
# -- the 15 s goal is printed against the table, not asserted, as this machine's CPU is shared.
# At the end worker-a stops (its sample logs records only when its processors exit), every record
# put must show up in some output, the other two stop at once, every lease must be checkpointed
# at the last record put into its shard, and no processor may be left. Properties: the e2e template, then the
# deploy set kclrs recommends (docs/operations.md), or $KCLRS_E2E_DEPLOY_PROPS (a file of
# overrides; /dev/null measures the template alone). Prints phase timings and "e2e: OK (rolling)".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mkdir -p "${1:?usage: rolling.sh WORKDIR KCLPY_DIR BIN [ARGS…]}" && cd "$1" && pwd)
kclpy=${2:?usage: rolling.sh WORKDIR KCLPY_DIR BIN [ARGS…]}
kclrs=${3:?usage: rolling.sh WORKDIR KCLPY_DIR BIN [ARGS…]}
shift 3
kclrs_args=("$@")
wait_secs=${KCLRS_E2E_WAIT:-180}
takeover_max=${KCLRS_E2E_TAKEOVER_MAX:-60}
shards=6
# The folder of the properties files, which kclrs puts on the classpath: the class-data sharing
# archive's key holds it. KCLRS_E2E_CONF_DIR=the folder of an earlier flow on the same Java and
# cache reuses that flow's archive, so the restarts are timed as a deployment's steady state and
# not with every first stop also writing the archive (measured apart: docs/operations.md).
conf=$(mkdir -p "${KCLRS_E2E_CONF_DIR:-$work}" && cd "${KCLRS_E2E_CONF_DIR:-$work}" && pwd)
. "$here/lib.sh"

# The deploy set (docs/operations.md explains each value from the KCL sources).
deploy=$work/deploy.properties
if [ -n "${KCLRS_E2E_DEPLOY_PROPS:-}" ]; then cp "$KCLRS_E2E_DEPLOY_PROPS" "$deploy"; else
  cat >"$deploy" <<'PROPS'
failoverTimeMillis = 5000
leaseAssignmentIntervalMillis = 1000
workerMetricsReporterFreqInMillis = 5000
shutdownGraceMillis = 15000
PROPS
fi

start_emulators
lap "emulators started"

app=kclrs-e2e-rolling-$$
stream=kclrs-e2e-rolling
tool create-stream --stream "$stream" --shards "$shards" >/dev/null
: >"$work/put.jsonl"
tool produce --stream "$stream" --prefix r --batch 10 --interval 0.5 --out "$work/put.jsonl" \
  --stop "$work/stop-producer" 2>"$work/producer.log" &
producer=$!
helpers+=("$producer")
lap "stream ($shards shards), producer on"

workers=(worker-a worker-b worker-c)
declare -A wpid run processor
for w in "${workers[@]}"; do
  case $w in
    worker-a) exe="python3 $kclpy/samples/sample_kclpy_app.py"; processor[$w]=amazon_kclpy ;;
    *) exe="python3 $repo/samples/sample_record_processor.py"; processor[$w]=kclrs-sample ;;
  esac
  sed -e "s#@EXECUTABLE@#$exe#" -e "s#@STREAM@#$stream#" -e "s#@APP@#$app#" \
    -e "s#@KINESIS_PORT@#$H2_PORT#" -e "s#@DYNAMODB_PORT@#$MOTO_PORT#" \
    "$here/e2e.properties.template" >"$work/$w.base"
  # A fixed worker id per slot: the restarted process finds the leases that still carry it.
  echo "workerId = $w" >"$work/$w.over"
  cat "$deploy" >>"$work/$w.over"
  tool adapt-properties --base "$work/$w.base" --overrides "$work/$w.over" >"$conf/$w.properties"
  run[$w]=0
done

outputs=()
# start W: the next incarnation of worker W, in its own session; its output and log are
# $work/W.N.tsv and $work/W.N.log.
start() {
  local w=$1 n
  n=$((run[$w] + 1)); run[$w]=$n
  setsid env "KCLRS_SAMPLE_OUTPUT=$work/$w.$n.tsv" "PYTHONPATH=$kclpy/lib" "$kclrs" run \
    --properties "$conf/$w.properties" -J -Daws.cborEnabled=false "${kclrs_args[@]}" \
    >"$work/$w.$n.log" 2>&1 &
  wpid[$w]=$!
  pids+=("${wpid[$w]}")
  outputs+=("$work/$w.$n.tsv")
}
# collect W [N]: after incarnation N (default: the latest) of the amazon_kclpy worker is gone, its records (logged on stderr, which
# the daemon writes to its log when the processor exits) become its output file.
collect() {
  local w=$1 n=${2:-${run[$1]}}
  [ "${processor[$w]}" = amazon_kclpy ] || return 0
  tool kclpy-log --log "$work/$w.$n.log" >"$work/$w.$n.tsv" 2>/dev/null
}
live_pids() { local w; for w in "${workers[@]}"; do echo "--pid ${wpid[$w]}"; done; }

for w in "${workers[@]}"; do start "$w"; done
tool wait-owners --table "$app" --shards "$shards" --workers worker-a,worker-b,worker-c \
  --timeout "$wait_secs" $(live_pids) >/dev/null 2>>"$work/owners.log" \
  || fail "the leases did not split 2/2/2; see $work/owners.log and $work/worker-*.1.log"
lap "3 workers started, leases split 2/2/2"
# Every takeover is timed from this record of the lease table (4 scans a second).
tool watch-leases --table "$app" --out "$work/leases.jsonl" --stop "$work/stop-watch" 2>"$work/watch.log" &
watcher=$!
helpers+=("$watcher")

restarts=()
# restart W SIGNAL: stops W (SIGTERM through the checked shutdown path, or SIGKILL of every
# process), starts it again at once, measures the takeover and records the restart for the report.
restart() {
  local w=$1 sig=$2 t0 leader from to exit_s hook_s t_exit out
  # From a steady state: the worker owns leases (so the restart costs something) and no handoff
  # of the leader's balancing is under way.
  tool wait-owns --table "$app" --worker "$w" --min 1 --timeout 90 >/dev/null \
    || fail "$w owns no lease to restart with"
  leader=$(tool leader --table "$app-CoordinatorState" --timeout 10 || echo '?')
  [ "$leader" = "$w" ] && leader=yes || leader=no
  out="$work/$w.${run[$w]}.tsv"
  from=$(wc -l <"$work/put.jsonl")
  t0=$(date +%s.%N)
  if [ "$sig" = TERM ]; then
    stop_checked "$w.${run[$w]}" "${wpid[$w]}" "$work/$w.${run[$w]}.log" "$out" term
    exit_s=$stop_secs hook_s=$hook_secs
  else
    kill_worker "${wpid[$w]}"
    wait "${wpid[$w]}" 2>/dev/null || true
    exit_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') hook_s=null
    # With the JVM gone, its processors see their stdin close (or were in the killed group).
    tool orphans --env "KCLRS_SAMPLE_OUTPUT=$out" || fail "$w: processors left after SIGKILL"
  fi
  t_exit=$(date +%s.%N)
  local stopped=${run[$w]}
  start "$w"
  collect "$w" "$stopped"
  local took others
  others=$(printf '%s\n' "${workers[@]}" | grep -v -x "$w" | paste -sd, -)
  took=$(tool takeover --watch "$work/leases.jsonl" --shards "$shards" --others "$others" --victim "$w" \
    --log "$work/$w.${run[$w]}.log" --t0 "$t0" --timeout "$wait_secs" 2>>"$work/owners.log") \
    || fail "after the SIG$sig of $w not every lease got a live owner; see $work/owners.log, $work/$w.*.log"
  took=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$took")
  to=$(wc -l <"$work/put.jsonl")
  restarts+=(--restart "{\"worker\": \"$w\", \"processor\": \"${processor[$w]}\", \"signal\": \"SIG$sig\", \"leader\": \"$leader\", \"exit\": $exit_s, \"hook\": $hook_s, \"takeover\": $took, \"output\": \"$out\", \"t_exit\": $t_exit, \"from\": $from, \"to\": $to}")
  echo "e2e: SIG$sig to $w (leader: $leader): exited after ${exit_s}s, every lease live again after ${took}s" >&2
  awk -v t="$took" -v m="$takeover_max" 'BEGIN { exit !(t <= m) }' \
    || fail "takeover after the SIG$sig of $w took ${took}s, more than $takeover_max s"
  lap "SIG$sig $w, restarted, leases live"
}

restart worker-a TERM
restart worker-b TERM
restart worker-c TERM
restart worker-c KILL
touch "$work/stop-watch"
wait "$watcher" || true

sleep 3
touch "$work/stop-producer"
wait "$producer" || fail "the producer failed; see $work/producer.log"
records=$(wc -l <"$work/put.jsonl")
lap "producer stopped ($records records put)"
# amazon_kclpy's sample logs its records only when its processors exit: stop worker-a first, let
# the other two take its shards over, and wait until every record put is in some output.
stop_checked "worker-a.${run[worker-a]} (final)" "${wpid[worker-a]}" "$work/worker-a.${run[worker-a]}.log" \
  "$work/worker-a.${run[worker-a]}.tsv" term
collect worker-a
tool wait-output --put "$work/put.jsonl" "${outputs[@]/#/--output=}" --match seq --timeout "$wait_secs" \
  --pid "${wpid[worker-b]}" >/dev/null || fail "records missing from the outputs"
lap "every record processed"
sent_at=$(date +%s.%N)
declare -A log_at
for w in worker-b worker-c; do
  log_at[$w]=$(stat -c %s "$work/$w.${run[$w]}.log")
  kill -TERM "${wpid[$w]}"
done
for w in worker-b worker-c; do
  sent_offset=${log_at[$w]}
  stop_checked "$w.${run[$w]} (final)" "${wpid[$w]}" "$work/$w.${run[$w]}.log" "$work/$w.${run[$w]}.tsv" sent
done
lap "final SIGTERM to all three"
tool check-leases --table "$app" --put "$work/put.jsonl" --min-shards "$shards" >/dev/null \
  || fail "a lease is not checkpointed at the last record of its shard"
echo "e2e: rolling restarts (takeover = signal until every lease has a live owner; goal 15 s):" >&2
tool rolling-report --put "$work/put.jsonl" --watch "$work/leases.jsonl" "${outputs[@]/#/--output=}" "${restarts[@]}" >&2 \
  || fail "records lost or too many duplicates"
lap "lease table and records checked"
t_step=$t_all
lap "total"
echo "e2e: OK (rolling)"
