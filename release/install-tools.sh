#!/usr/bin/env bash
# Installs, by package name and idempotently, every tool release/build.sh and release/check.sh
# use, so a fresh machine gets what this one was given by hand: Rust targets (rustup), the Python
# build tools in their own venv (pip: maturin, ziglang, cargo-zigbuild, auditwheel), and Debian's
# cross linkers and emulators (apt: mingw-w64 for Windows, the aarch64 C library for qemu-aarch64,
# qemu-user, wine with its 32-bit half). `--build-only` skips the emulators (build.sh needs none).
# Prints what it installed and how long it took; a second run installs nothing and takes ~1 s.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=release/lib.sh
. "$root/release/lib.sh"

build_only=false
[ "${1:-}" = --build-only ] && build_only=true
t=$(now)

# --- Rust targets ------------------------------------------------------------------------------
have=$(rustup target list --installed)
for target in "${RUST_TARGETS[@]}"; do
  grep -qx "$target" <<<"$have" || { say "rustup target add $target"; rustup target add "$target" >&2; }
done

# --- Python build tools, pinned, in one venv outside the checkout (kept between clones) ---------
if ! "$TOOLS/bin/python" -c 'import sys' 2>/dev/null || ! cmp -s "$root/release/tools.txt" "$TOOLS/tools.txt"; then
  say "pip install -r release/tools.txt into $TOOLS"
  rm -rf "$TOOLS"
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/release/tools.txt"
  cp "$root/release/tools.txt" "$TOOLS/tools.txt"
fi

# --- Debian packages ---------------------------------------------------------------------------
debs=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 zip)
$build_only || debs+=(qemu-user libc6-arm64-cross libc6-dev-arm64-cross gcc-aarch64-linux-gnu wine wine64 wine32:i386)
missing=()
for deb in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q 'install ok installed' || missing+=("$deb")
done
if [ "${#missing[@]}" -gt 0 ]; then
  case " ${missing[*]} " in
    *:i386*) dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386 ;;
  esac
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
say "tools ready in $(elapsed "$t")"
