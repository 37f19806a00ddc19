#!/usr/bin/env bash
# pkgforge's benchmarks, side by side with the filesystem floor, renderspec and
# nvchecker. Builds pkgforge and the bench tools (release), installs what the peers need
# (the Debian package `time`, and renderspec and nvchecker from PyPI into a venv of its
# own), then runs bench/bench.py, which prints the table of bench/README.md.
#
#   bash bench/run.sh                      # everything, 5 runs each, medians
#   bash bench/run.sh --only render        # or --only watch, --only scale; --runs N; --packages N;
#                                          # --scale 1000,5000,10000 (the scaling rows)
#
# Environment:
#   CARGO_TARGET_DIR  where both builds go (default: target/ of the repository)
#   BENCH_DIR         work directory (default: /dev/shm/pkgforge-bench, tmpfs, so the
#                     disk's writeback noise stays out of the ratios; set it to a disk
#                     directory to measure that instead)
#   BENCH_VENV        the venv (default: bench/.venv)
#   PKGFORGE          a pkgforge binary to measure instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
for p in time git; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv=${BENCH_VENV:-$root/bench/.venv}
if [ ! -x "$venv/bin/python" ]; then
  echo "==> python3 -m venv $venv" >&2
  python3 -m venv "$venv"
fi
echo "==> pip install -r bench/requirements.txt" >&2
"$venv/bin/pip" install -q --disable-pip-version-check -r bench/requirements.txt

target=${CARGO_TARGET_DIR:-$root/target}
echo "==> cargo build --release (pkgforge, bench tools) into $target" >&2
if [ -z "${PKGFORGE:-}" ]; then
  CARGO_TARGET_DIR=$target cargo build --release --quiet --bin pkgforge
  PKGFORGE=$target/release/pkgforge
fi
CARGO_TARGET_DIR=$target cargo build --release --quiet --manifest-path bench/Cargo.toml

dir=${BENCH_DIR:-/dev/shm/pkgforge-bench}
mkdir -p "$dir"
exec "$venv/bin/python" bench/bench.py --pkgforge "$PKGFORGE" --tools "$target/release" \
  --python "$venv/bin/python" --dir "$dir" --json "$dir/results.json" "$@"
