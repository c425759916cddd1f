#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module as an operator sees it: modinfo grpsec shows a description,
# an author, the license, the version "grpsec version" prints, and the
# generic netlink family alias that lets the tool load it; every module
# parameter is described.  A plain "modprobe grpsec" loads it from where
# depmod put it and pulls in what it depends on (udp_tunnel and
# ip6_udp_tunnel, when the kernel has them as modules, as Debian's does),
# and tfm_cache reads back the size in use; gmac is Y by default.

source "$(dirname "$0")/lib.sh"

require_root
require_cmd modinfo modprobe grpsec

# field NAME: the values of one modinfo field, one a line.
field() { modinfo -F "$1" grpsec; }

modinfo grpsec >&2 || fail "modinfo finds no grpsec module"
for f in description author license version; do
	[ -n "$(field $f)" ] || fail "modinfo grpsec: no $f"
done
[ "$(field license)" = GPL ] || fail "license is '$(field license)', wanted GPL"

tool=$(grpsec version | sed -n 's/^grpsec tools \([^ ,]*\),.*/\1/p')
[ -n "$tool" ] || fail "grpsec version printed no version"
[ "$(field version)" = "$tool" ] ||
	fail "module version '$(field version)', tool version '$tool'"

field alias | grep -qx 'net-pf-16-proto-16-family-grpsec' ||
	fail "no alias for the generic netlink family grpsec"

# Every parameter (parmtype, from module_param) has a description (parm,
# from MODULE_PARM_DESC) that says something.
while IFS=: read -r name _; do
	desc=$(field parm | sed -n "s/^$name://p")
	[ -n "${desc// /}" ] || fail "parameter $name has no description"
done < <(field parmtype)

# Loaded by name, from the module directory of the running kernel.
module_unload
path=$(modinfo -n grpsec)
case $path in
/lib/modules/"$(uname -r)"/*) ;;
*) fail "modinfo -n grpsec is $path, not under /lib/modules/$(uname -r)" ;;
esac
for m in udp_tunnel ip6_udp_tunnel; do
	modinfo -n "$m" 2> /dev/null | grep -q '\.ko' || continue
	modprobe -r "$m" 2> /dev/null || true
done
module_load
for m in udp_tunnel ip6_udp_tunnel; do
	modinfo -n "$m" 2> /dev/null | grep -q '\.ko' || continue
	grep -q "^$m " /proc/modules || fail "modprobe grpsec did not load $m"
	log "$m loaded with grpsec"
done

# tfm_cache reads back the size in use: by default what 1/64 of RAM
# holds at 2 KiB a transform, shared among the possible CPUs, from 16 to
# 1 Mi; a size given is clamped to that range.
param=/sys/module/grpsec/parameters/tfm_cache
ram_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
cpus=$(awk -F, '{ n = 0; for (i = 1; i <= NF; i++) { split($i, r, "-");
	n += (r[2] == "" ? 1 : r[2] - r[1] + 1) } print n }' /sys/devices/system/cpu/possible)
want=$(( ram_kb * 1024 / 64 / (cpus * 2048) ))
[ "$want" -lt 16 ] && want=16
[ "$want" -gt 1048576 ] && want=1048576
got=$(cat "$param")
[ "$got" = "$want" ] ||
	fail "tfm_cache is $got by default, want $want ($ram_kb kB of RAM, $cpus CPUs)"
log "tfm_cache $got by default ($ram_kb kB of RAM, $cpus CPUs)"
for given in 5:16 3000:3000 4000000:1048576; do
	module_unload
	modprobe grpsec tfm_cache="${given%:*}" || fail "modprobe grpsec tfm_cache=${given%:*}"
	got=$(cat "$param")
	[ "$got" = "${given#*:}" ] || fail "tfm_cache=${given%:*} reads back $got, not ${given#*:}"
done
module_unload

# AES-GCM tags by GMAC unless told otherwise.
module_load
[ "$(cat /sys/module/grpsec/parameters/gmac)" = Y ] ||
	fail "gmac is $(cat /sys/module/grpsec/parameters/gmac) by default, not Y"
module_unload
modprobe grpsec gmac=N || fail "modprobe grpsec gmac=N"
[ "$(cat /sys/module/grpsec/parameters/gmac)" = N ] || fail "gmac=N reads back otherwise"
module_unload
exit $ksft_pass
