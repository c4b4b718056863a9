#!/usr/bin/env bash
# Doc test: runs the shell blocks of README.md and docs/*.md that are marked with a line
# `<!-- doc-test -->` right before their ```sh fence, exactly as written. Each file's marked
# blocks run in order in one bash (a function or variable of one block is there in the next),
# from the checkout root, with `set -euo pipefail` and `set -x` (each command is shown with the
# seconds since the file started), in a session of their own that is ended whole when the file
# is done or after DOC_TEST_TIMEOUT seconds (default 600).
#
# What is set before the blocks run, in this one place (a reader's own machine differs here):
#   CARGO_INSTALL_ROOT=$work/cargo and $work/cargo/bin first on PATH: `cargo install` puts kclrs
#                      there instead of ~/.cargo/bin, and the blocks' `kclrs` is that one;
#   CARGO_TARGET_DIR   the checkout's target/, so `cargo install` reuses the release build;
#   KCLRS_CACHE_DIR    a new, empty cache, so the walkthrough starts from nothing;
#   /tmp/kcl-local, /tmp/kclpy-app   removed first (the walkthrough's and the migration's folders);
#   kclrs              a file whose blocks do not `cargo install` it themselves (a reader who
#                      migrates has it already) gets it installed the same way first;
#   substitutions      the `substitutions` list below: a value the reader keeps as written but
#                      this machine cannot serve, replaced in the extracted script (the run fails
#                      if the text is no longer in the doc);
#   HOME               a new, empty one (no ~/.m2 of this machine's; CARGO_HOME and RUSTUP_HOME
#                      stay the real ones, so `cargo install` has its toolchain and registry, and
#                      KCLRS_TEST_E2E the real folder, so tests/e2e/install.sh downloads the
#                      official libraries once, not per file);
#   `mvn` on PATH      a stand-in Maven installation (tests/e2e/fake-maven.sh) whose super POM's
#                      central is a loopback server of tests/prepare.sh's artifacts: the blocks'
#                      "nothing configured" `kclrs download-jars` reads its central from there,
#                      as on a reader's machine it reads the real one, and no test leaves the
#                      machine; the checks require that central named and that mvn never ran.
# After a file's blocks, check_<file> (below) asserts what the doc tells the reader to expect.
#
# Usage: bash tests/docs/run-blocks.sh [FILE...]   (default: README.md docs/*.md)
# Prints each file's blocks with their output and time, then "N passed, N failed"; exit 1 if any
# file failed or a named FILE has no marked block.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
limit=${DOC_TEST_TIMEOUT:-600}
work=$(mktemp -d "${TMPDIR:-/tmp}/kclrs-doc-test.XXXXXX")
pgid=""
cleanup() {
  if [ -n "$pgid" ] && kill -0 "$pgid" 2>/dev/null; then
    kill -TERM -- "-$pgid" 2>/dev/null || true
    sleep 2
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
  [ -s /tmp/kcl-local/emulators.env ] && bash tests/e2e/emulators.sh stop /tmp/kcl-local >/dev/null 2>&1 || true
  [ -s /tmp/kclpy-app/emu/emulators.env ] && bash tests/e2e/emulators.sh stop /tmp/kclpy-app/emu >/dev/null 2>&1 || true
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
[ -d "$m2/software/amazon/kinesis" ] ||
  { echo "doc-test: no Maven artifacts in $m2; hint: run \`bash tests/prepare.sh\` first" >&2; exit 1; }
# shellcheck source=tests/e2e/loopback-repo.sh
. tests/e2e/loopback-repo.sh
start_loopback_repo "$m2" "$work/server.log" || { echo "doc-test: the loopback repository did not start" >&2; exit 1; }
central=http://127.0.0.1:$port/
bash tests/e2e/fake-maven.sh "$work/maven" "$central"

# Every file's log must show the loopback central, and the stand-in mvn must not have run.
check_sources() {
  local log=$1
  local other
  other=$(grep -o 'central ([a-z]*://[^,)]*' "$log" | grep -vF "central ($central" | head -n 1 || true)
  [ -z "$other" ] || { echo "a central other than the loopback one was named: $other" >&2; return 1; }
  if grep -q '^fetching ' "$log" && ! grep -qF "from central ($central" "$log"; then
    echo "a download did not name the loopback central $central" >&2
    return 1
  fi
  [ ! -e "$work/maven/mvn-ran" ] || { echo "mvn ran" >&2; return 1; }
}

# The walkthrough processed records and stopped cleanly.
check_docs_getting_started_md() {
  local log=$1
  [ -s /tmp/kcl-local/records.tsv ] || { echo "no record in /tmp/kcl-local/records.tsv" >&2; return 1; }
  grep -q '^kclrs run exited 143$' "$log" || { echo "kclrs run did not stop on SIGTERM (143)" >&2; return 1; }
  grep -q 'artifacts verified in' "$log" || { echo "download-jars said nothing" >&2; return 1; }
}

# The migration followed amazon_kclpy's own sample: installed without jars, locked, processed
# and checkpointed, stopped cleanly.
check_docs_migrating_md() {
  local log=$1
  grep -q '^the app pins KCL ' "$log" || { echo "the app's KCL version was not read from pom.xml" >&2; return 1; }
  if compgen -G '/tmp/kclpy-app/venv/lib/python*/site-packages/amazon_kclpy/jars/*.jar' >/dev/null; then
    echo "amazon_kclpy was installed with jars" >&2; return 1
  fi
  grep -q 'amazon-kinesis-client-multilang' /tmp/kclpy-app/jars.lock || { echo "no KCL in the lock" >&2; return 1; }
  grep -q '"shards": 1' "$log" || { echo "the shard was never checkpointed at the last record" >&2; return 1; }
  grep -q '^kclrs run exited 143$' "$log" || { echo "kclrs run did not stop on SIGTERM (143)" >&2; return 1; }
  grep -q 'Partition Key: key-hello-' "$log" || { echo "no record in the daemon's log" >&2; return 1; }
  if grep -q 'Traceback' /tmp/kclpy-app/daemon.log; then
    echo "a Python traceback in the daemon's log" >&2; return 1
  fi
}

# Placeholders a reader keeps as written but this machine cannot serve: FILE|TEXT|REPLACEMENT|why.
substitutions=(
  "docs/migrating.md|--kcl-version 3.5.3|--kcl-version 3.1.3|the loopback repository holds what tests/prepare.sh fetched: KCL 3.1.3's closure, not 3.5.3's"
)
# Applies the substitutions of file $1 to script $2, loudly; fails when a TEXT is gone from it.
substitute() {
  local entry file from to why
  for entry in "${substitutions[@]}"; do
    IFS='|' read -r file from to why <<<"$entry"
    [ "$file" = "$1" ] || continue
    grep -qF -e "$from" "$2" || { echo "doc-test: $1 no longer holds '$from' (substitutions in $0)" >&2; return 1; }
    FROM=$from TO=$to python3 -c 'import os, sys; p = sys.argv[1]; s = open(p).read(); open(p, "w").write(s.replace(os.environ["FROM"], os.environ["TO"]))' "$2"
    echo "doc-test: $1: '$from' run as '$to' ($why)"
  done
}

# Writes the marked blocks of $1 to $2; prints how many.
extract() {
  awk -v out="$2" '
    /^<!-- doc-test -->[[:space:]]*$/ { marked = 1; next }
    marked && /^```sh[[:space:]]*$/ { inside = 1; marked = 0; n++; print "# --- block " n >> out; next }
    inside && /^```[[:space:]]*$/ { inside = 0; next }
    inside { print >> out; next }
    { marked = 0 }
    END { print n + 0 }
  ' "$1"
}

if [ "$#" -gt 0 ]; then files=("$@"); explicit=1; else files=(README.md docs/*.md); explicit=0; fi
passed=0 failed=0
for file in "${files[@]}"; do
  script="$work/$(echo "$file" | tr '/.' '__').sh"
  # Each command is traced with the seconds since the file started (bash takes no PS4 from the
  # environment when run as root, so the script sets it).
  echo "PS4='+ [\${SECONDS}s] '" >"$script"
  n=$(extract "$file" "$script")
  if [ "$n" -eq 0 ]; then
    if [ "$explicit" -eq 1 ]; then echo "doc-test: $file has no marked block" >&2; failed=$((failed + 1)); fi
    continue
  fi
  substitute "$file" "$script" || { failed=$((failed + 1)); continue; }
  rm -rf /tmp/kcl-local /tmp/kclpy-app "$work/cache" "$work/cargo" "$work/home"
  mkdir -p "$work/home"
  log="$work/$(basename "$script" .sh).log"
  if ! grep -q 'cargo install' "$script"; then
    CARGO_INSTALL_ROOT="$work/cargo" CARGO_TARGET_DIR="$repo/target" cargo install --quiet --locked --path . ||
      { echo "doc-test: $file: cannot install kclrs for its blocks" >&2; failed=$((failed + 1)); continue; }
  fi
  echo "doc-test: $file ($n block(s))"
  start=$(date +%s)
  # Job control (the walkthrough's `kill %1`) needs no terminal; setsid makes bash the leader
  # of a new session, so everything the blocks start is ended with it.
  env CARGO_INSTALL_ROOT="$work/cargo" PATH="$work/cargo/bin:$work/maven/bin:$PATH" \
    CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" \
    KCLRS_TEST_E2E="${KCLRS_TEST_E2E:-$HOME/.cache/kclrs-test/e2e}" \
    HOME="$work/home" CARGO_TARGET_DIR="$repo/target" KCLRS_CACHE_DIR="$work/cache" \
    setsid bash -euo pipefail -x "$script" >"$log" 2>&1 </dev/null &
  pgid=$!
  rc=""
  while kill -0 "$pgid" 2>/dev/null; do
    if [ $(($(date +%s) - start)) -ge "$limit" ]; then
      echo "doc-test: $file: not done after $limit s, stopped" >>"$log"
      kill -TERM -- "-$pgid" 2>/dev/null || true
      sleep 2
      kill -KILL -- "-$pgid" 2>/dev/null || true
      rc=124
      break
    fi
    sleep 1
  done
  wait "$pgid" && rc=${rc:-0} || rc=${rc:-$?}
  # Whatever the blocks left running in their session goes now.
  kill -KILL -- "-$pgid" 2>/dev/null || true
  pgid=""
  check="check_$(echo "$file" | tr '/.-' '___')"
  if [ "$rc" -eq 0 ] && declare -F "$check" >/dev/null; then
    "$check" "$log" 2>>"$log" || rc=1
  fi
  if [ "$rc" -eq 0 ]; then check_sources "$log" 2>>"$log" || rc=1; fi
  # A polling loop's trace lines are shown once.
  awk '/^\++ / { k = $0; sub(/^\++ \[[0-9]+s\] /, "", k); if (k == p1 || k == p2) next; p2 = p1; p1 = k }
       { print "  | " $0 }' "$log"
  elapsed=$(($(date +%s) - start))
  if [ "$rc" -eq 0 ]; then
    echo "doc-test: $file passed in $elapsed s"
    passed=$((passed + 1))
  else
    echo "doc-test: $file FAILED (exit $rc) after $elapsed s"
    failed=$((failed + 1))
  fi
done
echo "doc-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
