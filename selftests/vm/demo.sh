#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, run inside the test VM by "make demo": grpsec's whole life
# cycle, nobody copying a key by hand.  Three namespaces:
#
#   devices --- gateway (grpsec.ko, grpsecd gateway) --- backend (grpsecd manager,
#      \_______________ enrollment network ______________/   the application)
#
# 1. The manager and the gateway daemon start; the control channel (TLS
#    1.3, certificates on both ends) programs the module.
# 2. 1,000 meters enroll (certificates and PSKs), and 50 building devices:
#    smoke detectors (group 1), sprinklers (group 2), door locks (group 3).
# 3. Every meter reports at once, in its anonymous group 7 and its
#    identified group 8: the application receives every message once.
# 4. Under traffic, a meter is revoked: cut off from group 8 at once, and
#    group 7, whose key it shared, rekeys to a new epoch without it.
# 5. The application sends a signed command to group 8.
# 6. A smoke detector raises a fire alarm; the application answers with
#    commands to the sprinklers and the door locks.
#
# Each stage prints what happened, in numbers.  The first argument is the
# fleet's size (default 1000; make demo DEMO_METERS=N).  Exits non-zero
# when something did not happen as it should.

cd /selftests || exit 1
DEVICES=${1:-1000}
N_CERT=10
MANAGER_EXTRA="RekeyRate = 20
RekeyGrace = 5s"
source ./grpsecd_lib.sh

section() { printf '\n== %s\n' "$*"; }
say() { printf '  %s\n' "$*"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f s", (b - a) / 1000 }'; }
# Everything the helpers trace goes to a log; the stages print on stdout.
module_load > /dev/null 2>&1 || fail "grpsec.ko does not load"
exec 3>&2 2> /tmp/demo.log
# On failure, grpsecd_lib.sh's diagnostics (into the trace), then the
# trace's end on the console.
eval "$(declare -f diagnose_test | sed '1s/diagnose_test/grpsecd_diagnose/')"
diagnose_test()
{
	grpsecd_diagnose
	echo "# the end of the demo's trace (/tmp/demo.log):" >&3
	tail -n 60 /tmp/demo.log >&3
}

section "1. the manager and the gateway daemon"
grpsecd_setup
# The building's devices: PSKs of their own, in groups of their own.
for kind in det:10 spr:20 lock:20; do
	: > "${kind%%:*}.psks"
	chmod 600 "${kind%%:*}.psks"
	for i in $(seq 1 "${kind#*:}"); do
		echo "${kind%%:*}-$i sha256 $(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" \
			>> "${kind%%:*}.psks"
	done
	cat "${kind%%:*}.psks" >> psks
done
# The meters in two halves, so that each half has a state directory of
# its own: A reports in group 8, B in group 7 while the revoke happens.
grep '^psk-' psks | sed -n "1,$((DEVICES / 2 - N_CERT))p" > a.psks
grep '^psk-' psks | sed -n "$((DEVICES / 2 - N_CERT + 1)),\$p" > b.psks
chmod 600 a.psks b.psks
cat >> manager.conf <<EOF

[Group]
Id = 1
Suite = aes-128-gcm
Mode = identified
Gateway = $GW_ID

[Group]
Id = 2
Suite = aes-128-gcm
Mode = identified
Commands = yes
Gateway = $GW_ID

[Group]
Id = 3
Suite = aes-128-gcm
Mode = identified
Commands = yes
Gateway = $GW_ID

[Allow]
Group = 1
PSKIdentity = det-*

[Allow]
Group = 2
PSKIdentity = spr-*

[Allow]
Group = 3
PSKIdentity = lock-*
EOF
t0=$(ms)
grpsecd_start
say "grpsecd manager: groups 7 (meters, anonymous), 8 (meters, identified, commands)," \
	"1 (smoke detectors), 2 (sprinklers), 3 (door locks)"
say "grpsecd gateway: control channel up in $(elapsed "$t0" "$(ms)"), TLS 1.3 with" \
	"certificates on both ends; K_up derived on both ends from the TLS exporter"
say "the module: upstream to the manager installed, devices' port $(n_gw grpsec show listen-port)"

section "2. $DEVICES meters and 50 building devices enroll"
mkdir -m 700 a b det spr lock
t0=$(ms)
cert_pids=()
for i in $(seq 1 $N_CERT); do
	n_m grpsec-member enroll --manager $IP_ENR_BE:$ENROLL_PORT --group 7,8 \
		--state "a/dev-$i.state" --cert "dev$i.pem" --key "dev$i.key" \
		--ca ca.pem --server-name manager.test --timeout 20 > "enroll-$i.out" 2>&1 &
	cert_pids+=($!)
done
fleet() # PSKS DIR GROUPS
{
	n_m grpsec-member enroll-fleet --manager $IP_ENR_BE:$ENROLL_PORT --group "$3" \
		--psk-file "$1" --state-dir "$2" --parallel 8 --timeout 20 > "$2.enroll" 2>&1 ||
		fail "the devices of $1 did not enroll: $(grep -v ' member=' "$2.enroll" | head -n 3)"
}
fleet a.psks a 7,8
fleet b.psks b 7,8
wait "${cert_pids[@]}" || fail "a certificate device did not enroll: $(cat enroll-*.out | head -n 3)"
t1=$(ms)
fleet det.psks det 1
fleet spr.psks spr 2
fleet lock.psks lock 3
n=$(( $(ls a b | grep -c '\.state$') ))
ids=$( { sed -n 's/^member=\([0-9]*\) .*/\1/p' enroll-*.out
	 sed -n 's/^identity=.* member=\([0-9]*\)$/\1/p' a.enroll b.enroll; } | sort -u | wc -l)
[ "$n" = "$DEVICES" ] && [ "$ids" = "$DEVICES" ] ||
	fail "$n meters enrolled with $ids distinct member ids, want $DEVICES"
say "$DEVICES meters enrolled in $(elapsed "$t0" "$t1"): $N_CERT with certificates," \
	"$((DEVICES - N_CERT)) with PSKs (TLS 1.3, SHA-256 and SHA-384 suites)," \
	"$ids distinct member ids"
say "10 smoke detectors, 20 sprinklers, 20 door locks enrolled (PSKs)"
want=$((2 * DEVICES + 50))
wait_for 60 eval '[ "$(kernel_members)" = $want ]' ||
	fail "the module holds $(kernel_members) members, want $want"
say "the manager pushed every member to the gateway: the module holds $want" \
	"(id and K_m only; the end-to-end keys never leave the manager)"

section "3. every meter reports at once"
rm -f app.ready
"$IP" netns exec "$NS_BE" grpsec-app --manager "$K/app.sock" --timeout 900 \
	--ready-file app.ready > app.out 2>&1 &
app_pid=$!
_pids+=($!)
wait_for 10 test -f app.ready || fail "the application did not connect"
received() { grep -c " payload $1" app.out || true; }
b0=$(stat batches) v0=$(stat verified)
t0=$(ms)
for d in a b; do
	for g in 7 8; do
		n_m grpsec-member send-fleet --state-dir $d --group $g --tag s3 > /dev/null ||
			fail "the meters could not send"
	done
done
wait_for 60 eval '[ "$(received s3-)" -ge $((2 * DEVICES)) ]' ||
	fail "the application received $(received s3-) of $((2 * DEVICES)) messages"
t1=$(ms)
dups=$(sed -n 's/.* payload \(s3-.*\)/\1/p' app.out | sort | uniq -d | wc -l)
[ "$(received s3-)" = $((2 * DEVICES)) ] && [ "$dups" = 0 ] ||
	fail "$(received s3-) messages, $dups of them twice"
batches=$(( $(stat batches) - b0 ))
say "$((2 * DEVICES)) messages (one per meter in groups 7 and 8) at the application in" \
	"$(elapsed "$t0" "$t1"), each exactly once"
say "the gateway verified $(( $(stat verified) - v0 )) frames and forwarded them in" \
	"$batches batches: the manager checked $batches batch tags," \
	"$(( 2 * DEVICES / (batches ? batches : 1) )) messages per check"

section "4. under traffic: meter psk-$((N_CERT + 7)) revoked"
REV=psk-$((N_CERT + 7))
REV_ID=$(sed -n "s/^identity=$REV member=\([0-9]*\)$/\1/p" a.enroll)
# A (with the revoked meter) reports in group 8, B in group 7, every 3 s.
FOR=40
n_m grpsec-member send-fleet --state-dir a --group 8 --tag s4 --for $FOR --every 3000 \
	> a.stay 2>&1 &
a_pid=$!
n_m grpsec-member send-fleet --state-dir b --group 7 --tag s4 --for $FOR --every 3000 \
	> b.stay 2>&1 &
b_pid=$!
_pids+=($a_pid $b_pid)
unknown0=$(stat drop-unknown-member 8)
drops0=$(drops)
refused0=$(metric grpsecd_entries_refused_total)
sleep 6
members0=$(kernel_members)
t0=$(ms)
run_in "$NS_BE" grpsecctl -s "$K/manager.sock" revoke "$REV" > revoke.out ||
	fail "grpsecctl revoke $REV refused: $(cat revoke.out)"
wait_for 10 eval '[ "$(kernel_members)" -lt $members0 ]' || fail "the revoked meter is still in the module"
t_removed=$(ms)
wait_for 10 eval '[ "$(stat drop-unknown-member 8)" -gt $unknown0 ]' ||
	fail "no frame of the revoked meter was dropped"
t_dropped=$(ms)
say "grpsecctl revoke $REV (member $REV_ID): removed from the gateway's module after" \
	"$((t_removed - t0)) ms, its first frame dropped after $((t_dropped - t0)) ms"
log_wait manager "group 7: epoch 2 is current" 60
t_switch=$(ms)
say "group 7 (anonymous: its members shared the key) rekeyed without it: epoch 2 current" \
	"after $(elapsed "$t0" "$t_switch") (rekeys paced at 20 % of the group a second," \
	"then a 5 s grace)"

section "5. a signed command to group 8"
out=$("$IP" netns exec "$NS_BE" grpsec-app --manager "$K/app.sock" --timeout 20 \
	--send "8 * TARIFF-NIGHT-FROM-22H" 2>&1) || fail "the command was refused: $out"
grep -q '^answer ok group=8 ' <<< "$out" || fail "no answer: $out"
say "the application asked the manager: $(grep '^answer' <<< "$out" | cut -c8-)"
wait "$a_pid" "$b_pid" || fail "the meters' traffic failed: $(tail -n 2 a.stay b.stay)"
sleep 2
commanded=$(sed -n 's/^devices=.* commanded=\([0-9]*\)$/\1/p' a.stay)
rev_cmds=$(sed -n "s/^member=$REV_ID frames=.* commands=\([0-9]*\)$/\1/p" a.stay)
say "$commanded of the $((DEVICES / 2 - 1)) meters of group 8 still listening opened it" \
	"(signed by the manager's Ed25519 key, sealed under K_G of group 8);" \
	"the revoked meter: ${rev_cmds:-0}"
[ "$commanded" = $((DEVICES / 2 - 1)) ] && [ "${rev_cmds:-0}" = 0 ] ||
	fail "$commanded meters opened the command, the revoked one ${rev_cmds:-0}"

# What the traffic of stage 4 became: each meter's frames against what
# the application received (payload s4-G-M-N), the revoked one apart.
sed -n 's/.* payload \(s4-.*\)/\1/p' app.out > s4.got
dups=$(sort s4.got | uniq -d | wc -l)
awk -v rev="$REV_ID" -v u0="$unknown0" '
	FNR == 1 { f++ }
	f <= 2 && /^member=/ {
		split($1, m, "="); split($2, n, "=")
		g = (f == 1) ? 8 : 7
		if (g == 8 && m[2] == rev) { rev_sent = n[2]; next }
		sent += n[2]; want[g "-" m[2]] = n[2]
	}
	f == 3 {
		split($0, p, "-")
		k = p[2] "-" p[3]
		if (p[2] == 8 && p[3] == rev) { rev_got++; next }
		if (k in want) got++
	}
	END { printf "%d %d %d %d\n", sent, got, rev_sent, rev_got }' a.stay b.stay s4.got > s4.sum
read -r sent got rev_sent rev_got < s4.sum
on2=$(grep -c '^member=.* epoch=2 ' b.stay || true)
unknown=$(( $(stat drop-unknown-member 8) - unknown0 ))
other=$(( $(drops) - drops0 - unknown ))
refused=$(( $(metric grpsecd_entries_refused_total) - refused0 ))
say "meanwhile the others sent $sent messages: $got arrived, $dups twice;" \
	"$on2 of $((DEVICES / 2)) meters of group 7 applied the rekey and sent under epoch 2"
say "the revoked meter sent $rev_sent: $rev_got before the revoke arrived, the gateway" \
	"dropped $unknown as from an unknown member, the manager refused $refused (verified" \
	"by the gateway in the moment before it heard of the revoke); $other other frames dropped"
[ "$got" = "$sent" ] && [ "$dups" = 0 ] || fail "$((sent - got)) messages lost, $dups twice"
[ "$on2" = $((DEVICES / 2)) ] || fail "$on2 of $((DEVICES / 2)) meters of group 7 on epoch 2"
[ "$((rev_got + unknown + refused))" = "$rev_sent" ] ||
	fail "the revoked meter's $rev_sent frames: $rev_got delivered, $unknown dropped, $refused refused"
[ "$other" = 0 ] || fail "$other frames dropped for other reasons"

section "6. fire alarm: a smoke detector, then the sprinklers and the door locks"
# The sprinklers and door locks report every second (the gateway learns
# where they are) and listen for commands.
n_m grpsec-member send-fleet --state-dir spr --group 2 --tag hello --for 20 --every 1000 \
	> spr.stay 2>&1 &
s_pid=$!
n_m grpsec-member send-fleet --state-dir lock --group 3 --tag hello --for 20 --every 1000 \
	> lock.stay 2>&1 &
l_pid=$!
_pids+=($s_pid $l_pid)
sleep 3
t0=$(ms)
det=$(ls det | sed -n 1p)
n_m grpsec-member send --state "det/$det" --group 1 --payload FIRE-ALARM-ROOM-12 > /dev/null ||
	fail "the smoke detector could not send"
wait_for 20 grep -q ' group 1 .* payload FIRE-ALARM-ROOM-12$' app.out ||
	fail "the alarm did not reach the application"
t1=$(ms)
say "smoke detector ${det%.state}: FIRE-ALARM-ROOM-12 reached the application after $((t1 - t0)) ms:"
say "  $(grep ' payload FIRE-ALARM-ROOM-12$' app.out | cut -d' ' -f2-)"
out=$("$IP" netns exec "$NS_BE" grpsec-app --manager "$K/app.sock" --timeout 20 \
	--send "2 * SPRINKLERS-ON" --send "3 * UNLOCK-DOORS" 2>&1) ||
	fail "the commands were refused: $out"
t2=$(ms)
say "the application answered $((t2 - t1)) ms later with two signed commands:"
grep '^answer' <<< "$out" | sed 's/^answer /    /'
wait "$s_pid" "$l_pid" || fail "the sprinklers or door locks failed"
s=$(sed -n 's/^devices=.* commanded=\([0-9]*\)$/\1/p' spr.stay)
l=$(sed -n 's/^devices=.* commanded=\([0-9]*\)$/\1/p' lock.stay)
say "$s of 20 sprinklers and $l of 20 door locks opened their command; the smoke" \
	"detectors, members of neither group, cannot"
[ "$s" = 20 ] && [ "$l" = 20 ] || fail "$s sprinklers and $l door locks opened the command"

section "result"
kill "$app_pid" 2> /dev/null || true
wait "$app_pid" 2> /dev/null || true
say "$(tail -n 1 app.out)"
say "the manager: $(metric 'grpsecd_members') active members in its groups," \
	"$(metric 'grpsecd_gateways_connected') gateway connected;" \
	"the gateway's module: $(kernel_members) members, $(drops) frames dropped in all"
say "every genuine message arrived exactly once; the revoked meter was cut off, the group" \
	"it shared rekeyed under traffic, and every command reached its group"
