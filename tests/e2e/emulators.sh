#!/usr/bin/env bash
# Starts or stops the e2e emulators on loopback, each on a free port:
#   moto's server (Kinesis and DynamoDB in one process, HTTP/1.1), and
#   nginx as an HTTP/2 cleartext (h2c, prior knowledge) front for Kinesis, because KCL's Kinesis
#   client speaks only HTTP/2 and moto only HTTP/1.1.
# Usage: emulators.sh start DIR   -> writes DIR/emulators.env (MOTO_PORT, H2_PORT, pids)
#        emulators.sh stop DIR    -> stops what start started (by pid), bounded in time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: emulators.sh start|stop DIR}
dir=$(mkdir -p "${2:?usage: emulators.sh start|stop DIR}" && cd "$2" && pwd)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $2 seconds for a TCP listener on 127.0.0.1:$1 while process $3 lives.
wait_port() {
  local port=$1 limit=$2 pid=$3 i
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

stop_pid() {
  local file=$1 pid i
  [ -s "$file" ] || return 0
  pid=$(cat "$file")
  if kill -TERM "$pid" 2>/dev/null; then
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

start() {
  python3 -c "import moto.server" 2>/dev/null || { echo "e2e: moto.server not importable; run tests/e2e/install.sh" >&2; exit 1; }
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "e2e: nginx not found; run tests/e2e/install.sh" >&2; exit 1; }
  local nginx_bin; nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  local attempt moto_port h2_port
  # A free port can be taken between the probe and the bind: try again with new ports.
  for attempt in 1 2 3; do
    moto_port=$(free_port)
    # Through the interpreter, not the `moto_server` script: a fresh pyenv may lack its shim.
    python3 -m moto.server -H 127.0.0.1 -p "$moto_port" >"$dir/moto.log" 2>&1 &
    echo $! >"$dir/moto.pid"
    if wait_port "$moto_port" 30 "$(cat "$dir/moto.pid")"; then break; fi
    stop_pid "$dir/moto.pid"
    [ "$attempt" = 3 ] && { echo "e2e: moto server did not start:" >&2; cat "$dir/moto.log" >&2; exit 1; }
  done
  for attempt in 1 2 3; do
    h2_port=$(free_port)
    sed -e "s#@DIR@#$dir#g" -e "s#@H2_PORT@#$h2_port#g" -e "s#@UPSTREAM_PORT@#$moto_port#g" \
      "$here/nginx.conf.template" >"$dir/nginx.conf"
    "$nginx_bin" -c "$dir/nginx.conf" -p "$dir" -e "$dir/nginx-error.log" >"$dir/nginx.out" 2>&1 &
    echo $! >"$dir/nginx.pid"
    if wait_port "$h2_port" 10 "$(cat "$dir/nginx.pid")"; then break; fi
    stop_pid "$dir/nginx.pid"
    [ "$attempt" = 3 ] && { echo "e2e: nginx did not start:" >&2; cat "$dir/nginx.out" "$dir/nginx-error.log" >&2; exit 1; }
  done
  cat >"$dir/emulators.env" <<ENV
MOTO_PORT=$moto_port
H2_PORT=$h2_port
MOTO_PID=$(cat "$dir/moto.pid")
NGINX_PID=$(cat "$dir/nginx.pid")
ENV
  echo "e2e: moto on 127.0.0.1:$moto_port, nginx h2c front on 127.0.0.1:$h2_port" >&2
}

case "$cmd" in
  start) start ;;
  stop) stop_pid "$dir/nginx.pid"; stop_pid "$dir/moto.pid" ;;
  *) echo "usage: emulators.sh start|stop DIR" >&2; exit 2 ;;
esac
