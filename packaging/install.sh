#!/bin/sh
# Installs skiff from a release directory: picks the tarball for this
# machine's architecture, checks it against SHA256SUMS, and installs the
# binary (plus man pages and completions) under PREFIX.
#
#   sh install.sh [--prefix DIR] [--dir DIST_DIR] [--version V]
#
#   --prefix  where to install (default /usr/local: binary in /usr/local/bin)
#   --dir     where skiff-<version>-<arch>.tar.gz and SHA256SUMS are
#             (default: $SKIFF_DIST, else the current directory, else the
#             directory of this script, else ../dist beside it)
#   --version pick this version when the directory holds several
#
# SKIFF_BASE_URL=https://.../v0.1.0 downloads the tarball and SHA256SUMS
# with curl instead. Any checksum mismatch or missing entry refuses to install.
set -eu

prefix=${PREFIX:-/usr/local}
dir=${SKIFF_DIST:-}
version=
base_url=${SKIFF_BASE_URL:-}

fail() { echo "install.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) [ $# -ge 2 ] || fail "--prefix needs a directory"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --dir) [ $# -ge 2 ] || fail "--dir needs a directory"; dir=$2; shift 2 ;;
    --dir=*) dir=${1#*=}; shift ;;
    --version) [ $# -ge 2 ] || fail "--version needs a value"; version=$2; shift 2 ;;
    --version=*) version=${1#*=}; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) fail "unknown argument '$1' (see --help)" ;;
  esac
done

# Debian arch names, as in the artifact names.
machine=${SKIFF_ARCH_OVERRIDE:-$(uname -m)}
case $machine in
  x86_64|amd64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  armv7l|armv8l|armhf) arch=armhf ;;
  armv6l) fail "this is an ARMv6 CPU; skiff's armhf build needs ARMv7 or newer" ;;
  *) fail "no skiff build for this machine ($machine)" ;;
esac

if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  fail "need sha256sum or shasum to verify the download"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ -n "$base_url" ]; then
  [ -n "$version" ] || fail "--version is required with SKIFF_BASE_URL"
  command -v curl >/dev/null 2>&1 || fail "curl is needed to download from $base_url"
  dir=$tmp/download
  mkdir -p "$dir"
  curl -fsSL -o "$dir/SHA256SUMS" "$base_url/SHA256SUMS" || fail "cannot download $base_url/SHA256SUMS"
  curl -fsSL -o "$dir/skiff-$version-$arch.tar.gz" "$base_url/skiff-$version-$arch.tar.gz" \
    || fail "cannot download $base_url/skiff-$version-$arch.tar.gz"
fi

if [ -z "$dir" ]; then
  here=$(cd "$(dirname "$0")" && pwd)
  for d in . "$here" "$here/../dist"; do
    if ls "$d"/skiff-*-"$arch".tar.gz >/dev/null 2>&1; then dir=$d; break; fi
  done
  [ -n "$dir" ] || fail "no skiff-*-$arch.tar.gz here, beside install.sh or in ../dist (use --dir)"
fi

if [ -n "$version" ]; then
  name=skiff-$version-$arch.tar.gz
else
  # Newest version present for this arch.
  name=$(cd "$dir" && ls skiff-*-"$arch".tar.gz 2>/dev/null | sort -V | tail -n 1)
  [ -n "$name" ] || fail "no skiff-*-$arch.tar.gz in $dir"
fi
tarball=$dir/$name
[ -f "$tarball" ] || fail "$tarball not found"
[ -f "$dir/SHA256SUMS" ] || fail "$dir/SHA256SUMS not found: refusing to install an unverified tarball"

# Exact file-name match on the second field of "<sha>  <name>".
want=$(awk -v n="$name" '{ f = $2; sub(/^\*/, "", f) } f == n { print $1; exit }' "$dir/SHA256SUMS")
[ -n "$want" ] || fail "$name has no entry in $dir/SHA256SUMS: refusing to install"
got=$(sha256 "$tarball")
if [ "$got" != "$want" ]; then
  fail "checksum mismatch for $name: SHA256SUMS says $want, file is $got: refusing to install"
fi
echo "install.sh: $name: checksum OK"

tar -xzf "$tarball" -C "$tmp"
src=$tmp/${name%.tar.gz}
[ -x "$src/skiff" ] || fail "$name does not contain ${name%.tar.gz}/skiff"

mkdir -p "$prefix/bin"
# Copy beside the target, then rename: a running skiff is never half-written.
cp "$src/skiff" "$prefix/bin/.skiff.new.$$"
chmod 0755 "$prefix/bin/.skiff.new.$$"
mv -f "$prefix/bin/.skiff.new.$$" "$prefix/bin/skiff"

if [ -d "$src/man/man1" ]; then
  mkdir -p "$prefix/share/man/man1"
  cp "$src"/man/man1/*.1 "$prefix/share/man/man1/"
fi
if [ -d "$src/completions" ]; then
  mkdir -p "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" \
    "$prefix/share/fish/vendor_completions.d"
  cp "$src/completions/skiff.bash" "$prefix/share/bash-completion/completions/skiff"
  cp "$src/completions/_skiff" "$prefix/share/zsh/site-functions/_skiff"
  cp "$src/completions/skiff.fish" "$prefix/share/fish/vendor_completions.d/skiff.fish"
fi

echo "install.sh: installed $prefix/bin/skiff (${name%.tar.gz})"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "install.sh: note: $prefix/bin is not on PATH" ;;
esac
