#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The storage suite (helper-store) on SQLite, then a read-only database:
# a read-only file or directory, and (as root) a read-only mount.
set -u

helper=$GRPSECD_TESTS/helper-store
key=$PWD/master.key
db=$PWD/manager.db
failed=0

"$helper" suite "sqlite:$db" "$key" "$db" || exit 1
mode=$(stat -c %a "$db")
[ "$mode" = 600 ] || { echo "FAIL: the database was created mode $mode"; failed=1; }

echo "-- read-only file, read-only directory"
mkdir ro && cp "$db" ro/manager.db && chmod 444 ro/manager.db && chmod 555 ro
if [ "$(id -u)" = 0 ]; then
	# Root writes through file modes: run as nobody, who may read it.
	chmod 755 .
	install -m 600 -o nobody "$key" nobody.key
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$helper" readonly "sqlite:$PWD/ro/manager.db" "$PWD/nobody.key" || failed=1
	echo "-- a writable file in a read-only directory (no room for the WAL)"
	chmod 755 ro && chmod 666 ro/manager.db && chmod 555 ro
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$helper" readonly "sqlite:$PWD/ro/manager.db" "$PWD/nobody.key" || failed=1
else
	"$helper" readonly "sqlite:$PWD/ro/manager.db" "$key" || failed=1
fi

if [ "$(id -u)" = 0 ] && unshare -m true 2> /dev/null; then
	echo "-- read-only mount"
	chmod 755 ro && chmod 644 ro/manager.db
	unshare -m sh -c "mount --bind ro ro && mount -o remount,bind,ro ro &&
		exec '$helper' readonly 'sqlite:$PWD/ro/manager.db' '$key'" || failed=1
else
	echo "# read-only mount not tried: needs root and mount namespaces"
fi
exit $failed
