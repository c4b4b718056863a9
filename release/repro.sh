#!/usr/bin/env bash
# Reproducibility check of release/build.sh (issue 22): builds the same checkout a second time
# from another folder, with the target dir copied to another folder too (so the dependencies are
# reused but every path of the build differs), and requires the same bytes for every binary and
# every artifact: SHA256SUMS of both runs must be equal. A build-machine path leaking into a
# binary (no --remap-path-prefix) or a timestamp shows up as a differing line.
# Usage: bash release/repro.sh OUTDIR   (OUTDIR written by release/build.sh from this checkout;
# CARGO_TARGET_DIR as for that run). Uncommitted files are copied too, so it also works mid-edit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=release/lib.sh
. "$root/release/lib.sh"
first=$(cd "${1:?usage: release/repro.sh OUTDIR (written by release/build.sh)}" && pwd)
[ -f "$first/SHA256SUMS" ] || fail "no SHA256SUMS in $first; hint: run \`bash release/build.sh $1\` first"
target_dir=${CARGO_TARGET_DIR:-$root/target}
started=$(now)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
other=$work/elsewhere/kclrs
mkdir -p "$other"
t=$(now)
# The checkout as git sees it (tracked and new, not ignored files); .git is a file in a worktree.
(cd "$root" && git ls-files -z -c -o --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$other"
cp -a "$root/.git" "$other/.git" 2>/dev/null || true
# Host build scripts and proc macros (release/) and each platform's release dir; not debug/.
mkdir -p "$work/target"
for rel in release "${RUST_TARGETS[@]}"; do
  [ -d "$target_dir/$rel" ] || continue
  mkdir -p "$work/target/$rel"
  cp -a "$target_dir/$rel/." "$work/target/$rel/"
done
rm -rf "$work/target/release-stage"
say "step copy checkout and target dir: $(elapsed "$t")"

t=$(now)
CARGO_TARGET_DIR=$work/target bash "$other/release/build.sh" "$work/out" >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log" >&2; fail "the second build (log above)"; }
grep '^release: step' "$work/build.log" >&2 || true
say "step second build: $(elapsed "$t")"

# The binaries first (what the issue asks), then every artifact (these also need the same commit:
# the archives hold README.md and are dated by the last commit).
bad=()
for target in "${RUST_TARGETS[@]}"; do
  a=$(ls "$target_dir/release-stage/$target"/kclrs*)
  b=$(ls "$work/target/release-stage/$target"/kclrs*)
  if cmp -s "$a" "$b"; then say "$target: the binary is byte-identical"; else
    say "$target: the binary DIFFERS ($(cmp -l "$a" "$b" | wc -l) bytes)"
    bad+=("$target")
  fi
done
[ "${#bad[@]}" -eq 0 ] || fail "not reproducible from another folder: ${bad[*]}"
if ! diff <(cat "$first/SHA256SUMS") <(cat "$work/out/SHA256SUMS") >"$work/diff"; then
  cat "$work/diff" >&2
  fail "the binaries match but the second build's artifacts differ from $first (< first, > second); was $first built from this commit?"
fi
say "reproducible: $(wc -l <"$first/SHA256SUMS") files byte-identical from $root and $other"
say "repro.sh: $(elapsed "$started") in all"
