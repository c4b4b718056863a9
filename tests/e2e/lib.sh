# Shared by the e2e flows (flow.sh, workers.sh); sourced, not run. Expects $here (this folder)
# and $work (the flow's work directory) to be set. Provides: tool (e2e_tool.py against the
# emulators), fail, lap (step timings), launch tracking with a cleanup trap that kills every
# launched process group and stops the emulators, start_emulators, and stop_checked (SIGTERM
# and the shutdown-path checks).

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

start_emulators() {
  "$here/emulators.sh" start "$work"
  . "$work/emulators.env"
  export AWS_ACCESS_KEY_ID=kclrs-e2e AWS_SECRET_ACCESS_KEY=kclrs-e2e AWS_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN || true
}

# stop_checked NAME PID LOG OUTPUT: SIGTERM to PID (a child of this shell), bounded wait, then
# the checks: PID ran java itself (the launcher exec'd the JVM, so the signal reaches its shutdown
# hook) -- the one of $KCLRS_E2E_EXPECT_JAVA when set --, exit code 143 after the hook's "Process
# shutdown is complete." in LOG, and no record processor left whose environment holds
# KCLRS_SAMPLE_OUTPUT=OUTPUT (each run's processors inherit that unique path).
stop_checked() {
  local name=$1 pid=$2 log=$3 output=$4 rc=0 i exe
  exe=$(readlink "/proc/$pid/exe" || true)
  [ "${exe##*/}" = java ] || fail "$name: pid $pid runs '$exe', not java: the launcher did not exec the JVM"
  if [ -n "${KCLRS_E2E_EXPECT_JAVA:-}" ] && [ "$exe" != "$(readlink -f "$KCLRS_E2E_EXPECT_JAVA")" ]; then
    fail "$name: the daemon runs $exe, expected $KCLRS_E2E_EXPECT_JAVA"
  fi
  echo "e2e: $name: the daemon runs $exe ($("$exe" -version 2>&1 | head -n1))" >&2
  kill -TERM "$pid"
  for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "$name: the JVM did not exit within 60 s of SIGTERM"
  wait "$pid" || rc=$?
  echo "e2e: $name: exit code $rc" >&2
  [ "$rc" = 143 ] || fail "$name: exit code $rc, expected 143 (terminated by SIGTERM after the shutdown hook); see $log"
  grep -q "Process shutdown is complete." "$log" || fail "$name: no 'Process shutdown is complete.' in $log"
  tool orphans --env "KCLRS_SAMPLE_OUTPUT=$output" || fail "$name: record processor(s) left behind"
}
