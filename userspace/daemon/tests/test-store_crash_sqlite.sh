#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kill -9 of a process enrolling through the store, 100 times with random
# timing, on SQLite (crash.sh).  The writer drives store_enroll() itself:
# this tests the storage's durability, not the enrollment server.
set -u
# shellcheck source=crash.sh
. "$GRPSECD_TESTS/crash.sh"

crash_loop "sqlite:$PWD/manager.db" "${GRPSECD_CRASH_ROUNDS:-100}"
