#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# grpsecd's host tests: runs every tests/test-*.sh and every test program
# (tests/test-*, built from test-*.c) and prints one TAP line each:
#
#   ok 1 - conf_errors
#   not ok 2 - reload
#   ok 3 - metrics # SKIP python3-prometheus-client is not installed
#
# A test passes with exit 0, is skipped with exit 77 (its last line says
# why) and fails otherwise; a failing test's last lines follow its
# "not ok" line as "# " comments.  Each runs in a fresh directory (its
# working directory and TMPDIR), with a time limit, its output kept in
# LOGDIR/NAME.log.  Exits 1 when a test failed or none was found.
#
#   tests/run.sh [-l LOGDIR] [NAME...]
#
# The tests find the programs in $GRPSECD and $GRPSECCTL (default: the
# ones built here) and the helpers in $GRPSECD_TESTS/lib.sh.
set -u

here=$(cd "$(dirname "$0")" && pwd)
logdir=$here/logs
if [ "${1:-}" = -l ]; then
	logdir=$2
	shift 2
fi
mkdir -p "$logdir" || exit 1
export GRPSECD=${GRPSECD:-$here/../grpsecd}
export GRPSECCTL=${GRPSECCTL:-$here/../grpsecctl}
export GRPSECD_TESTS=$here
timeout=${GRPSECD_TEST_TIMEOUT:-300}

# The tests to run: all of them, or those named.
list_tests()
{
	local f name
	for f in "$here"/test-*; do
		case $f in
		*.c | *.o | *.h) continue ;;
		*.sh) ;;
		*) [ -x "$f" ] || continue ;;
		esac
		name=${f##*/test-}
		name=${name%.sh}
		if [ $# = 0 ] || [[ " $* " == *" $name "* ]]; then
			echo "$name $f"
		fi
	done
}

n=0
failed=0
while read -r name f; do
	n=$((n + 1))
	log=$logdir/$name.log
	dir=$(mktemp -d "${TMPDIR:-/tmp}/grpsecd-$name.XXXXXX")
	(cd "$dir" && TMPDIR=$dir exec timeout -k 5 "$timeout" "$f") \
		> "$log" 2>&1 < /dev/null
	rc=$?
	rm -rf "$dir"
	case $rc in
	0)
		echo "ok $n - $name" ;;
	77)
		echo "ok $n - $name # SKIP $(tail -n 1 "$log")" ;;
	*)
		failed=$((failed + 1))
		[ $rc = 124 ] && echo "timed out after $timeout s" >> "$log"
		echo "not ok $n - $name"
		tail -n 20 "$log" | sed 's/^/# /' ;;
	esac
done < <(list_tests "$@")
echo "1..$n"
if [ $n = 0 ]; then
	echo "# no tests found in $here" >&2
	exit 1
fi
[ $failed = 0 ]
