#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The backend with a full database (test-backend full, on an 8 MiB tmpfs
# in a mount namespace of its own, filled up): opened messages wait and
# no batch is read until the replay state is saved; once there is room
# again every message comes once.  Needs root for the mount.
set -u

if [ "$(id -u)" != 0 ] || ! unshare -m true 2> /dev/null; then
	echo "needs root and mount namespaces for a small file system"
	exit 77
fi
mkdir small
exec unshare -m sh -c "mount -t tmpfs -o size=8m,mode=700 tmpfs small &&
	exec '$GRPSECD_TESTS/test-backend' full small"
