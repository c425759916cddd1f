#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A full disk under SQLite: enrollments into an 8 MiB file system (a
# tmpfs in a mount namespace of its own) until it is full.  The store says
# so, every enrollment it acknowledged is whole, none is half-written,
# also after a reopen.  Needs root for the mount.
set -u

helper=$GRPSECD_TESTS/helper-store
if [ "$(id -u)" != 0 ] || ! unshare -m true 2> /dev/null; then
	echo "needs root and mount namespaces for a small file system"
	exit 77
fi
mkdir small
# The master key lives outside the small file system.
exec unshare -m sh -c "mount -t tmpfs -o size=8m,mode=700 tmpfs small &&
	exec '$helper' fill 'sqlite:$PWD/small/manager.db' '$PWD/master.key'"
