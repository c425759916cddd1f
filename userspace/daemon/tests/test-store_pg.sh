#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The storage suite (helper-store) on PostgreSQL, in a cluster this test
# starts and stops; then a database made read-only under a running store.
set -u
# shellcheck source=pg.sh
. "$GRPSECD_TESTS/pg.sh"

helper=$GRPSECD_TESTS/helper-store
pg_start "$PWD/pg" || exit 1
key=$PWD/master.key

"$helper" suite "$pg_db" "$key" "$pg_data" || exit 1
# The suite used up the member ids of its database: others.
echo "-- the server restarts under a running store"
restart="$pgbin/pg_ctl -D $pg_data -w -m fast restart > /dev/null"
[ -n "$pg_user" ] && restart="runuser -u $pg_user -- $restart"
"$helper" reconnect "$(pg_newdb restarts)" "$key" "$restart" || exit 1
ro_db=$(pg_newdb readonly) || exit 1
echo "-- read-only under a running store"
"$helper" readonly "$ro_db" "$key" \
	"$pgbin/psql -X -q -h $pg_dir -U postgres -d readonly -c \"ALTER SYSTEM SET default_transaction_read_only = on\" -c \"SELECT pg_reload_conf()\" > /dev/null && sleep 1" || exit 1
echo "-- read-only at open"
"$helper" readonly "$ro_db" "$key" || exit 1
