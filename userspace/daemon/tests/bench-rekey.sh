#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The manager's rekey benchmark (a measurement, not a test; make -C
# userspace/daemon bench-rekey): rekey.c rekeys an anonymous group of
# 1,000 and of 10,000 members (SQLite), at RekeyRate 100 (the group in a
# second, the fastest the pacing allows) and at the default 20; printed:
# whether the pass kept to the pacing, its CPU per member (the body
# sealed, signed and wrapped, its sequence reserved), the bytes per
# body, and the CPU of the gateway's HEARD for every member.
#
#   bench-rekey.sh [MEMBERS...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
for n in "${sizes[@]}"; do
	for rate in 100 20; do
		work=$(mktemp -d "${TMPDIR:-/var/tmp}/grpsecd-bench.XXXXXX")
		"$here/helper-bench" rekey "$work" "$n" "$rate" 2> "$work/log" ||
			{ cat "$work/log" >&2; rm -rf "$work"; exit 1; }
		rm -rf "$work"
	done
done
