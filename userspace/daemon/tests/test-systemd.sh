#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The systemd units: systemd-analyze verify finds nothing to say (the
# programs they run are the ones built here, the man pages they name are
# userspace/man's), the hardening's exposure stays "OK" or better, and
# the unit starts the daemon the way systemd would (Type=notify: READY=1
# from the ExecStart line itself).
set -u
. "$GRPSECD_TESTS/lib.sh"

command -v systemd-analyze > /dev/null || { echo "systemd-analyze is not installed"; exit 77; }
src=$GRPSECD_TESTS/../systemd
man=$GRPSECD_TESTS/../../man

mkdir -p manpath/man5 manpath/man8
for p in "$man"/*.5; do [ -e "$p" ] && cp "$p" manpath/man5/; done
for p in "$man"/*.8; do [ -e "$p" ] && cp "$p" manpath/man8/; done

n=0
for unit in "$src"/*.service; do
	n=$((n + 1))
	u=$(basename "$unit")
	sed -e "s|/usr/sbin/grpsecd |$grpsecd |" -e "s|/usr/sbin/grpsecctl |$grpsecctl |" \
		"$unit" > "$u"
	grep -q "^ExecStart=$grpsecd " "$u" || fail "$u: ExecStart is not /usr/sbin/grpsecd"
	out=$(MANPATH=$PWD/manpath systemd-analyze verify "$PWD/$u" 2>&1)
	if [ $? = 0 ] && [ -z "$out" ]; then
		pass
	else
		fail "systemd-analyze verify $u:"
		sed 's/^/    | /' <<< "$out"
	fi
	level=$(systemd-analyze security --offline=yes "$PWD/$u" 2>&1 |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
	echo "$u: exposure $level"
	case $level in
	[01].*\ OK | [01].*\ SAFE) pass ;;
	*) fail "$u: exposure \"$level\", want below 2.0" ;;
	esac
	for key in Type=notify ExecReload= ProtectSystem=strict NoNewPrivileges=yes \
		StateDirectory=grpsecd RuntimeDirectory=grpsecd; do
		grep -q "^$key" "$u" && pass || fail "$u: no $key"
	done
done
[ $n -gt 0 ] && pass || fail "no units in $src"

# A unit with a mistake is caught (the check can fail).
sed 's/^NoNewPrivileges=yes/NoNewPrivilege=yes/' grpsecd-manager.service > broken.service
out=$(MANPATH=$PWD/manpath systemd-analyze verify "$PWD/broken.service" 2>&1)
grep -q "Unknown key 'NoNewPrivilege'" <<< "$out" && pass ||
	fail "a misspelt directive went unnoticed: $out"

finish
