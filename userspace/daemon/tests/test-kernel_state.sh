#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The gateway's state file (kernel.c, grpsecd.rst "Nonce counters across
# restarts") is read before anything talks to the kernel: each bad line
# stops the start with FILE:LINE and what is wrong, and nothing is
# written over it; good files and a missing one get past it (to the
# kernel, absent on a build host).
set -u
. "$GRPSECD_TESTS/lib.sh"

helper=$GRPSECD_TESTS/helper-kernel
head -c 32 /dev/urandom > s_auth

# run_with CONTENT: the helper on a state file holding CONTENT.
run_with()
{
	printf '%b' "$1" > gw.state
	"$helper" apply --groups 1 --members 1 --epoch 1 --s-auth s_auth \
		--state "$PWD/gw.state"
}

expect 1 'gw.state:3: unknown name "bogus"' \
	run_with '# reserved\ngateway-seq 5\nbogus 7\n'
expect 1 'gw.state:1: expected "NAME VALUE"' run_with 'gateway-seq many\n'
expect 1 'gw.state:1: expected "NAME VALUE"' run_with 'batch-seq 1 2\n'
expect 1 'gw.state:2: "batch-seq" given twice' run_with 'batch-seq 1\nbatch-seq 2\n'
expect 1 'gw.state:1: unknown name "cmd-seq.0"' run_with 'cmd-seq.0 9\n'
expect 1 'gw.state:1: expected "NAME VALUE"' run_with 'gateway-seq -1\n'
# A refused file is left as it was.
grep -qx 'gateway-seq -1' gw.state && pass || fail "the refused file was rewritten"

# Members' replay floors: last-seq.GROUP.MEMBER, both from 1, once each.
expect 1 'gw.state:3: "last-seq.2.9" given twice' \
	run_with 'last-seq.2.9 5\nlast-seq.1.9 5\nlast-seq.2.9 6\n'
expect 1 'gw.state:1: unknown name "last-seq.1"' run_with 'last-seq.1 5\n'
expect 1 'gw.state:1: unknown name "last-seq.0.1"' run_with 'last-seq.0.1 5\n'
expect 1 'gw.state:1: unknown name "last-seq.1.0"' run_with 'last-seq.1.0 5\n'
expect 1 'gw.state:1: unknown name "last-seq.1.2.3"' run_with 'last-seq.1.2.3 5\n'
expect 1 'gw.state:1: unknown name "last-seq..2"' run_with 'last-seq..2 5\n'
expect 1 'gw.state:2: expected "NAME VALUE"' run_with 'gateway-seq 1\nlast-seq.1.2 x\n'

# Good files, and none at all, get past the file to the kernel.
for content in '' '# nothing yet\n' \
	'gateway-seq 18446744069414584320\nbatch-seq 1\ncmd-seq.7 2\n\n' \
	'last-seq.4294967295.4294967295 18446744073709551615\nlast-seq.1.1 0\n'; do
	out=$(run_with "$content" 2>&1)
	if grep -q 'gw.state' <<< "$out"; then
		fail "a good file is refused: $out"
	else
		pass
	fi
done
rm -f gw.state
out=$("$helper" apply --groups 1 --members 1 --epoch 1 --s-auth s_auth \
	--state "$PWD/gw.state" 2>&1)
! grep -q 'gw.state' <<< "$out" && pass || fail "a missing file is refused: $out"
finish
