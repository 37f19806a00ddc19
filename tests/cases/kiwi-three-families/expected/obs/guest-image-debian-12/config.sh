#!/bin/bash
# kiwi config.sh of guest-image on debian-12, rendered by pkgforge from the manifest.
set -euxo pipefail
test -f /.kconfig && . /.kconfig
test -f /.profile && . /.profile

# Debian calls the unit chrony.service.
systemctl enable chrony.service
