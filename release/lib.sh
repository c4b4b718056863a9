# Shared by release/*.sh (sourced): the platform list, the tools venv, timing and messages.
# One list of platforms, so build.sh, check.sh and install-tools.sh cannot drift apart.

# rust target | wheel platform tag | npm os | npm cpu | npm libc ("" = none)
PLATFORMS=(
  "x86_64-unknown-linux-gnu|manylinux_2_17_x86_64.manylinux2014_x86_64|linux|x64|glibc"
  "aarch64-unknown-linux-gnu|manylinux_2_17_aarch64.manylinux2014_aarch64|linux|arm64|glibc"
  "x86_64-unknown-linux-musl|musllinux_1_2_x86_64|linux|x64|musl"
  "aarch64-unknown-linux-musl|musllinux_1_2_aarch64|linux|arm64|musl"
  "x86_64-pc-windows-gnu|win_amd64|win32|x64|"
)
RUST_TARGETS=()
for p in "${PLATFORMS[@]}"; do RUST_TARGETS+=("${p%%|*}"); done

# The pinned Python build tools (release/tools.txt) live outside the checkout, so a fresh clone on
# the same machine reuses them; KCLRS_RELEASE_TOOLS moves them.
TOOLS=${KCLRS_RELEASE_TOOLS:-$HOME/.cache/kclrs-release/tools}

now() { echo "${EPOCHREALTIME:-$(date +%s)}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
say() { echo "release: $*" >&2; }
fail() { echo "release: FAILED: $*" >&2; exit 1; }

# The package version, from Cargo.toml (the one source of it).
crate_version() {
  sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$1/Cargo.toml" | head -1
}
