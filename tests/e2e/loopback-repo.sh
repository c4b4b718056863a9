# Sourced: start_loopback_repo DIR LOG [PYTHON] serves DIR (a Maven repository, e.g. the artifacts
# tests/prepare.sh fetched) with python's http.server on 127.0.0.1, port 0 so the kernel picks a
# free one, which http.server prints to LOG. Sets server_pid and port; returns 1 (LOG shown) if
# it did not start within 10 s. Used by tests/wheel/check.sh, tests/docs/run-blocks.sh and
# release/check.sh; the caller kills server_pid when done.
start_loopback_repo() {
  local dir=$1 log=$2 python=${3:-python3} _
  "$python" -u -m http.server --bind 127.0.0.1 --directory "$dir" 0 >"$log" 2>&1 &
  server_pid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$log")
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  cat "$log" >&2
  return 1
}
