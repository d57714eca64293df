# Shared by the packaging scripts: where things are and how each Debian
# architecture maps onto a Rust target and toolchain. Source it; don't run it.
#
# Arch names are Debian's (amd64, arm64, armhf) because the .deb, the tarball
# and install.sh all speak them.

PKG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Release builds run outside the shared target/ when asked (CI, packaging
# work next to other builds); target/ otherwise, like cargo.
TARGET_DIR=${CARGO_TARGET_DIR:-$PKG_ROOT/target}
ALL_ARCHES="amd64 arm64 armhf"
# armhf builds std from source (-Z build-std), which needs nightly. Pinned
# so a CI run months from now builds with the same compiler that was
# checked here; scripts/install-deps installs it with rust-src.
NIGHTLY_TOOLCHAIN=${SKIFF_NIGHTLY_TOOLCHAIN:-nightly-2026-05-19}
# Stripped binary budget, bytes (issue 6: 12 MB).
SIZE_BUDGET=${SKIFF_SIZE_BUDGET:-12000000}

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# rust_target ARCH: the Rust target triple for a Debian arch.
rust_target() {
  case $1 in
    amd64) echo x86_64-unknown-linux-musl ;;
    arm64) echo aarch64-unknown-linux-musl ;;
    armhf) echo armv7-unknown-linux-musleabihf ;;
    *) die "unknown arch '$1' (want one of: $ALL_ARCHES)" ;;
  esac
}

# binary_path ARCH: where build-static leaves the stripped release binary.
binary_path() { echo "$TARGET_DIR/$(rust_target "$1")/release/skiff"; }

# qemu_user ARCH: the qemu-user runner for a foreign arch ("" on amd64).
qemu_user() {
  case $1 in
    amd64) echo "" ;;
    arm64) echo qemu-aarch64-static ;;
    armhf) echo qemu-arm-static ;;
  esac
}

# skiff_version: the workspace version, from the root Cargo.toml.
skiff_version() {
  sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$PKG_ROOT/Cargo.toml" | head -n1
}

# host_arch: this machine's Debian arch name.
host_arch() {
  case $(uname -m) in
    x86_64) echo amd64 ;;
    aarch64|arm64) echo arm64 ;;
    armv7l|armv8l|armhf) echo armhf ;;
    *) die "unsupported host $(uname -m)" ;;
  esac
}
