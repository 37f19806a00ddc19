#!/usr/bin/env bash
# The whole test suite, validators included: installs what the tests run
# (Debian packages with apt-get, PyPI packages into .venv), then runs every test
# with PKGFORGE_REQUIRE_TOOLS=1, under which a missing validator fails its test.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

debs=(rpm rpmlint obs-build lintian dpkg-dev debhelper fakeroot build-essential
      libxml2-utils python3-rpm python3-venv git xz-utils rsync zstd gnupg)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> python3 -m venv .venv"
  python3 -m venv .venv
fi
echo "==> pip install -r tests/requirements.txt"
.venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt

export PATH="$PWD/.venv/bin:/usr/lib/obs-build:$PATH"
export PKGFORGE_REQUIRE_TOOLS=1
export PKGFORGE_PYTHON="$PWD/.venv/bin/python"

echo "==> cargo test"
cargo test --locked --all-targets -- --test-threads="${PKGFORGE_TEST_THREADS:-2}"

# The slow test: kiwi-ng builds the Debian 12 guest root from the Debian mirror apt uses
# (about a minute; needs root).
echo "==> cargo test --test kiwi -- --ignored"
cargo test --locked --test kiwi -- --ignored
