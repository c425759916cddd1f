#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, run inside the test VM by "make demo": a gateway namespace
# running grpsec.ko between 1,000 simulated smart meters and a simulated
# utility backend.  All meters report at once; a few forged and replayed
# frames are thrown in.  Prints what happened at each stage.

cd /selftests || exit 1
source ./lib.sh
source ./gateway_lib.sh
cleanup_test() { gw_cleanup; }

N=${DEMO_METERS:-1000}
S=aes-128-gcm

section() { printf '\n== %s\n' "$*"; }

{
	module_load
	setup_namespaces
	keys_init
	gw_start mtu 1400 batch-max 64 flush-usec 2000
	gw_group 1 anonymous $S 1 $N
} > /dev/null 2>&1 || fail "setting up the gateway failed"

section "gateway configuration (grpsec show, first lines)"
"$IP" netns exec "$NS_GW" grpsec show > "$K/show"
head -n 12 "$K/show"

backend_start "$K/be.out" 1:anonymous:$S:1 -- --expect $((N + 10)) --timeout 120 \
	2> /dev/null
section "$N meters report at once, plus 50 forged frames and 10 sent twice"
members 1 anonymous $S 1 "$N" 1 --burst 2> /dev/null | tr ' ' '\n' |
	grep -E '^(members|frames|elapsed_ms)=' | sed 's/^/  meters: /'
members 1 anonymous $S 1 50 1 --tamper-tag --counter-start 100 \
	> /dev/null 2>&1
members 1 anonymous $S 1 10 1 --replay --counter-start 200 \
	> /dev/null 2>&1
backend_wait > /dev/null 2>&1 || true

section "gateway counters (grpsec stats)"
for c in rx-frames verified forwarded batches drop-bad-tag drop-replay \
	 drop-unknown-member drop-truncated; do
	printf '  %-20s %s\n' "$c" "$(stat $c)"
done

section "backend"
out=$(cat "$K/be.out")
msgs=$(field messages "$out")
checks=$(field tag_checks "$out")
printf '  %-20s %s\n' "messages opened" "$msgs" \
	"distinct" "$(field unique "$out")" \
	"duplicates" "$(field duplicates "$out")" \
	"batches received" "$(field batches "$out")" \
	"tag checks" "$checks" \
	"largest batch" "$(field max_batch_entries "$out")"
if [ "${checks:-0}" -gt 0 ]; then
	printf '  the backend checked %s tags for %s messages: %s messages per check\n' \
		"$checks" "$msgs" "$((msgs / checks))"
fi
section "result"
if [ "$(field unique "$out")" = $((N + 10)) ] &&
   [ "$(field duplicates "$out")" = 0 ]; then
	echo "  every genuine message arrived exactly once; forgeries and replays stopped at the gateway"
else
	echo "  unexpected: $out"
	exit 1
fi
