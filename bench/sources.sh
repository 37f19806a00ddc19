#!/usr/bin/env bash
# `pkgforge sources` on GNU hello's manifest, its release tarball served from 127.0.0.1:
# cold (empty .pkgforge-sources-cache/ and obs/hello/: download, sha256 check, write) and
# cached (the tarball taken from the cache by its sha256, nothing downloaded).
# The tarball is bookworm's hello .orig.tar.gz (GNU's hello-<version>.tar.gz), fetched
# once from the Debian mirror apt uses. The bundled Kata manifest's upstreams are on
# github.com; where that is unreachable, this manifest is the one measured.
# Usage: bash bench/sources.sh [RUNS]
#   PKGFORGE_BIN=path  the binary to measure (default: a release build of this checkout)
#   PKGFORGE_DEBIAN_MIRROR overrides the mirror
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
mirror=${PKGFORGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ -z "${PKGFORGE_BIN:-}" ]; then
  cargo build --release --locked -q
  PKGFORGE_BIN=$PWD/target/release/pkgforge
fi
bin=$PKGFORGE_BIN
work=$(mktemp -d)
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid"; rm -rf "$work"' EXIT

curl -fsS -o "$work/Sources.xz" "$mirror/dists/bookworm/main/source/Sources.xz"
stanza=$(xz -dc "$work/Sources.xz" | awk '/^Package: hello$/ {p = 1} p && /^$/ {p = 0} p')
version=$(echo "$stanza" | sed -n 's/^Version: \(.*\)-[^-]*$/\1/p')
orig="hello_$version.orig.tar.gz"
sha256=$(echo "$stanza" | awk -v f="$orig" '/^Checksums-Sha256:/ {c = 1; next} c && $3 == f {print $1; exit}')
mkdir -p "$work/www/gnu/hello" "$work/project"
curl -fsS -o "$work/www/gnu/hello/hello-$version.tar.gz" "$mirror/pool/main/h/hello/$orig"
echo "$sha256  $work/www/gnu/hello/hello-$version.tar.gz" | sha256sum -c --quiet

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done

cat >"$work/project/packages.toml" <<EOF
[project]
name = "hello"
maintainer = "Jane Packager <jane@example.com>"
homepage = "https://www.gnu.org/software/hello/"
license = "GPL-3.0-or-later"
obs-project = "home:jane:hello"
targets = ["fedora-42", "debian-12"]

[upstreams.hello]
tarball = "http://127.0.0.1:$port/gnu/hello/hello-{version}.tar.gz"
sha256 = "$sha256"
version = "$version"

[[packages]]
name = "hello"
upstream = "hello"
summary = "The GNU Hello program"
description = "GNU Hello prints a friendly greeting."
build = "./configure --prefix=/usr --disable-nls\nmake"
files = ["/usr/bin/hello"]
EOF
cat >"$work/project/changelog.toml" <<EOF
[[entry]]
upstream = "hello"
version = "$version"
date = "2026-11-30T12:00:00Z"
author = "Jane Packager <jane@example.com>"
changes = ["Initial package"]
EOF
m=$work/project/packages.toml
"$bin" --manifest "$m" -q render

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
clock() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); printf "%.3f\n" "$(echo "$e - $s" | bc)"; }

cold=$(for _ in $(seq "$runs"); do
  rm -rf "$work/project/.pkgforge-sources-cache" "$work/project/obs/hello/hello-$version.tar.gz"
  clock "$bin" --manifest "$m" -q sources
done | median)
cached=$(for _ in $(seq "$runs"); do
  clock "$bin" --manifest "$m" -q sources
done | median)
said=$("$bin" --manifest "$m" sources 2>&1 | tail -1)
size=$(stat -c %s "$work/www/gnu/hello/hello-$version.tar.gz")

echo "binary: $bin"
echo "hello $version, $size bytes, served from 127.0.0.1; median of $runs runs"
echo "sources cold:   ${cold} s"
echo "sources cached: ${cached} s  ($said)"
