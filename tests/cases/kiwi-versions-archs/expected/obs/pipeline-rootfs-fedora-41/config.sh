#!/bin/bash
# kiwi config.sh of pipeline-rootfs on fedora-41, rendered by pkgforge from the manifest.
set -euxo pipefail
test -f /.kconfig && . /.kconfig
test -f /.profile && . /.profile

# The agent is the guest's init.
ln -sf /usr/bin/kata-agent /sbin/init
