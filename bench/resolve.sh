#!/usr/bin/env bash
# `pkgforge resolve` for the bundled manifest against the full Debian 12 index, cold
# (empty cache: downloads and parses every index) and cached (the indexes from
# .pkgforge-resolve-cache/), and dose-builddebcheck, the Debian archive's own checker,
# on the same build requirements and the same Packages indexes as the peer.
# Usage: bash bench/resolve.sh [RUNS]   (PKGFORGE_DEBIAN_MIRROR overrides the mirror)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
mirror=${PKGFORGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
command -v dose-builddebcheck >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dose-builddebcheck >/dev/null
}
cargo build --release --locked -q
bin=$PWD/target/release/pkgforge
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a packages.toml changelog.toml "$work/"
[ -d templates ] && cp -a templates "$work/"
[ -d patches ] && cp -a patches "$work/"
cat >>"$work/packages.toml" <<EOF

[distros.debian-12]
repositories = [
  { name = "bookworm", url = "$mirror" },
  { name = "bookworm-updates", url = "$mirror" },
  { name = "bookworm-security", url = "$mirror-security" },
]
EOF

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
clock() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc; }

cold=$(for _ in $(seq "$runs"); do
  rm -rf "$work/.pkgforge-resolve-cache"
  clock "$bin" --manifest "$work/packages.toml" -q resolve --distro debian-12
done | median)
cached=$(for _ in $(seq "$runs"); do
  clock "$bin" --manifest "$work/packages.toml" -q resolve --distro debian-12
done | median)
rss=$( { /usr/bin/time -f %M "$bin" --manifest "$work/packages.toml" -q resolve --distro debian-12 2>&1 >/dev/null || true; } | tail -1)
summary=$("$bin" --manifest "$work/packages.toml" -q resolve --distro debian-12 2>/dev/null | head -1 || true)
work_done=$(echo "$summary" | sed -E 's/^[^:]*: ([0-9]+ packages, [0-9]+ requirements).*\(([0-9]+) packages\): (.*)$/\1 against \2 packages: \3/')

# dose-builddebcheck: the same indexes (bookworm-backports included, as the rendered meta
# and `resolve` include it for the Go toolchain), and a Sources stanza per rendered
# debian-12 source package with its Build-Depends.
for suite in bookworm bookworm-updates bookworm-backports; do
  curl -fsS "$mirror/dists/$suite/main/binary-amd64/Packages.xz" | xz -d >>"$work/Packages"
  echo >>"$work/Packages"
done
curl -fsS "$mirror-security/dists/bookworm-security/main/binary-amd64/Packages.xz" | xz -d >>"$work/Packages"
python3 - "$work/Sources" <<'EOF'
import glob, re, sys
out = []
for control in sorted(glob.glob("debian/debian-12/*/debian/control")):
    text = open(control).read()
    source = text.split("\n\n")[0]
    fields = {}
    key = None
    for line in source.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    log = open(control.replace("/control", "/changelog")).readline()
    version = re.search(r"\((.*?)\)", log).group(1)
    out.append(f"Package: {fields['Source']}\nVersion: {version}\nArchitecture: any\n"
               f"Build-Depends: {fields.get('Build-Depends', '')}\n")
open(sys.argv[1], "w").write("\n".join(out))
EOF
dose=$(for _ in $(seq "$runs"); do
  clock dose-builddebcheck --deb-native-arch=amd64 "$work/Packages" "$work/Sources"
done | median)
broken=$(dose-builddebcheck --deb-native-arch=amd64 -f "$work/Packages" "$work/Sources" 2>/dev/null | grep -c '^ *package:' || true)

printf '| benchmark | median | work |\n|---|---|---|\n'
printf '| resolve: pkgforge, debian-12, cold | %.2f s | %s |\n' "$cold" "$work_done; peak RSS $((rss / 1024)) MiB"
printf '| resolve: pkgforge, debian-12, cached | %.2f s | the same; InRelease asked again, indexes from the cache |\n' "$cached"
printf '| resolve: dose-builddebcheck, same indexes | %.2f s | build requirements only, of the uncompressed indexes; %s source package(s) reported broken |\n' "$dose" "$broken"
