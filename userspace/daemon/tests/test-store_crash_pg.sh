#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kill -9 of a process enrolling through the store, 50 times with random
# timing, on PostgreSQL (crash.sh, pg.sh).  The writer drives
# store_enroll() itself: this tests the storage's durability, not the
# enrollment server.
set -u
# shellcheck source=pg.sh
. "$GRPSECD_TESTS/pg.sh"
# shellcheck source=crash.sh
. "$GRPSECD_TESTS/crash.sh"

pg_start "$PWD/pg" || exit 1
crash_loop "$pg_db" "${GRPSECD_CRASH_ROUNDS:-50}"
