# Shared by the e2e flows (flow.sh, workers.sh); sourced, not run. Expects $here (this folder)
# and $work (the flow's work directory) to be set. Provides: tool (e2e_tool.py against the
# emulators), fail, lap (step timings), launch tracking with a cleanup trap that kills every
# launched process group (and the JVM's own group under `kclrs run`) and stops the emulators,
# start_emulators, jvm_of, kill_worker (SIGKILL as a crashed host), and stop_checked (a stop
# signal and the shutdown-path checks).

tool() { python3 "$here/e2e_tool.py" --endpoint "http://127.0.0.1:$MOTO_PORT" "$@"; }
fail() { echo "e2e: FAILED: $*" >&2; exit 1; }
t_all=$(date +%s.%N)
t_step=$t_all
lap() {
  local now; now=$(date +%s.%N)
  awk -v a="$t_step" -v b="$now" -v s="$1" 'BEGIN { printf "e2e: %-34s %6.1fs\n", s, b - a }'
  t_step=$now
}

# jvm_of PID: the pid of the JVM that PID runs: PID itself when it is java (plain java, or a
# launcher that exec'd it), else its child running java (`kclrs run` stays the JVM's parent).
# Under a wrapper (npm's bin/kclrs.js: node, then kclrs, then java) the grandchild.
jvm_of() {
  local pid=$1 depth=${2:-0} c
  [ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)")" = java ] && { echo "$pid"; return 0; }
  [ "$depth" -lt 2 ] || return 1
  for c in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
    jvm_of "$c" $((depth + 1)) && return 0
  done
  return 1
}

# kill_worker PID: SIGKILL to the launcher's group and the JVM's group (the JVM and its record
# processors), as a crashed host or a container runtime's kill takes every process at once.
kill_worker() {
  local pid=$1 jvm
  jvm=$(jvm_of "$pid" || true)
  kill -KILL -- "-$pid" 2>/dev/null || true
  if [ -n "$jvm" ]; then kill -KILL -- "-$jvm" 2>/dev/null || kill -KILL "$jvm" 2>/dev/null || true; fi
}

pids=()
helpers=()
cleanup() {
  local p
  # Each daemon runs in its own session and process group (setsid); under `kclrs run` the JVM
  # (with its record processors) leads a group of its own: kill_worker takes both. helpers:
  # background tools (a producer, a lease watcher) a failed flow leaves running.
  for p in "${pids[@]}"; do kill_worker "$p"; done
  for p in "${helpers[@]}"; do pkill -KILL -P "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
  "$here/emulators.sh" stop "$work" || true
}
trap cleanup EXIT

start_emulators() {
  "$here/emulators.sh" start "$work"
  . "$work/emulators.env"
  export AWS_ACCESS_KEY_ID=kclrs-e2e AWS_SECRET_ACCESS_KEY=kclrs-e2e AWS_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN || true
}

# stop_checked NAME PID LOG OUTPUT [HOW [SHARDS]]: stops the daemon started as PID (a child of this
# shell, leader of its own process group) and checks the shutdown path. HOW is `term` (SIGTERM to
# PID, as a container stop; exit code 143, the default) or `int-group` (SIGINT to the whole process
# group, as a terminal's Ctrl-C; exit code 130) or `sent` (SIGTERM already sent by the caller at
# $sent_at, to stop several at once; 143). Checks: the JVM is PID itself or, under `kclrs
# run`, PID's child leading its own process group (so the group's SIGINT reaches kclrs only) --
# the java of $KCLRS_E2E_EXPECT_JAVA when set --; the exit within $KCLRS_E2E_STOP_BOUND seconds
# (default 40: the template's shutdownGraceMillis 30 s + 10 s); the hook's "Process shutdown is
# complete." and no shutdown error, failed shutdown notification or Python traceback in LOG; at
# least SHARDS (when given) record processors asked to checkpoint on shutdownRequested; no record
# processor left whose environment holds KCLRS_SAMPLE_OUTPUT=OUTPUT (each run's processors inherit
# that unique path). The log checks read LOG from where it ended at the signal ($sent_offset for
# `sent`): what came before is the run, not its stop (a traceback there, e.g. amazon_kclpy's sample
# failing a checkpoint during the leader's lease handoff, is reported as a note). Sets stop_secs
# (signal to exit) and hook_secs (signal to the hook's end). With KCLRS_E2E_WRAPPER=NAME (npm's
# bin/kclrs.js: NAME=node) PID must run NAME; the JVM is then its grandchild (node, kclrs, java).
stop_checked() {
  local name=$1 pid=$2 log=$3 output=$4 how=${5:-term} shards=${6:-} rc=0 i exe jvm want t0 asked
  if [ -n "${KCLRS_E2E_WRAPPER:-}" ]; then
    exe=$(readlink "/proc/$pid/exe" || true)
    [ "${exe##*/}" = "$KCLRS_E2E_WRAPPER" ] || fail "$name: pid $pid runs '$exe', not the wrapper $KCLRS_E2E_WRAPPER"
    echo "e2e: $name: launcher pid $pid runs the wrapper $exe" >&2
  fi
  if ! jvm=$(jvm_of "$pid"); then
    # Signalled by the caller together with others: this one may be gone already.
    [ "$how" = sent ] || fail "$name: no JVM found for pid $pid ($(readlink "/proc/$pid/exe" || true))"
    jvm=
  fi
  if [ -z "$jvm" ]; then :
  elif exe=$(readlink "/proc/$jvm/exe") && [ "$jvm" != "$pid" ]; then
    [ "$(awk '{ print $5 }' "/proc/$jvm/stat")" = "$jvm" ] \
      || fail "$name: the JVM (pid $jvm) does not lead its own process group: Ctrl-C would reach its record processors"
  fi
  if [ -n "$jvm" ]; then
    if [ -n "${KCLRS_E2E_EXPECT_JAVA:-}" ] && [ "$exe" != "$(readlink -f "$KCLRS_E2E_EXPECT_JAVA")" ]; then
      fail "$name: the daemon runs $exe, expected $KCLRS_E2E_EXPECT_JAVA"
    fi
    echo "e2e: $name: the daemon runs $exe, pid $jvm under $pid" >&2
  fi
  t0=$(date +%s.%N)
  local offset
  offset=$(stat -c %s "$log")
  case "$how" in
    term) want=143; kill -TERM "$pid" ;;
    int-group) want=130; kill -INT -- "-$pid" ;;
    sent) want=143; t0=${sent_at:-$t0}; offset=${sent_offset:-0} ;;
    *) fail "stop_checked: unknown HOW $how" ;;
  esac
  local bound=${KCLRS_E2E_STOP_BOUND:-40}
  for ((i = 0; i < bound * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "$name: the daemon did not exit within $bound s of the signal ($how)"
  wait "$pid" || rc=$?
  stop_secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  echo "e2e: $name: exit code $rc ${stop_secs}s after the signal ($how)" >&2
  [ "$rc" = "$want" ] || fail "$name: exit code $rc, expected $want after the shutdown hook ($how); see $log"
  grep -q "Process shutdown is complete." "$log" || fail "$name: no 'Process shutdown is complete.' in $log"
  # The shutdown hook's end by the daemon's own clock (logback: local time, milliseconds); what
  # follows it until the exit is the JVM's own exit (a class-data sharing archive written then).
  local done_at
  done_at=$(grep -m1 "Process shutdown is complete." "$log" | cut -c1-23 | tr , .)
  hook_secs=$(awk -v a="$t0" -v b="$(date -d "$done_at" +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  echo "e2e: $name: shutdown hook done ${hook_secs}s after the signal" >&2
  local stop_log=$log.stop earlier
  tail -c "+$((offset + 1))" "$log" >"$stop_log"
  if grep -E -q "Encountered an error during shutdown|failed to complete shutdown notification|Traceback" "$stop_log"; then
    fail "$name: shutdown error or traceback in $log after the signal: $(grep -E -m3 "Encountered an error during shutdown|failed to complete shutdown notification|Traceback" "$stop_log")"
  fi
  earlier=$(head -c "$offset" "$log" | grep -c "Traceback" || true)
  [ "$earlier" -eq 0 ] ||
    echo "e2e: $name: note: $earlier traceback line(s) in $log before the signal (not part of this stop)" >&2
  asked=$(grep -c "Requesting a checkpoint on shutdown notification." "$stop_log" || true)
  if [ -n "$shards" ] && [ "$asked" -lt "$shards" ]; then
    fail "$name: $asked record processor(s) asked to checkpoint on shutdownRequested, expected $shards; see $log"
  fi
  tool orphans --env "KCLRS_SAMPLE_OUTPUT=$output" || fail "$name: record processor(s) left behind"
}
