#!/usr/bin/env bash
# The whole test suite, validators included: installs what the tests run
# (Debian packages with apt-get, PyPI packages into .venv), then runs every test
# with PKGFORGE_REQUIRE_TOOLS=1, under which a missing validator fails its test.
#
# The tests run under strace, which records every program they start; afterwards
# scripts/check-test-packages.py maps each program to its Debian package and fails
# if that package is neither in the list below nor pulled in by one that is (nor
# part of every Debian system). So a program installed by hand on one machine
# cannot keep this script green while a fresh machine goes red.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Every Debian package the tests run, one reason each. Keep it sorted by purpose.
debs=(
  # validators of the rendered outputs (systemd: systemd-analyze verifies contrib's units)
  rpm rpmlint python3-rpm obs-build lintian dpkg-dev debhelper libxml2-utils systemd
  # building the fixtures: dpkg-buildpackage checks their Build-Depends
  build-essential fakeroot make gcc golang-go
  # disk image packages: mkfs.ext4 and debugfs, sfdisk; e2fsck and debugfs check the image
  e2fsprogs fdisk
  # sources, archives and repositories the tests make
  git xz-utils zstd bzip2 rsync createrepo-c
  # obs-build's chroot builds fetch the mirror's packages with LWP
  libwww-perl
  # GNU hello's Build-Depends, as Debian's hello has them (tests/build.rs builds it on the host)
  texinfo help2man
  # keys and signatures for the OpenPGP tests
  gnupg
  # kiwi-ng (from PyPI, in .venv) and its Python
  python3-venv
  # recording the programs the tests start (see above)
  strace
)
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
# Debian 12's kiwi (9.24.56) beside the current one: every description must load with both.
if [ ! -x .venv-kiwi9/bin/python ]; then
  echo "==> python3 -m venv .venv-kiwi9"
  python3 -m venv .venv-kiwi9
fi
echo "==> pip install -r tests/requirements-kiwi9.txt"
.venv-kiwi9/bin/pip install -q --disable-pip-version-check -r tests/requirements-kiwi9.txt

# Every crate of Cargo.lock, for every platform: the tests read the whole lock graph
# offline (`cargo metadata --offline`), and a build only downloads the host's crates.
echo "==> cargo fetch --locked"
cargo fetch --locked

# Debian's programs before anything else the machine carries (a second git under
# /usr/local, say), so the tests run what a fresh Debian system with the list above runs.
export PATH="$PWD/.venv/bin:/usr/lib/obs-build:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
export PKGFORGE_REQUIRE_TOOLS=1
export PKGFORGE_PYTHON="$PWD/.venv/bin/python"
export PKGFORGE_KIWI9_PYTHON="$PWD/.venv-kiwi9/bin/python"

record=target/test-record
rm -rf "$record"
mkdir -p "$record"
# Tests that build a fixture write its Build-Depends here, for the package check.
export PKGFORGE_TEST_RECORD="$PWD/$record"

# Cargo.toml's rust-version is proven, not assumed: the suite below runs with the default
# toolchain, so when that is not the declared version, build everything with the declared
# one too (rustup installs it if needed; without rustup this fails, never skips).
msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
case "$msrv" in *.*.*) msrv_toolchain=$msrv ;; *) msrv_toolchain=$msrv.0 ;; esac
default_rustc=$(rustc --version | cut -d' ' -f2)
if [ "$default_rustc" = "$msrv_toolchain" ]; then
  echo "==> rust-version $msrv: the default toolchain is rustc $default_rustc, the tests below prove it"
else
  echo "==> cargo +$msrv_toolchain check --all-targets (rust-version $msrv; the default is rustc $default_rustc)"
  rustup toolchain list | grep -q "^$msrv_toolchain-" || rustup toolchain install --profile minimal "$msrv_toolchain"
  CARGO_TARGET_DIR=target/msrv cargo "+$msrv_toolchain" check --locked --all-targets
fi

echo "==> cargo build --tests"
cargo test --locked --all-targets --no-run

traced() {
  local log=$1
  shift
  strace -f --seccomp-bpf -z -qq -e trace=execve,chroot,clone,clone3,fork,vfork -e signal=none -s 0 -o "$log" "$@"
}

status=0
# Lints and formatting fail the run like a test does: the [lints] table of Cargo.toml
# denies unwrap, expect and panic outside tests.
echo "==> cargo fmt --check"
cargo fmt --check || status=1
echo "==> cargo clippy --all-targets --locked -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings || status=1

echo "==> cargo test --no-fail-fast"
traced "$record/exec-tests.log" \
  cargo test --locked --all-targets --no-fail-fast -- --test-threads="${PKGFORGE_TEST_THREADS:-2}" \
  2>&1 | tee "$record/cargo-test.out" || status=1

# resolve against the real Debian 12 index, from the mirror apt uses
# (PKGFORGE_DEBIAN_MIRROR overrides it).
echo "==> cargo test --test resolve -- --ignored"
traced "$record/exec-resolve.log" \
  cargo test --locked --test resolve -- --ignored \
  2>&1 | tee "$record/cargo-test-resolve.out" || status=1

# obs-build builds a package in a chroot from the Debian mirror with the rendered
# build configuration, for Debian 12 and 13 (a few minutes; needs root).
echo "==> cargo test --test prjconf -- --ignored"
traced "$record/exec-prjconf.log" \
  cargo test --locked --test prjconf -- --ignored \
  2>&1 | tee "$record/cargo-test-prjconf.out" || status=1

# `pkgforge build` end to end on GNU hello's release tarball from the Debian mirror,
# served from 127.0.0.1: sources, resolve, obs-build in a chroot for Debian 12, rpmbuild
# on the host, each with the smoke test (a few minutes; needs root).
echo "==> cargo test --test build -- --ignored"
traced "$record/exec-build.log" \
  cargo test --locked --test build -- --ignored \
  2>&1 | tee "$record/cargo-test-build.out" || status=1

# The slow tests (need root): kiwi-ng builds the Debian 12 guest root from the Debian
# mirror apt uses (about a minute), and `pkgforge sources` builds a Debian 12 image with
# kiwi-ng for an image package (several minutes).
# One at a time: both run kiwi-ng, whose apt cache (/var/cache/kiwi) takes one lock.
echo "==> cargo test --test kiwi -- --ignored --test-threads=1"
traced "$record/exec-slow.log" \
  cargo test --locked --test kiwi -- --ignored --test-threads=1 \
  2>&1 | tee "$record/cargo-test-slow.out" || status=1

echo "==> the programs the tests ran come from the packages this script installs"
python3 scripts/check-test-packages.py --script scripts/test.sh --repo "$PWD" \
  --build-depends "$record" "$record"/exec-*.log || status=1

# One line for the whole run, from cargo's per-binary results.
cat "$record"/cargo-test*.out | awk '
  /^test result:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i) ~ /^passed;?$/) passed += $(i-1)
      if ($(i) ~ /^failed;?$/) failed += $(i-1)
    }
    binaries++
  }
  END { printf "%d test binaries\nsummary: %d passed, %d failed\n", binaries, passed, failed }'
if [ "$status" -ne 0 ]; then
  echo "FAILED: see the output above" >&2
fi
exit "$status"
