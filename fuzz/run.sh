#!/usr/bin/env bash
# Fuzz every target for a bounded time:
#
#   fuzz/run.sh [SECONDS] [TARGET...]     # default 60 seconds each; targets: load render fields
#
# Uses cargo-fuzz (`cargo install cargo-fuzz`) and libFuzzer with AddressSanitizer.
# cargo-fuzz needs a nightly compiler for its -Z flags; on a stable toolchain
# RUSTC_BOOTSTRAP=1 (set here) lets stable accept them. The corpus of `load` and
# `render` is seeded from every manifest under tests/ and the bundled one, that of
# `fields` (hostile values in every field of a valid manifest) from fuzz/seeds/fields/;
# manifest.dict gives libFuzzer the manifest's keys. Crashes land in
# fuzz/artifacts/<target>/.
# Copy each crash input to fuzz/regressions/<target>-<what>.bin once fixed:
# tests/fuzz_regressions.rs replays them in `cargo test`.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(load render fields)
export RUSTC_BOOTSTRAP=1
# cargo-fuzz builds into fuzz/target; a CARGO_TARGET_DIR meant for the main crate would
# mix sanitizer builds into it.
unset CARGO_TARGET_DIR

seed() {
    local out=$1 d cl name
    mkdir -p "$out"
    for d in ../tests/cases/* ../tests/bad/* ../tests/hostile/* ..; do
        [ -f "$d/packages.toml" ] || continue
        cl="$d/changelog.toml"
        [ -f "$cl" ] || cl=../tests/bad/changelog.toml
        [ -f "$cl" ] || cl=/dev/null
        name=$(basename "$(cd "$d" && pwd)")
        { cat "$d/packages.toml"; printf '\0'; cat "$cl"; } > "$out/seed-$name"
    done
}

failed=()
for t in "${targets[@]}"; do
    if [ -d "seeds/$t" ]; then
        mkdir -p "corpus/$t" && cp seeds/"$t"/* "corpus/$t/"
    else
        seed "corpus/$t"
    fi
    echo "==> fuzzing $t for ${secs}s"
    if ! cargo fuzz run "$t" "corpus/$t" -- -dict="$PWD/manifest.dict" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1; then
        failed+=("$t")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashes in: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
    exit 1
fi
echo "no crashes in: ${targets[*]}"
