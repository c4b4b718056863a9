#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for SECONDS (default 20), failing if any input
# crashes, hangs (> 10 s) or needs more than 1 GiB. The committed seeds in fuzz/corpus/ are
# read only; what libFuzzer discovers goes to a temporary folder that is removed afterwards.
# A failing input is kept in fuzz/artifacts/ (ignored by git) to turn into a unit test.
#
# Usage: bash fuzz/run.sh [SECONDS]     (KCLRS_FUZZ_TARGETS="pom version" limits the targets)
set -euo pipefail

seconds="${1:-20}"
cargo_fuzz_version="0.13.1"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."

# cargo-fuzz needs nightly-only rustc flags; the stable toolchain accepts them with
# RUSTC_BOOTSTRAP=1, which is set for these builds only.
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version 2>/dev/null | grep -qF "$cargo_fuzz_version"; then
    echo "fuzz: installing cargo-fuzz $cargo_fuzz_version" >&2
    cargo install cargo-fuzz --locked --version "$cargo_fuzz_version"
fi

# No sanitizer: kclrs forbids unsafe code, so the bugs to find are panics, overflows (debug
# assertions are on), hangs and memory blow-ups, and the run is several times faster.
build_flags=(--sanitizer none --debug-assertions)
cargo fuzz build "${build_flags[@]}"
bin_dir="$here/target/$(rustc -vV | sed -n 's/^host: //p')/release"

max_len() {
    case "$1" in
        version) echo 512 ;;
        lockfile | properties | settings) echo 16384 ;;
        *) echo 65536 ;;
    esac
}

work="$(mktemp -d "${TMPDIR:-/tmp}/kclrs-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
targets="${KCLRS_FUZZ_TARGETS:-$(cargo fuzz list)}"
failed=()
summary=()
for target in $targets; do
    mkdir -p "$work/$target" "$work/artifacts"
    log="$work/$target.log"
    echo "fuzz: $target for ${seconds}s" >&2
    status=0
    "$bin_dir/$target" "$work/$target" "$here/corpus/$target" \
        -max_total_time="$seconds" -max_len="$(max_len "$target")" \
        -rss_limit_mb=1024 -malloc_limit_mb=1024 -timeout=10 \
        -artifact_prefix="$work/artifacts/$target-" -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
    summary+=("$target: ${runs:-?} executions, exit $status")
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        mkdir -p "$here/artifacts"
        cp "$work/artifacts/$target-"* "$here/artifacts/" 2>/dev/null || true
        grep -v '^#' "$log" | tail -n 40 >&2
        echo "fuzz: $target FAILED (exit $status); inputs kept in fuzz/artifacts/" >&2
    fi
done
printf 'fuzz: %s\n' "${summary[@]}" >&2
passed=$(( ${#summary[@]} - ${#failed[@]} ))
if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz: failing targets: ${failed[*]}" >&2
    echo "fuzz: $passed passed, ${#failed[@]} failed" >&2
    exit 1
fi
echo "fuzz: $passed passed, 0 failed" >&2
