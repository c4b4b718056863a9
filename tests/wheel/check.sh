#!/usr/bin/env bash
# Proves the Python packaging (pyproject.toml, python/kclrs): builds the wheel with maturin (pinned,
# in its own venv under target/) and with `pip wheel .`, installs it into a fresh venv, then with
# the Rust toolchain removed from PATH, from an empty working directory and a fresh HOME, checks:
# `kclrs --version`, `kclrs java`, `kclrs download-jars` from a loopback repository (the Maven
# artifacts tests/prepare.sh put in ~/.cache/kclrs-test/m2, served by python's http.server on
# 127.0.0.1), `print-command --sample`, `run --sample --dry-run` (with and without class-data sharing), `python -m kclrs` (same output,
# exit codes passed back, exec'd into kclrs, the JVM its child), `kclrs run --offline` on the baked cache, and
# examples/Dockerfile's `kclrs bundle` stage and its ENTRYPOINT (the bundle's launcher, with no
# Java on PATH). Prints the wheel build time, the wheel size, the install and bundle times. Any
# mismatch stops it with a message naming what differed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
maturin_version=1.16.0
m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
target=${CARGO_TARGET_DIR:-$root/target}

fail() { echo "wheel: FAILED: $*" >&2; exit 1; }
say() { echo "wheel: $*" >&2; }
now() { echo "${EPOCHREALTIME:-$(date +%s)}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

[ -d "$m2/software/amazon/kinesis" ] ||
  fail "no Maven artifacts in $m2; hint: run \`bash tests/prepare.sh\` first"

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- build (the only part that needs the Rust toolchain) -------------------------------------
tools=$target/wheel-tools/maturin-$maturin_version
if ! "$tools/bin/maturin" --version >/dev/null 2>&1; then
  say "installing maturin $maturin_version with pip into $tools"
  rm -rf "$tools"
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "maturin==$maturin_version"
fi
version=$(cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "kclrs"))')
[ -n "$version" ] || fail "no kclrs version in cargo metadata"

t=$(now)
"$tools/bin/maturin" build --release --locked --out "$work/dist" 2>"$work/maturin.log" ||
  { cat "$work/maturin.log" >&2; fail "maturin build --release --locked"; }
build_time=$(elapsed "$t")
wheels=("$work"/dist/*.whl)
[ "${#wheels[@]}" -eq 1 ] || fail "expected one wheel in $work/dist, found: ${wheels[*]}"
wheel=${wheels[0]}
case "$(basename "$wheel")" in
  "kclrs-$version-py3-none-"*.whl) ;;
  *) fail "wheel $(basename "$wheel") does not carry Cargo.toml's version $version" ;;
esac
wheel_size=$(wc -c <"$wheel" | tr -d ' ')

# The wheel holds the binary `cargo build --release --locked` makes, byte for byte, as a script.
python3 - "$wheel" "$version" "$target/release/kclrs" <<'PY' || fail "wheel contents"
import hashlib, sys, zipfile
wheel, version, built = sys.argv[1:]
names = zipfile.ZipFile(wheel).namelist()
script = "kclrs-%s.data/scripts/kclrs" % version
for want in (script, "kclrs/__init__.py", "kclrs/__main__.py"):
    if want not in names:
        sys.exit("wheel: %s is not in the wheel (has %s)" % (want, names))
inside = hashlib.sha256(zipfile.ZipFile(wheel).read(script)).hexdigest()
outside = hashlib.sha256(open(built, "rb").read()).hexdigest()
if inside != outside:
    sys.exit("wheel: the wheel's kclrs (%s) is not %s (%s)" % (inside, built, outside))
PY

# `pip wheel .` goes through the PEP 517 backend with build isolation (maturin from
# pyproject.toml's build-system) and must give the same binary.
t=$(now)
"$tools/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$work/dist-pip" . \
  >"$work/pip-wheel.log" 2>&1 || { cat "$work/pip-wheel.log" >&2; fail "pip wheel ."; }
pip_wheel_time=$(elapsed "$t")
pip_wheels=("$work"/dist-pip/kclrs-"$version"-*.whl)
[ -f "${pip_wheels[0]}" ] || fail "pip wheel . made no kclrs-$version wheel"
python3 - "$wheel" "${pip_wheels[0]}" "$version" <<'PY' || fail "pip wheel . differs from maturin build"
import sys, zipfile
a, b, version = sys.argv[1:]
script = "kclrs-%s.data/scripts/kclrs" % version
if zipfile.ZipFile(a).read(script) != zipfile.ZipFile(b).read(script):
    sys.exit("wheel: the binaries in %s and %s differ" % (a, b))
PY

# --- install into a fresh venv, from the wheel file only --------------------------------------
t=$(now)
python3 -m venv "$work/venv"
venv_time=$(elapsed "$t")
venv=$work/venv
t=$(now)
# examples/requirements.txt, as an app lists kclrs; --no-index: the wheel folder is the only source.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
  --find-links "$work/dist" -r examples/requirements.txt || fail "pip install -r examples/requirements.txt"
install_time=$(elapsed "$t")
[ -x "$venv/bin/kclrs" ] || fail "pip install put no kclrs in $venv/bin"
# examples/pyproject.toml's dependencies must be met by what was just installed (pip, offline).
if "$venv/bin/python" -c 'import tomllib' 2>/dev/null; then
  mapfile -t deps < <("$venv/bin/python" -c 'import sys, tomllib; print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))' examples/pyproject.toml)
  printf '%s\n' "${deps[@]}" | grep -q '^kclrs' || fail "examples/pyproject.toml does not depend on kclrs"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --find-links "$work/dist" "${deps[@]}" ||
    fail "examples/pyproject.toml's dependencies (${deps[*]}) are not met by kclrs $version"
else
  say "skipped the examples/pyproject.toml check: this Python has no tomllib (3.11+)"
fi

# --- everything below runs without Rust, in an empty directory, with a fresh HOME -------------
stripped=
IFS=: read -ra dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  case "$dir" in
    '' | *rustup* | */.cargo/bin | */.cargo/bin/ | "${CARGO_HOME:-$HOME/.cargo}/bin") continue ;;
  esac
  stripped=${stripped:+$stripped:}$dir
done
home=$work/home
cwd=$work/cwd
cache=$work/cache
mkdir -p "$home" "$cwd"
# A clean environment: no CARGO_*/RUSTUP_*/KCLRS_* and no repository variable leaks in.
base_env=(env -i "HOME=$home" "LANG=C.UTF-8" "KCLRS_CACHE_DIR=$cache")
[ -n "${JAVA_HOME:-}" ] && base_env+=("JAVA_HOME=$JAVA_HOME")
with_venv=("${base_env[@]}" "PATH=$venv/bin:$stripped")
without_venv=("${base_env[@]}" "PATH=$stripped")
for tool in cargo rustc rustup; do
  if (cd "$cwd" && "${with_venv[@]}" sh -c "command -v $tool" >/dev/null); then
    fail "$tool is still on the stripped PATH ($stripped); hint: this check needs a Rust toolchain only in ~/.cargo/bin or a rustup folder"
  fi
done
[ "$(cd "$cwd" && "${with_venv[@]}" sh -c 'command -v kclrs')" = "$venv/bin/kclrs" ] ||
  fail "kclrs on PATH is not $venv/bin/kclrs"

# run OUT ERR CMD...: runs CMD in the empty directory; prints its exit code.
run() {
  local out=$1 err=$2
  shift 2
  local rc=0
  (cd "$cwd" && "$@") >"$out" 2>"$err" || rc=$?
  echo "$rc"
}
# ok NAME CMD...: CMD must exit 0; its stdout is left in $work/NAME.out.
ok() {
  local name=$1
  shift
  local rc
  rc=$(run "$work/$name.out" "$work/$name.err" "$@")
  [ "$rc" -eq 0 ] || { cat "$work/$name.err" >&2; fail "$name exited $rc: $*"; }
}
kclrs=("${with_venv[@]}" kclrs)
# python -m kclrs with the venv's bin/ NOT on PATH: the module must find the binary itself.
pym=("${without_venv[@]}" "$venv/bin/python" -m kclrs)

ok version "${kclrs[@]}" --version
[ "$(cat "$work/version.out")" = "kclrs $version" ] ||
  fail "kclrs --version printed '$(cat "$work/version.out")', expected 'kclrs $version'"
ok pym-version "${pym[@]}" --version
cmp -s "$work/version.out" "$work/pym-version.out" || fail "python -m kclrs --version differs from kclrs --version"

ok java "${kclrs[@]}" java
grep -q '^Using .* (Java [0-9]' "$work/java.out" || { cat "$work/java.out" >&2; fail "kclrs java chose no Java"; }

# shellcheck source=tests/e2e/loopback-repo.sh
. "$root/tests/e2e/loopback-repo.sh"
start_loopback_repo "$m2" "$work/server.log" "$venv/bin/python" || { fail "the loopback repository did not start"; }
t=$(now)
ok download "${kclrs[@]}" download-jars --repository "http://127.0.0.1:$port/" --no-mvn --no-local-repo --json
download_time=$(elapsed "$t")
"$venv/bin/python" - "$work/download.out" "$cache" <<'PY' || fail "download-jars --json"
import json, sys
report = json.load(open(sys.argv[1]))
arts = report["artifacts"]
if report["cache"] != sys.argv[2]:
    sys.exit("wheel: download-jars used cache %s, expected %s" % (report["cache"], sys.argv[2]))
if not arts or report["downloaded"] != len(arts) or {a["source"] for a in arts} != {"remote"}:
    sys.exit("wheel: expected every artifact downloaded from the loopback repository, got "
             "downloaded=%s of %d, sources %s" % (report["downloaded"], len(arts), {a["source"] for a in arts}))
PY
jars=$(grep -c '"coords"' "$work/download.out")
gets=$(grep -c '"GET /.*\.jar HTTP/1\.[01]" 200' "$work/server.log" || true)
[ "$gets" -ge "$jars" ] || fail "the loopback repository served $gets jars, kclrs reported $jars"
# The server goes away: everything below must work from the cache alone.
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
ok verify "${kclrs[@]}" verify

ok print "${kclrs[@]}" print-command --sample
grep -q 'software.amazon.kinesis.multilang.MultiLangDaemon --properties-file ' "$work/print.out" ||
  { cat "$work/print.out" >&2; fail "print-command --sample printed no daemon command"; }
grep -q 'warning' "$work/print.err" && { cat "$work/print.err" >&2; fail "print-command --sample warned with a full cache"; }
ok pym-print "${pym[@]}" print-command --sample
cmp -s "$work/print.out" "$work/pym-print.out" || fail "python -m kclrs print-command --sample differs from kclrs"
# `run` adds class-data sharing by default and print-command only with --cds (a printed command may
# run elsewhere), so the two agree with --no-cds; with it, run names the archive it would write.
ok dry-run "${kclrs[@]}" run --sample --dry-run --no-cds
cmp -s "$work/print.out" "$work/dry-run.out" || fail "run --sample --dry-run --no-cds differs from print-command --sample"
ok dry-run-cds "${kclrs[@]}" run --sample --dry-run
grep -q -- '-XX:ArchiveClassesAtExit=\|-XX:SharedArchiveFile=' "$work/dry-run-cds.out" ||
  { cat "$work/dry-run-cds.out" >&2; fail "run --sample --dry-run names no class-data sharing archive"; }

# Exit codes pass through python -m kclrs.
want=$(run "$work/rc.out" "$work/rc.err" "${kclrs[@]}" verify --lockfile /nonexistent)
got=$(run "$work/pym-rc.out" "$work/pym-rc.err" "${pym[@]}" verify --lockfile /nonexistent)
[ "$want" -ne 0 ] || fail "kclrs verify --lockfile /nonexistent exited 0"
[ "$want" -eq "$got" ] || fail "python -m kclrs verify --lockfile /nonexistent exited $got, kclrs exited $want"
cmp -s "$work/rc.err" "$work/pym-rc.err" || fail "python -m kclrs printed another error than kclrs"

# --- `kclrs run --offline -p app.properties`, with the app laid out as examples/Dockerfile lays it out
# No repository, no server, the cache filled above. A real JVM starts; the daemon's class is the
# stand-in of tests/cli/fixtures (first on the classpath via -c), which records its argv and pid
# and exits 7. Through `python -m kclrs` the JVM's recorded parent is the pid we started: python
# exec'd kclrs, which stays the JVM's parent (docs/operations.md) and returns its exit code.
app=$work/app
mkdir -p "$app" "$work/standin" "$work/record"
cp examples/app.properties "$app/app.properties"
cp samples/sample_record_processor.py "$app/record_processor.py"
javac=$(command -v javac || echo /usr/lib/jvm/java-17-openjdk-amd64/bin/javac)
"$javac" -d "$work/standin" tests/cli/fixtures/MultiLangDaemon.java || fail "javac of the stand-in daemon"
entrypoint=(kclrs run --offline -p app.properties)
cwd=$app
ok entry-dry "${with_venv[@]}" "${entrypoint[@]}" --dry-run --strict
standin=(-c "$work/standin" "-J-Dfake.out=$work/record" -J-Dfake.exit=7)
rc=$(run "$work/entry.out" "$work/entry.err" "${with_venv[@]}" "${entrypoint[@]}" "${standin[@]}")
[ "$rc" -eq 7 ] || { cat "$work/entry.err" >&2; fail "the ENTRYPOINT exited $rc, the daemon exited 7"; }
grep -qx "arg=$app/app.properties" "$work/record/record.txt" ||
  { cat "$work/record/record.txt" >&2; fail "the daemon did not get $app/app.properties"; }
rm -f "$work/record/record.txt"
(cd "$app" && exec "${without_venv[@]}" "$venv/bin/python" -m kclrs "${entrypoint[@]:1}" "${standin[@]}") \
  >"$work/pym-entry.out" 2>"$work/pym-entry.err" &
pid=$!
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 7 ] || { cat "$work/pym-entry.err" >&2; fail "python -m kclrs run exited $rc, the daemon exited 7"; }
grep -qx "ppid=$pid" "$work/record/record.txt" ||
  fail "the JVM's parent is not the process python -m kclrs was started as ($pid, exec'd into kclrs): $(grep pid= "$work/record/record.txt")"

# --- examples/Dockerfile: its JDK stage's `kclrs bundle` line and its ENTRYPOINT ---------------
# The stage's command runs from the installed wheel on the cache filled above (no repository),
# with /opt/kcl and /app moved under $work; then the ENTRYPOINT starts the bundle's launcher under
# `env -i` (no PATH, so no Java but the bundle's) with -Xshare:on -XX:+PrintSharedArchiveAndExit:
# the bundle's JVM checks its CDS archive against the launcher's classpath (the properties folder
# appended), says "archive is valid" and exits before the daemon would reach any network.
mapfile -t docker < <("$venv/bin/python" - examples/Dockerfile <<'PY'
import json, shlex, sys
lines = open(sys.argv[1]).read().splitlines()
runs = [l for l in lines if l.startswith("RUN kclrs bundle ")]
entry = [l for l in lines if l.startswith("ENTRYPOINT ")]
if len(runs) != 1 or len(entry) != 1:
    sys.exit("wheel: examples/Dockerfile needs one `RUN kclrs bundle …` line and one exec-form ENTRYPOINT")
steps = [shlex.split(part) for part in runs[0][len("RUN "):].split("&&")]
print(json.dumps(steps))
print(json.dumps(json.loads(entry[0][len("ENTRYPOINT "):])))
PY
)
[ "${#docker[@]}" -eq 2 ] || fail "could not read examples/Dockerfile"
opt=$work/opt
t=$(now)
while read -r step; do
  mapfile -t words < <("$venv/bin/python" -c 'import json, sys; print("\n".join(json.loads(sys.argv[1])))' "$step")
  words=("${words[@]//\/opt\/kcl/$opt/kcl}")
  words=("${words[@]//\/app\//$app/}")
  [ "${words[0]}" = kclrs ] || fail "examples/Dockerfile's bundle step runs ${words[0]}, not kclrs"
  ok "docker-${words[2]#--}" "${with_venv[@]}" "${words[@]}"
done < <("$venv/bin/python" -c 'import json, sys; [print(json.dumps(s)) for s in json.loads(sys.argv[1])]' "${docker[0]}")
bundle_time=$(elapsed "$t")
mapfile -t entrypoint < <("$venv/bin/python" -c 'import json, sys; print("\n".join(json.loads(sys.argv[1])))' "${docker[1]}")
entrypoint=("${entrypoint[@]//\/opt\/kcl/$opt/kcl}")
[ -x "${entrypoint[0]}" ] || fail "examples/Dockerfile's ENTRYPOINT ${entrypoint[0]} is not in the bundle its JDK stage wrote"
cwd=$app
ok entry-bundle env -i "HOME=$home" "${entrypoint[@]}" -J-Xshare:on -J-XX:+PrintSharedArchiveAndExit
grep -qx "Static archive name: $opt/kcl/cds/kcl-daemon.jsa" "$work/entry-bundle.out" && grep -q 'archive is valid' "$work/entry-bundle.out" ||
  { tail -n 5 "$work/entry-bundle.out" "$work/entry-bundle.err" >&2; fail "the bundle's ENTRYPOINT did not map its CDS archive"; }

echo "wheel: $(basename "$wheel"): $wheel_size bytes ($(awk -v b="$wheel_size" 'BEGIN { printf "%.1f MiB", b / 1048576 }'))"
echo "wheel: maturin build --release --locked: $build_time; pip wheel . after it: $pip_wheel_time"
echo "wheel: python3 -m venv: $venv_time; pip install --no-index (requirements.txt): $install_time"
echo "wheel: download-jars of $jars jars from 127.0.0.1: $download_time"
echo "wheel: examples/Dockerfile's kclrs bundle stage: $bundle_time"
echo "wheel: 1 passed, 0 failed"
