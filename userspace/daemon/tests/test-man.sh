#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The man pages render without a warning and stay true to the code:
# every key of grpsecd.conf's tables is in grpsecd.conf(5), every
# grpsecctl command in grpsecctl(8), every metric family in grpsecd(8).
set -u
. "$GRPSECD_TESTS/lib.sh"

src=$GRPSECD_TESTS/..
man=$src/../man
command -v man > /dev/null || { echo "man is not installed"; exit 77; }

for page in grpsecd.8 grpsecd.conf.5 grpsecctl.8; do
	if [ ! -f "$man/$page" ]; then
		fail "no $page"
		continue
	fi
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man/$page" 2>&1 > /dev/null)
	[ -z "$out" ] && pass || { fail "$page renders with warnings:"; sed 's/^/    | /' <<< "$out"; }
done

# text PAGE: the page as text, hyphens plain.
text() { LC_ALL=C MANWIDTH=200 man -l "$man/$1" 2> /dev/null | col -b; }

conf=$(text grpsecd.conf.5)
for key in $(sed -n 's/^\t\(KEY\|NUM\|LIST\)("\([A-Za-z]*\)".*/\2/p' "$src/conf.c"); do
	grep -q "^ *$key = " <<< "$conf" && pass || fail "grpsecd.conf(5) lacks $key"
done
for sec in $(sed -n 's/^\t\[SEC_[A-Z]*\] = { "\([A-Za-z]*\)".*/\1/p' "$src/conf.c"); do
	grep -q "^\[$sec\]" <<< "$conf" && pass || fail "grpsecd.conf(5) lacks [$sec]"
done

ctl=$(text grpsecctl.8)
for cmd in $(sed -n 's/^\t{ "\([a-z]*\)", [0-9], .*/\1/p' "$src/grpsecctl.c"); do
	grep -qE "^ {7}$cmd( |$)" <<< "$ctl" && pass || fail "grpsecctl(8) lacks $cmd"
done

d=$(text grpsecd.8)
for fam in $(sed -n 's/^\t{ "\(grpsecd_[a-z_]*\)",.*/\1/p' "$src/metrics.c"); do
	grep -q "^ *$fam" <<< "$d" && pass || fail "grpsecd(8) lacks $fam"
done
[ "$checks_passed" -gt 30 ] || fail "only $checks_passed checks: the extraction from the sources broke"

finish
