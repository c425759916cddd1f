#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# grpsecctl's bash completion: commands, options, and group and device
# ids asked of the running daemon.
set -u
. "$GRPSECD_TESTS/lib.sh"

bc=/usr/share/bash-completion/bash_completion
[ -f "$bc" ] || { echo "bash-completion is not installed"; exit 77; }
. "$bc"
. "$GRPSECD_TESTS/../../completion/grpsecctl"
mkdir -p bin
ln -s "$grpsecctl" bin/grpsecctl
PATH=$PWD/bin:$PATH

# complete WORDS...: what completing the last word offers, sorted.
complete_words()
{
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_grpsecctl grpsecctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

check_words()
{
	local want=$1 got
	shift
	got=$(complete_words "$@")
	[ "$got" = "$want" ] && pass || fail "completing \"$*\": \"$got\", want \"$want\""
}

check_words "rekey reload revoke " grpsecctl re
check_words "--help --json --socket --version " grpsecctl --
manager_conf "$PWD/m.conf" '[Group]' 'Id = 20'
start_manager m.conf || exit 1
store_helper enroll CN=x cert 10 > /dev/null || fail "helper: enroll"
check_words "10 20 " grpsecctl -s "$sock" members ''
check_words "20 " grpsecctl -s "$sock" rekey 2
check_words "1 " grpsecctl -s "$sock" revoke ''

finish
