#!/usr/bin/env bash
# Builds every release artifact of kclrs into OUTDIR (issue 22), from one compile per platform:
#   wheels    kclrs-<v>-py3-none-<tag>.whl for manylinux2014 and musllinux_1_2 (x86_64, aarch64)
#             and win_amd64, plus the sdist kclrs-<v>.tar.gz (pip builds it where Rust is present);
#   archives  kclrs-<v>-<rust target>.tar.gz (.zip for Windows): the binary and README.md;
#   npm/      `npm pack` tarballs of `kclrs` and of one package per platform, chosen by npm with
#             os/cpu/libc (no postinstall, no download at install);
#   SHA256SUMS over all of it.
# Linux binaries are linked by zig (cargo-zigbuild) against glibc 2.17 or a static musl; Windows
# by mingw-w64. Reproducible: Cargo.lock (--locked), SOURCE_DATE_EPOCH (the last commit's time)
# for every archive entry, --remap-path-prefix/-ffile-prefix-map for the checkout, CARGO_HOME
# and HOME, no PE timestamp. Run it twice (or from another folder) and the bytes are the same.
# Usage: bash release/build.sh OUTDIR   (CARGO_TARGET_DIR is honoured; prints each step's time)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=release/lib.sh
. "$root/release/lib.sh"
out=${1:?usage: release/build.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
started=$(now)
cd "$root"

t=$(now)
bash "$root/release/install-tools.sh" --build-only
say "step tools: $(elapsed "$t")"
export PATH="$TOOLS/bin:$PATH"

version=$(crate_version "$root")
[ -n "$version" ] || fail "no version in Cargo.toml's [package]"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || true)
  [ -n "$SOURCE_DATE_EPOCH" ] ||
    fail "no git history to date the artifacts; hint: set SOURCE_DATE_EPOCH (seconds since 1970)"
fi
export SOURCE_DATE_EPOCH
target_dir=${CARGO_TARGET_DIR:-$root/target}
cargo_home=${CARGO_HOME:-$HOME/.cargo}
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
# Later maps win in rustc, so the most specific comes last; C code (ring) gets the same maps.
maps=("$HOME=/home" "$rustup_home=/rustup" "$cargo_home=/cargo" "$target_dir=/target" "$root=/kclrs")
rustflags=
cflags=
for m in "${maps[@]}"; do
  rustflags+=" --remap-path-prefix=$m"
  cflags+=" -ffile-prefix-map=$m"
done
export CFLAGS="${cflags# }"
export CARGO_INCREMENTAL=0

stage=$target_dir/release-stage
rm -rf "$stage" "$out"/kclrs-* "$out/npm" "$out/SHA256SUMS"
mkdir -p "$stage"

for p in "${PLATFORMS[@]}"; do
  IFS='|' read -r target _ <<<"$p"
  t=$(now)
  flags=$rustflags
  case "$target" in
    *-linux-gnu) build=(cargo zigbuild --target "$target.2.17") ;;
    *-linux-musl) build=(cargo zigbuild --target "$target") ;;
    *-windows-gnu)
      build=(cargo build --target "$target")
      # ld stamps the link time into the PE header unless told not to.
      flags+=" -C link-arg=-Wl,--no-insert-timestamp"
      export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
      ;;
    *) fail "no build recipe for $target" ;;
  esac
  RUSTFLAGS="${flags# }" "${build[@]}" --release --locked --bin kclrs >"$stage/$target.log" 2>&1 ||
    { tail -40 "$stage/$target.log" >&2; fail "${build[*]} --release --locked (log: $stage/$target.log)"; }
  exe=kclrs
  case "$target" in *windows*) exe=kclrs.exe ;; esac
  mkdir -p "$stage/$target"
  cp "$target_dir/$target/release/$exe" "$stage/$target/$exe"
  say "step build $target: $(elapsed "$t") ($(wc -c <"$stage/$target/$exe") bytes)"
done

t=$(now)
KCLRS_PLATFORMS=$(printf '%s\n' "${PLATFORMS[@]}") python3 "$root/release/pack.py" --root "$root" --stage "$stage" --out "$out" --version "$version"
say "step wheels, archives, npm layout: $(elapsed "$t")"

# The sdist: maturin's own (it knows what a PEP 517 build of this crate needs), dated by
# SOURCE_DATE_EPOCH.
t=$(now)
maturin sdist --out "$stage/sdist" >"$stage/sdist.log" 2>&1 || { cat "$stage/sdist.log" >&2; fail "maturin sdist"; }
cp "$stage/sdist/kclrs-$version.tar.gz" "$out/"
say "step sdist: $(elapsed "$t")"

# npm pack writes fixed dates itself; a private cache keeps the user's untouched.
t=$(now)
for dir in "$stage"/npm/*/; do
  (cd "$out/npm" && npm pack --silent --cache "$stage/npm-cache" "$dir" >/dev/null) ||
    fail "npm pack $dir"
done
say "step npm pack: $(elapsed "$t")"

(cd "$out" && find . -type f ! -name SHA256SUMS | sed 's#^\./##' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
(cd "$out" && find . -type f | LC_ALL=C sort | xargs ls -l | awk '{ printf "release: %10d  %s\n", $5, $9 }' >&2)
say "build.sh: $(elapsed "$started") in all"
