#!/usr/bin/env bash
# Proves that the artifacts release/build.sh wrote into OUTDIR run, not only that they exist:
#  1. SHA256SUMS holds, every expected file is there, and the wheel, the archive and the npm
#     package of a platform carry the same binary (one build per platform);
#  2. Linux: auditwheel agrees with each wheel's tag, a gnu binary needs at most GLIBC_2.17, a musl
#     binary is static (no interpreter, no NEEDED); no binary holds a path of the build machine;
#  3. every Linux binary, x86_64 natively and aarch64 under qemu-aarch64, runs the same suite:
#     --version, download-jars from a loopback repository (tests/prepare.sh's Maven artifacts
#     served by python's http.server on 127.0.0.1), verify, print-command --sample --java <a stub
#     Java: a shell script plus a `release` file, so no JVM for aarch64 is needed; kclrs only
#     reads it>, and the documented exit codes 2 (usage), 3 (input), 4 (java), 6 (verify);
#  4. the Windows binary under wine: the same suite, print-classpath (`;`, drive letters),
#     print-command --format powershell, and `run` spawning a cross-built stub java.exe whose exit
#     code kclrs must return (release/wine/*.c; the bcryptprimitives.dll shim is for wine 8.0
#     only). Ctrl-C/Ctrl-Break are not sent: wine 8.0's GenerateConsoleCtrlEvent fails here;
#  5. each x86_64 wheel in a fresh venv, without Rust on PATH: kclrs --version, python -m kclrs;
#  6. npm: the tarballs installed --offline from the folder into an empty project, npx kclrs
#     --version and print-command --sample, the right platform package picked by os/cpu/libc
#     (also asked for the other four platforms), and no install script anywhere.
# KCLRS_CHECK_NPM_PROJECT=DIR keeps that npm project in DIR (the e2e test can then run the
# aws-kcl flow with DIR/node_modules/.bin/kclrs: KCLRS_E2E_NPM_KCLRS). Prints each step's time.
# Usage: bash release/check.sh OUTDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=release/lib.sh
. "$root/release/lib.sh"
out=$(cd "${1:?usage: release/check.sh OUTDIR (written by release/build.sh)}" && pwd)
m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
started=$(now)
passed=0
[ -d "$m2/software/amazon/kinesis" ] ||
  fail "no Maven artifacts in $m2; hint: run \`bash tests/prepare.sh\` first"

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  [ -d "$work/wine" ] && WINEPREFIX=$work/wine wineserver -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
step_t=$(now)
step() { say "step $1: $(elapsed "$step_t")"; step_t=$(now); passed=$((passed + 1)); }

bash "$root/release/install-tools.sh"
export PATH="$TOOLS/bin:$PATH"
step tools
version=$(crate_version "$root")

# --- 1. inventory ------------------------------------------------------------------------------
(cd "$out" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match $out"
want=("kclrs-$version.tar.gz" "npm/kclrs-$version.tgz" SHA256SUMS)
npm_suffix() { echo "$2-$3${4:+-$4}"; } # target tag os cpu libc -> os-cpu[-libc]
for p in "${PLATFORMS[@]}"; do
  IFS='|' read -r target tag os cpu libc <<<"$p"
  ext=tar.gz
  case "$target" in *windows*) ext=zip ;; esac
  want+=("kclrs-$version-py3-none-$tag.whl" "kclrs-$version-$target.$ext"
    "npm/kclrs-$(npm_suffix "$target" "$os" "$cpu" "$libc")-$version.tgz")
done
have=$(cd "$out" && find . -type f | sed 's#^\./##' | LC_ALL=C sort)
expect=$(printf '%s\n' "${want[@]}" | LC_ALL=C sort)
[ "$have" = "$expect" ] || fail "$out holds other files than expected:$(diff <(echo "$expect") <(echo "$have") | sed -n 's/^[<>]/\n  &/p' | tr -d '\n')"

mkdir -p "$work/bin"
for p in "${PLATFORMS[@]}"; do
  IFS='|' read -r target tag os cpu libc <<<"$p"
  exe=kclrs
  case "$target" in *windows*) exe=kclrs.exe ;; esac
  d=$work/bin/$target
  mkdir -p "$d"
  unzip -p "$out/kclrs-$version-py3-none-$tag.whl" "kclrs-$version.data/scripts/$exe" >"$d/wheel"
  if [ "$exe" = kclrs.exe ]; then
    unzip -p "$out/kclrs-$version-$target.zip" "kclrs-$version-$target/$exe" >"$d/$exe"
  else
    tar -xzOf "$out/kclrs-$version-$target.tar.gz" "kclrs-$version-$target/$exe" >"$d/$exe"
  fi
  tar -xzOf "$out/npm/kclrs-$(npm_suffix "$target" "$os" "$cpu" "$libc")-$version.tgz" "package/bin/$exe" >"$d/npm"
  cmp -s "$d/wheel" "$d/$exe" || fail "$target: the wheel's binary differs from the archive's"
  cmp -s "$d/npm" "$d/$exe" || fail "$target: the npm package's binary differs from the archive's"
  chmod +x "$d/$exe"
done
step "inventory (SHA256SUMS, ${#want[@]} files, one binary per platform)"

# --- 2. what the binaries need -----------------------------------------------------------------
cargo_home=${CARGO_HOME:-$HOME/.cargo}
for p in "${PLATFORMS[@]}"; do
  IFS='|' read -r target tag _ <<<"$p"
  b=$(ls "$work/bin/$target"/kclrs*)
  leaks=$(strings -n 6 "$b" | grep -F -e "$root/" -e "$HOME/" -e "$cargo_home/" | head -3 || true)
  [ -z "$leaks" ] || fail "$target: the binary holds paths of this machine: $leaks"
  case "$target" in *windows*) continue ;; esac
  whl=$out/kclrs-$version-py3-none-$tag.whl
  shown=$(auditwheel show "$whl" 2>&1) || fail "auditwheel show $whl: $shown"
  # auditwheel wraps its lines at the terminal width (80 without one): join them first.
  agreed=$(tr -s ' \n' '  ' <<<"$shown" | sed -n 's/.*consistent with the following platform tag: "\([^"]*\)".*/\1/p')
  [ "$agreed" = "${tag%%.*}" ] || fail "auditwheel says $(basename "$whl") is $agreed, its tag is ${tag%%.*}: $shown"
  case "$target" in
    *-gnu)
      glibc=$(readelf -V -W "$b" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
      [ "$(printf '%s\n' "$glibc" GLIBC_2.17 | sort -V | tail -1)" = GLIBC_2.17 ] ||
        fail "$target needs $glibc, more than GLIBC_2.17"
      say "$target: highest $glibc, auditwheel: $agreed"
      ;;
    *-musl)
      readelf -l -W "$b" | grep -q 'INTERP' && fail "$target: the musl binary has an interpreter (not static)"
      readelf -d -W "$b" | grep -q '(NEEDED)' && fail "$target: the musl binary needs shared libraries: $(readelf -d "$b" | grep NEEDED)"
      say "$target: static (no interpreter, no NEEDED), auditwheel: $agreed"
      ;;
  esac
done
step "auditwheel, GLIBC <= 2.17, musl static, no build paths"

# --- 3. the Linux binaries run the suite (aarch64 under qemu) ----------------------------------
# shellcheck source=tests/e2e/loopback-repo.sh
. "$root/tests/e2e/loopback-repo.sh"
start_loopback_repo "$m2" "$work/server.log" || { fail "the loopback repository did not start"; }
repo_url=http://127.0.0.1:$port/
jars=$(grep -c '^\[\[artifact\]\]' "$root/jars.lock" || true)
[ "$jars" -gt 0 ] || jars=$(grep -c 'sha256' "$root/jars.lock")

# The stub Java: its `release` file gives the version, so kclrs never starts it for print-command.
stub=$work/stubjava
mkdir -p "$stub/bin"
printf 'JAVA_VERSION="17.0.2"\n' >"$stub/release"
printf '#!/bin/sh\nfor a; do echo "arg=$a"; done\n' >"$stub/bin/java"
chmod +x "$stub/bin/java"

# expect_rc LABEL CODE CMD...: CMD must exit CODE; its stdout goes to $work/last.out.
expect_rc() {
  local label=$1 code=$2 rc=0
  shift 2
  "$@" >"$work/last.out" 2>"$work/last.err" </dev/null || rc=$?
  [ "$rc" -eq "$code" ] || { cat "$work/last.err" >&2; fail "$label: exit code $rc, expected $code: $*"; }
}
# suite LABEL CACHE JAVA RUNNER...: the commands every binary must pass; RUNNER runs kclrs.
suite() {
  local label=$1 cache=$2 java=$3
  shift 3
  local t
  t=$(now)
  expect_rc "$label --version" 0 "$@" --version
  [ "$(tr -d '\r' <"$work/last.out")" = "kclrs $version" ] || fail "$label --version printed '$(cat "$work/last.out")'"
  expect_rc "$label download-jars" 0 "$@" download-jars --repository "$repo_url" --no-mvn --no-local-repo \
    --cache-dir "$cache" --json
  python3 - "$work/last.out" "$label" <<'PY' || fail "$label download-jars --json"
import json, sys
report = json.load(open(sys.argv[1]))
arts = report["artifacts"]
if not arts or report["downloaded"] != len(arts) or {a["source"] for a in arts} != {"remote"}:
    sys.exit("%s: expected every artifact downloaded from the loopback repository, got %s of %d"
             % (sys.argv[2], report["downloaded"], len(arts)))
PY
  expect_rc "$label verify" 0 "$@" verify --cache-dir "$cache"
  expect_rc "$label print-command" 0 "$@" print-command --sample --java "$java" --cache-dir "$cache"
  grep -q 'software.amazon.kinesis.multilang.MultiLangDaemon' "$work/last.out" ||
    fail "$label print-command --sample printed no daemon command: $(cat "$work/last.out")"
  grep -qF "$java" "$work/last.out" || fail "$label print-command does not start $java: $(cat "$work/last.out")"
  cp "$work/last.out" "$work/$label.print"
  expect_rc "$label usage" 2 "$@" --no-such-flag
  expect_rc "$label input" 3 "$@" verify --lockfile "$work/no-such.lock"
  expect_rc "$label java" 4 "$@" print-command --sample --java "$work/no-such-java" --cache-dir "$cache"
  say "$label: --version, download-jars, verify, print-command, exit codes 2/3/4: $(elapsed "$t")"
}
# corrupt_then_verify LABEL FOLDER CACHE RUNNER...: one jar in FOLDER (the cache CACHE names, as
# this host sees it) changed; verify must exit 6.
corrupt_then_verify() {
  local label=$1 folder=$2 cache=$3 jar
  shift 3
  jar=$(find "$folder" -name '*.jar' | LC_ALL=C sort | sed -n 1p)  # not head: sort would get SIGPIPE (pipefail)
  [ -n "$jar" ] || fail "$label: no jar in $folder"
  chmod u+w "$jar" && printf 'x' >>"$jar"
  expect_rc "$label verify (corrupted)" 6 "$@" verify --cache-dir "$cache"
}

for p in "${PLATFORMS[@]}"; do
  IFS='|' read -r target _ <<<"$p"
  case "$target" in
    x86_64-*-linux-*) runner=() ;;
    aarch64-*-linux-gnu) runner=(env QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64) ;;
    aarch64-*-linux-musl) runner=(qemu-aarch64) ;;
    *) continue ;;
  esac
  suite "$target" "$work/cache-$target" "$stub/bin/java" "${runner[@]}" "$work/bin/$target/kclrs"
  corrupt_then_verify "$target" "$work/cache-$target" "$work/cache-$target" "${runner[@]}" "$work/bin/$target/kclrs"
  # The command is the same whatever the platform, once the cache folder is named alike.
  sed "s#$work/cache-$target#CACHE#g" "$work/$target.print" >"$work/$target.print.norm"
  cmp -s "$work/$target.print.norm" "$work/x86_64-unknown-linux-gnu.print.norm" ||
    fail "$target: print-command differs from x86_64-unknown-linux-gnu's"
done
step "Linux binaries (x86_64 native, aarch64 under qemu-aarch64)"

# --- 4. Windows under wine ---------------------------------------------------------------------
win_target=x86_64-pc-windows-gnu
export WINEPREFIX=$work/wine WINEDEBUG=-all
t=$(now)
wineboot -i >"$work/wineboot.log" 2>&1 || { cat "$work/wineboot.log" >&2; fail "wineboot -i (a fresh prefix)"; }
say "wine prefix: $(elapsed "$t")"
sys32=$WINEPREFIX/drive_c/windows/system32
# Test harness only (see release/wine/bcryptprimitives.c); never part of an artifact.
x86_64-w64-mingw32-gcc -O2 -shared -o "$sys32/bcryptprimitives.dll" \
  "$root/release/wine/bcryptprimitives.c" "$root/release/wine/bcryptprimitives.def" -ladvapi32
cdrive=$WINEPREFIX/drive_c
mkdir -p "$cdrive/stubjava/bin" "$cdrive/kclrs"
printf 'JAVA_VERSION="17.0.2"\r\n' >"$cdrive/stubjava/release"
x86_64-w64-mingw32-gcc -O2 -o "$cdrive/stubjava/bin/java.exe" "$root/release/wine/java-stub.c"
# `run --sample` checks that the sample's executableName (`python`) is on PATH before it starts
# Java; the stub never starts it, so a copy of the stub named python.exe on WINEPATH is enough.
mkdir -p "$cdrive/stubpython"
cp "$cdrive/stubjava/bin/java.exe" "$cdrive/stubpython/python.exe"
export WINEPATH='C:\stubpython'
cp "$work/bin/$win_target/kclrs.exe" "$cdrive/kclrs/kclrs.exe"
win_java='C:\stubjava\bin\java.exe'
win_cache='C:\kclrs\cache'
wk=(wine 'C:\kclrs\kclrs.exe')
suite "$win_target" "$win_cache" "$win_java" "${wk[@]}"
expect_rc "windows print-classpath" 0 "${wk[@]}" print-classpath --cache-dir "$win_cache"
cp_line=$(tr -d '\r' <"$work/last.out")
[ "$(tr ';' '\n' <<<"$cp_line" | wc -l)" -ge "$jars" ] || fail "print-classpath has fewer ';'-separated entries than the lock's $jars: $cp_line"
bad=$(tr ';' '\n' <<<"$cp_line" | grep -v '^C:\\kclrs\\cache\\' | head -3 || true)
[ -z "$bad" ] || fail "print-classpath entries not under C:\\kclrs\\cache\\ (drive letter, backslashes): $bad"
expect_rc "windows print-command powershell" 0 "${wk[@]}" print-command --sample --format powershell \
  --java "$win_java" --cache-dir "$win_cache"
grep -qF "& '$win_java'" "$work/last.out" || fail "print-command --format powershell: no \`& '$win_java'\`: $(cat "$work/last.out")"
grep -qF -e "'-cp' '" "$work/last.out" || grep -qF -e "-cp '" "$work/last.out" ||
  fail "print-command --format powershell: the classpath is not one quoted word: $(cat "$work/last.out")"
for code in 0 37; do
  expect_rc "windows run (stub java exits $code)" "$code" env KCLRS_STUB_EXIT=$code "${wk[@]}" run --sample \
    --java "$win_java" --cache-dir "$win_cache" --offline
  grep -qx 'arg=software.amazon.kinesis.multilang.MultiLangDaemon' <(tr -d '\r' <"$work/last.out") ||
    fail "windows run: the stub java.exe did not get the daemon's class: $(cat "$work/last.out")"
done
corrupt_then_verify "$win_target" "$cdrive/kclrs/cache" "$win_cache" "${wk[@]}"
step "Windows binary under wine"

# --- 5. x86_64 wheels in fresh venvs, without Rust on PATH -------------------------------------
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=
stripped=
IFS=: read -ra dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  case "$dir" in '' | *rustup* | */.cargo/bin | */.cargo/bin/ | "$cargo_home/bin" | "$TOOLS/bin") continue ;; esac
  stripped=${stripped:+$stripped:}$dir
done
clean_env=(env -i "HOME=$work/home" LANG=C.UTF-8 "PATH=$stripped")
mkdir -p "$work/home"
for tool in cargo rustc rustup; do
  "${clean_env[@]}" sh -c "command -v $tool" >/dev/null && fail "$tool is still on the stripped PATH ($stripped)"
done
for tag in manylinux_2_17_x86_64.manylinux2014_x86_64 musllinux_1_2_x86_64; do
  whl=$out/kclrs-$version-py3-none-$tag.whl
  venv=$work/venv-${tag%%.*}
  python3 -m venv "$venv"
  pip_install=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps)
  if "${pip_install[@]}" "$whl" 2>"$work/pip.err"; then
    :
  else
    # pip rightly refuses a musllinux wheel on this glibc host; the binary is static, so the same
    # venv install is asked for with the wheel's own platform named.
    case "$tag" in musllinux*) ;; *) cat "$work/pip.err" >&2; fail "pip install $whl" ;; esac
    grep -q 'is not a supported wheel on this platform' "$work/pip.err" || { cat "$work/pip.err" >&2; fail "pip install $whl"; }
    # pip takes --platform only with --target: unpack there, then move into the venv's folders.
    unpacked=$work/unpacked-${tag%%.*}
    "${pip_install[@]}" --platform "${tag%%.*}" --only-binary=:all: --target "$unpacked" "$whl" ||
      fail "pip install --platform ${tag%%.*} --target $unpacked $whl"
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
    cp -a "$unpacked/bin/." "$venv/bin/"
    rm -rf "$unpacked/bin"
    cp -a "$unpacked/." "$site/"
    say "${tag%%.*}: pip refuses it on this glibc host (as it must); installed with --platform --target"
  fi
  [ -x "$venv/bin/kclrs" ] || fail "$(basename "$whl"): no kclrs in $venv/bin"
  v1=$(cd "$work/home" && "${clean_env[@]}" "PATH=$venv/bin:$stripped" kclrs --version)
  v2=$(cd "$work/home" && "${clean_env[@]}" "$venv/bin/python" -m kclrs --version)
  [ "$v1" = "kclrs $version" ] && [ "$v2" = "kclrs $version" ] ||
    fail "$(basename "$whl"): kclrs --version '$v1', python -m kclrs --version '$v2', expected 'kclrs $version'"
  say "$(basename "$whl"): kclrs --version and python -m kclrs --version in a fresh venv: $v1"
done
step "x86_64 wheels in fresh venvs"

# --- 6. npm ------------------------------------------------------------------------------------
# An empty project whose package.json names the tarballs of the folder; `overrides` points every
# platform package at its tarball too, so npm itself picks by os/cpu/libc among all five.
npm_project() {
  local dir=$1
  mkdir -p "$dir"
  python3 - "$dir/package.json" "$out/npm" "$version" <<'PY'
import glob, json, os, sys
path, folder, version = sys.argv[1:]
overrides = {}
for tgz in sorted(glob.glob(os.path.join(folder, "kclrs-*-%s.tgz" % version))):
    suffix = os.path.basename(tgz)[len("kclrs-"):-len("-%s.tgz" % version)]
    overrides["@kclrs/" + suffix] = "file:" + tgz
json.dump({"name": "kclrs-npm-check", "version": "1.0.0", "private": True,
           "dependencies": {"kclrs": "file:" + os.path.join(folder, "kclrs-%s.tgz" % version)},
           "overrides": overrides}, open(path, "w"), indent=2)
PY
}
npm_flags=(--offline --no-audit --no-fund --cache "$work/npm-cache" --userconfig "$work/npmrc")
: >"$work/npmrc"
project=${KCLRS_CHECK_NPM_PROJECT:-$work/npm-project}
rm -rf "$project"
npm_project "$project"
t=$(now)
(cd "$project" && npm install "${npm_flags[@]}" >"$work/npm.log" 2>&1) || { cat "$work/npm.log" >&2; fail "npm install --offline in $project"; }
say "npm install --offline: $(elapsed "$t")"
installed=$(cd "$project/node_modules/@kclrs" && ls)
host_pkg=$(npm_suffix x86_64-unknown-linux-gnu linux x64 glibc)
[ "$installed" = "$host_pkg" ] || fail "npm installed @kclrs/{$installed}, expected only $host_pkg on this host"
grep -q '"hasInstallScript"' "$project/package-lock.json" && fail "a package has an install script (package-lock.json says hasInstallScript)"
nv=$(cd "$project" && "${clean_env[@]}" "PATH=$(dirname "$(command -v node)"):$stripped" npx "${npm_flags[@]}" kclrs --version)
[ "$nv" = "kclrs $version" ] || fail "npx kclrs --version printed '$nv'"
(cd "$project" && "${clean_env[@]}" "PATH=$(dirname "$(command -v node)"):$stripped" KCLRS_CACHE_DIR="$work/cache-x86_64-unknown-linux-gnu" \
  npx "${npm_flags[@]}" kclrs print-command --sample >"$work/npx-print.out" 2>"$work/npx-print.err") ||
  { cat "$work/npx-print.err" >&2; fail "npx kclrs print-command --sample"; }
grep -q 'software.amazon.kinesis.multilang.MultiLangDaemon' "$work/npx-print.out" ||
  fail "npx kclrs print-command --sample printed no daemon command: $(cat "$work/npx-print.out")"
# Exit codes and a SIGTERM pass through bin/kclrs.js.
rc=0
(cd "$project" && "${clean_env[@]}" "PATH=$(dirname "$(command -v node)"):$stripped" npx "${npm_flags[@]}" kclrs verify --lockfile /nonexistent) 2>/dev/null || rc=$?
[ "$rc" -eq 3 ] || fail "npx kclrs verify --lockfile /nonexistent exited $rc, kclrs exits 3"
say "npx kclrs --version, print-command --sample, exit code 3 passed back"
# The other platforms: npm must pick their package when told it runs there.
for p in "${PLATFORMS[@]}"; do
  IFS='|' read -r target _ os cpu libc <<<"$p"
  [ "$target" = x86_64-unknown-linux-gnu ] && continue
  d=$work/npm-$target
  npm_project "$d"
  (cd "$d" && npm install "${npm_flags[@]}" --os "$os" --cpu "$cpu" ${libc:+--libc "$libc"} >"$work/npm-$target.log" 2>&1) ||
    { cat "$work/npm-$target.log" >&2; fail "npm install --os $os --cpu $cpu ${libc:+--libc $libc}"; }
  got=$(cd "$d/node_modules/@kclrs" && ls)
  want_pkg=$(npm_suffix "$target" "$os" "$cpu" "$libc")
  [ "$got" = "$want_pkg" ] || fail "npm --os $os --cpu $cpu ${libc:+--libc $libc} installed @kclrs/{$got}, expected $want_pkg"
done
step "npm tarballs (offline install, npx, os/cpu/libc choice)"

say "check.sh: $(elapsed "$started") in all"
echo "release: $passed passed, 0 failed"
