#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sequences across a restart with the clock set back a year.  The gateway
# sends batches (K_up nonces), command frames (gateway sequences, K_m[e]
# nonces) and commands of its own (SEND command sequences); its
# configuration is saved with showconf; the clock goes back a year, the
# module is unloaded and loaded again and the saved file set; then it does
# the same again.  Every sequence of the second run is above every one of
# the first (each counter only counts up), so none repeats.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test()
{
	# The clock as it would be had it not been set back.
	if [ -n "${t_real:-}" ]; then
		date -s "@$((t_real + $(cut -d. -f1 /proc/uptime) - t_up))" > /dev/null
	fi
	gw_cleanup
}

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys date
module_load
setup_namespaces
keys_init
sign_init

N=10
M=5
S=aes-128-gcm
gw_start batch-max 8
# Group 1 reports upstream; group 2 is a terminate mode group the gateway
# sends its own commands to.
gw_group 1 anonymous $S 1 $N
gw_group 2 anonymous $S 1 $N 1 terminate on key "$(inner_key 2 anonymous $S 1)" \
	epoch 1

# traffic NAME: batches, command frames and SEND commands, recorded in
# $K/NAME.{wire,frames,send} (the wire as hex lines, SEND's output).
traffic()
{
	backend_start "$K/$1.be" 1:anonymous:$S:1 -- --expect $((N * M)) \
		--timeout $((120 * TIMEOUT_SCALE)) --dump "$K/$1.wire"
	members 1 anonymous $S 1 $N $M --burst > /dev/null
	backend_wait || fail "backend: $(cat "$K/$1.be")"
	members_listen "$K/$1.m2" 2 anonymous $S 1 $N --expect-commands $((2 * N)) \
		--dump-frames "$K/$1.frames"
	printf 'ONE' | n_gw grpsec send 2 >> "$K/$1.send"
	printf 'TWO' | n_gw grpsec send 2 >> "$K/$1.send"
	members_wait "$K/$1.m2"
}

# seqs NAME: every batch, gateway and command sequence NAME used, one a
# line ("batch|gateway|command HEX16"): 16 hex digits sort as numbers.
seqs()
{
	grep '^0202' "$K/$1.wire" | cut -c17-32 | sed 's/^/batch /'
	grep '^0204' "$K/$1.frames" | cut -c33-48 | sed 's/^/gateway /'
	awk '{ print $2 }' "$K/$1.send" | while read -r s; do
		printf 'command %016x\n' "$s"
	done
}

traffic before
mkdir -p "$K/conf/1" "$K/conf/2"
n_gw grpsec showconf keydir "$K/conf" > "$K/saved.conf"
cat "$K/saved.conf" >&2
for w in GatewaySequence BatchSequence CommandSequence; do
	grep -q "^$w = [1-9][0-9]*\$" "$K/saved.conf" || fail "showconf: no $w"
done
cp "$K/k_up" "$K/conf/upstream.key"
cp "$K/k_g.2.1" "$K/conf/2/group.1.key"
for g in 1 2; do
	grpsec-keys member --s-auth "$K/s_auth" --suite $S --group $g \
		--epoch 1 --member 1 --count $N --dir "$K/conf/$g.tmp"
	for m in $(seq 1 $N); do
		mv "$K/conf/$g.tmp/$m.key" "$K/conf/$g/$m.1.key"
	done
done

module_unload
t_real=$(date +%s)
t_up=$(cut -d. -f1 /proc/uptime)
run date -s "@$((t_real - 365 * 86400))"
module_load
n_gw grpsec setconf "$K/saved.conf"
traffic after

seqs before | sort > "$K/before"
seqs after | sort > "$K/after"
for kind in batch gateway command; do
	b=$(grep -c "^$kind " "$K/before") a=$(grep -c "^$kind " "$K/after")
	[ "$b" -gt 0 ] && [ "$a" -gt 0 ] || fail "no $kind sequences: $b before, $a after"
	last=$(grep "^$kind " "$K/before" | tail -n 1)
	first=$(grep "^$kind " "$K/after" | head -n 1)
	[[ "${first#* }" > "${last#* }" ]] ||
		fail "$kind sequence went back across the restart: ${last#* } then ${first#* }"
	echo "# $kind: $b before, up to ${last#* }; $a after, from ${first#* }" >&2
done
dups=$(sort "$K/before" "$K/after" | uniq -d)
[ -z "$dups" ] || fail "sequences used twice: $dups"
exit $ksft_pass
