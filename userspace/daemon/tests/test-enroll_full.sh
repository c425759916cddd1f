#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The manager's database full during enrollment: the device is refused
# with reason "internal" and a line that says so, nothing is
# half-written, and enrollment works again once there is room.  (A store
# that turns read-only is store_sqlite_full's and store_pg_full's.)  The
# database lives on a 4 MiB tmpfs in a mount namespace of the test's own
# (needs root).
set -u
if [ -z "${ENROLL_IN_NS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! unshare -m true 2> /dev/null; then
		echo "needs root and mount namespaces for a small file system"
		exit 77
	fi
	ENROLL_IN_NS=1 exec unshare -m "$0" "$@"
fi
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"

mkdir small
mount -t tmpfs -o size=4m,mode=700 tmpfs small || { echo "cannot mount a tmpfs"; exit 77; }
pki > pki.log 2>&1 || { cat pki.log; exit 1; }
ENROLL_DB=$PWD/small/manager.db
enroll_conf m.conf
start_enroll_manager m.conf
expect 0 '^member=1 ' enroll_psk psk-0001 sha256 --group 7,8

# Full: every byte of the file system taken.
dd if=/dev/zero of=small/fill bs=64k > /dev/null 2>&1
before=$(db_rows)
expect 3 'refused \(internal\): the manager could not record the enrollment \(storage full\)' \
	enroll_cert meter1 --group 7,8
log_has 'refused, internal: '
rm small/fill
[ "$(db_rows)" = "$before" ] && pass || fail "a refused enrollment left rows: $before, then $(db_rows)"
expect 0 '^member=[0-9]+ groups=7,8 ' enroll_cert meter1 --group 7,8

stop_daemons
umount small
finish
