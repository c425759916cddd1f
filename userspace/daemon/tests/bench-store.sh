#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The storage and backend benchmark (a measurement, not a test; make -C
# userspace/daemon bench-store): store_enroll() per second on SQLite and
# on a throw-away PostgreSQL cluster (pg.sh), each enrollment one
# committed transaction; and backend.c's messages per CPU second, batches
# of 32 from 100 and from 10,000 identified members over UDP, the replay
# state saved before every delivery, the records read by an application.
#
#   bench-store.sh [-n ENROLLMENTS] [-b BATCHES]
set -u
n=2000
batches=4000
while getopts n:b: o; do
	case $o in
	n) n=$OPTARG ;;
	b) batches=$OPTARG ;;
	*) echo "usage: bench-store.sh [-n ENROLLMENTS] [-b BATCHES]" >&2; exit 1 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
export GRPSECD_TESTS=$here
work=$(mktemp -d "${TMPDIR:-/var/tmp}/grpsecd-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
bench=$here/helper-bench

"$bench" store "sqlite:$work/store.db" "$work/master.key" "$n" || exit 1
(
	# shellcheck source=pg.sh
	. "$here/pg.sh"
	pg_start "$work/pg" > /dev/null || exit 0
	"$bench" store "$pg_db" "$work/master.key" "$n"
	pg_stop
)
for members in 100 10000; do
	"$bench" backend "$work/master.key" "$members" "$batches" 2> /dev/null || exit 1
done
