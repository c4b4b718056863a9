#!/usr/bin/env bash
# Times `kclrs lock` on the KCL closure with every POM already local (the warm case): the
# re-resolution `lock --check` does (POMs, parents, BOMs, metadata; no jar reads), and a full
# `lock` (resolution plus reading, hashing and class-scanning every jar). Uses the Maven test
# repository filled by tests/prepare.sh (override with KCLRS_TEST_M2) and hyperfine.
# Usage: bash bench/lock.sh   (builds the release binary first)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
[ -d "$m2" ] || { echo "bench: $m2 is missing; run bash tests/prepare.sh" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin=$here/target/release/kclrs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" lock --maven-repo-local "$m2" -o "$work/jars.lock" --json
# The same repository as a --repository: its POMs land in the kclrs cache on the first run.
remote=(--no-local-repo --repository "file://$m2" --cache-dir "$work/cache")
"$bin" lock --check -q "${remote[@]}" -o "$work/jars.lock"
hyperfine --warmup 3 --runs 20 \
  -n "re-resolve (lock --check)" "$bin lock --check -q --maven-repo-local $m2 -o $work/jars.lock" \
  -n "re-resolve, POMs from the kclrs cache" "$bin lock --check -q ${remote[*]} -o $work/jars.lock" \
  -n "full lock (resolve + hash jars)" "$bin lock -q --maven-repo-local $m2 -o $work/out.lock"
