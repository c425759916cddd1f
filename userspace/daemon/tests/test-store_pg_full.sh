#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A full disk under PostgreSQL: the cluster's data directory on a tmpfs
# (in a mount namespace of its own) shrunk to a few MiB above what it
# holds, its WAL on the test's own disk (PostgreSQL stops, by design,
# when it cannot write WAL).  Enrollments until the data files cannot
# grow: -ENOSPC with a clear line, every acknowledged enrollment whole,
# none half-written, also after a reopen.  Needs root for the mount.
set -u

if [ "$(id -u)" != 0 ] || ! unshare -m true 2> /dev/null; then
	echo "needs root and mount namespaces for a small file system"
	exit 77
fi
if [ -z "${GRPSECD_IN_NS:-}" ]; then
	GRPSECD_IN_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
# shellcheck source=pg.sh
. "$GRPSECD_TESTS/pg.sh"

mkdir -p pg/data
mount -t tmpfs -o size=256m,mode=755 tmpfs pg/data || exit 1
pg_initdb_args="--waldir=$PWD/pg/wal"
pg_start "$PWD/pg" || exit 1
# The schema first, then no room to grow.
"$GRPSECD_TESTS/helper-store" init "$pg_db" "$PWD/master.key" || exit 1
pg_run "$pgbin/psql" -X -q -h "$pg_dir" -U postgres -d grpsec -c CHECKPOINT
used=$(du -sk pg/data | cut -f1)
mount -o remount,size=$((used + 3072))k pg/data || exit 1
echo "data directory: $used KiB used, $((used + 3072)) KiB in all"
"$GRPSECD_TESTS/helper-store" fill "$pg_db" "$PWD/master.key"
