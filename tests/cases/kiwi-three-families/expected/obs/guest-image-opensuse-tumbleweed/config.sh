#!/bin/bash
# kiwi config.sh of guest-image on opensuse-tumbleweed, rendered by pkgforge from the manifest.
set -euxo pipefail
test -f /.kconfig && . /.kconfig
test -f /.profile && . /.profile

# Only the agent runs in the guest.
systemctl mask systemd-networkd.service || true
