#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# grpsec end to end, nobody copying a key by hand: devices | gateway |
# manager, each in its namespace.
#
#   members (devices) --- gw (grpsec.ko, grpsecd gateway) --- backend
#          \__________ enrollment network ____________________/ (grpsecd manager)
#
# 1. grpsecd manager starts with two groups (7 anonymous, 8 identified)
#    and gateway 42; grpsecd gateway connects over the control channel
#    (mutual TLS 1.3) and programs the module: the upstream under the
#    K_up both ends derived from the connection, the listen port.
# 2. DEVICES devices enroll over TLS 1.3 (a few with certificates, the
#    rest with PSKs of both hashes); the manager pushes each new member
#    to the gateway, which installs it.
# 3. Every device reports once in each group through grpsec.ko; the
#    application on the manager's ApplicationSocket receives every
#    message exactly once, the identified ones under their member ids.
# 4. The gateway daemon is killed (-9) and started again while devices
#    report: it reads what the kernel holds and changes nothing the
#    traffic needs; no frame is dropped.
# 5. The manager is killed (-9) and started again: the gateway
#    reconnects, a new K_up is installed, and reports sent after that
#    reach the application once.
#
# DEVICES: GRPSECD_DEVICES, else 200 on the normal kernel and fewer on
# the slower ones, so the test keeps within its time limit under
# emulation, where an enrollment costs the guest about 0.27 s of its two
# CPUs and a report 0.1 s.  `make demo` runs 1,000.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
source "$(dirname "$0")/pki_lib.sh"

require_root
require_cmd grpsec grpsecd grpsec-member grpsec-app openssl

DEVICES=${GRPSECD_DEVICES:-$((200 / TIMEOUT_SCALE))}
N_CERT=10
IP_ENR_M=10.30.0.2
IP_ENR_BE=10.30.0.1
ENROLL_PORT=5750
CONTROL_PORT=5751
METRICS_PORT=9650

cleanup_test()
{
	gw_cleanup
}

setup_namespaces
# The enrollment network: devices reach the manager directly (the
# gateway forwards no IP).
veth_pair "$NS_M" m1 $IP_ENR_M fd00:30::2 "$NS_BE" be1 $IP_ENR_BE fd00:30::1

cd "$K"

log "the PKI: a CA, the manager, gateway 42, $N_CERT device certificates," \
	"$((DEVICES - N_CERT)) PSKs"
ca_new ca
cert_new ca manager manager-1 DNS:manager.test
cert_new ca gw42 gateway-42
for i in $(seq 1 $N_CERT); do
	cert_new ca "dev$i" "meter-$i"
done
: > psks
chmod 600 psks
# The PSK devices: 32 random bytes in hex per identity, in the manager's
# PSKFile format, which grpsec-member enroll-fleet reads too.
for i in $(seq $((N_CERT + 1)) "$DEVICES"); do
	h=$([ $((i % 2)) = 0 ] && echo sha256 || echo sha384)
	echo "psk-$i $h $(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >> psks
done

cat > manager.conf <<EOF
[Manager]
EnrollListen = $IP_ENR_BE:$ENROLL_PORT
ControlListen = $IP_BE:$CONTROL_PORT
BatchListen = $IP_BE:$BE_PORT
ApplicationSocket = $K/app.sock
MetricsListen = 127.0.0.1:$METRICS_PORT
Certificate = $K/manager.pem
PrivateKey = $K/manager.key
CA = $K/ca.pem
PSKFile = $K/psks
Database = sqlite:$K/manager.db
MasterKey = $K/master.key
ControlSocket = $K/manager.sock
MaxHandshakes = 64
HandshakeTimeout = $((10 * TIMEOUT_SCALE))s

[Group]
Id = 7
Suite = aes-128-gcm
Mode = anonymous
Gateway = $GW_ID

[Group]
Id = 8
Suite = aes-256-gcm
Mode = identified
Commands = yes
Gateway = $GW_ID

[Allow]
Group = 7, 8
Subject = CN=meter-*
PSKIdentity = psk-*

[Gateway]
Id = $GW_ID
Identity = CN=gateway-42,O=Utility
Address = $IP_GW_M:$GW_PORT
EOF

cat > gateway.conf <<EOF
[Control]
Manager = $IP_BE:$CONTROL_PORT
ManagerName = manager.test
Certificate = $K/gw42.pem
PrivateKey = $K/gw42.key
CA = $K/ca.pem
StateFile = $K/gateway.state
ControlSocket = $K/gateway.sock
EOF

# daemon_start NS ROLE: grpsecd ROLE in NS, its log in ROLE.log.
daemon_start()
{
	"$IP" netns exec "$1" grpsecd "$2" -c "$K/$2.conf" >> "$K/$2.log" 2>&1 &
	eval "${2}_pid=$!"
	_pids+=($!)
}

# daemon_kill ROLE: kill -9, and wait for it.
daemon_kill()
{
	local pid
	pid=$(eval echo "\$${1}_pid")
	kill -9 "$pid"
	wait "$pid" 2> /dev/null || true
}

# log_wait ROLE REGEX [SECONDS]: the daemon's log says so.
log_wait()
{
	wait_for "${3:-30}" grep -qE -- "$2" "$K/$1.log" ||
		{ tail -n 30 "$K/$1.log" >&2; fail "$1's log lacks /$2/"; }
}

# kernel_members: members the module holds.
kernel_members() { n_gw grpsec show members; }

# drops: every frame the gateway dropped, whatever the reason.
drops()
{
	n_gw grpsec stats | awk '/^total/ { t = 1; next } /^[^ ]/ { t = 0 }
		t && $1 ~ /^drop/ { s += $2 } END { print s + 0 }'
}

diagnose_test()
{
	local r
	for r in manager gateway; do
		echo "# --- $r log (last lines)" >&2
		tail -n 25 "$K/$r.log" >&2 2>/dev/null
	done
	for r in "$K"/app*.out; do
		[ -f "$r" ] && echo "# --- $(basename "$r"): $(tail -n 2 "$r")" >&2
	done
	echo "# --- the manager's refusals and counts (/metrics)" >&2
	"$IP" netns exec "$NS_BE" wget -qO- "http://127.0.0.1:$METRICS_PORT/metrics" 2>&1 |
		grep -E '^grpsecd_(batches|entries)_refused|^grpsecd_messages_received' >&2
	n_gw grpsec stats >&2 2>&1 || true
}

daemon_start "$NS_BE" manager
log_wait manager "manager started"
daemon_start "$NS_GW" gateway
log_wait gateway "control: full push"
wait_for 30 eval 'n_gw grpsec upstream show > /dev/null 2>&1' ||
	fail "the gateway daemon installed no upstream"
wait_for 10 eval '[ "$(n_gw grpsec show listen-port)" = $GW_PORT ]' ||
	fail "the gateway does not listen on $GW_PORT: $(n_gw grpsec show listen-port)"
log "1. control channel up: upstream installed, listening on $GW_PORT"

log "2. $DEVICES devices enroll"
mkdir -m 700 devs
t0=$(date +%s.%N)
# The certificate devices one process each, the PSK devices as a fleet
# (one process, 8 handshakes at a time, a state file each).
cert_pids=()
for i in $(seq 1 $N_CERT); do
	n_m grpsec-member enroll --manager $IP_ENR_BE:$ENROLL_PORT --group 7,8 \
		--state "devs/dev-$i.state" --cert "dev$i.pem" --key "dev$i.key" \
		--ca ca.pem --server-name manager.test --timeout $((10 * TIMEOUT_SCALE)) \
		> "enroll-$i.out" 2>&1 &
	cert_pids+=($!)
done
# The debug kernel is several times slower: fewer handshakes at once,
# each given as long as the manager gives it.
n_m grpsec-member enroll-fleet --manager $IP_ENR_BE:$ENROLL_PORT --group 7,8 \
	--psk-file psks --state-dir devs --parallel $((TIMEOUT_SCALE > 2 ? 2 : 8)) \
	--timeout $((10 * TIMEOUT_SCALE)) > fleet.out 2>&1 ||
	fail "the PSK fleet did not enroll: $(grep -v ' member=' fleet.out | head -n 5)"
wait "${cert_pids[@]}"
t1=$(date +%s.%N)
n=$(( $(cat enroll-*.out | grep -c '^member=') + $(grep -c '^identity=.* member=' fleet.out) ))
[ "$n" = "$DEVICES" ] || fail "$n of $DEVICES devices enrolled: $(cat enroll-*.out | head -n 3)"
ids=$( { sed -n 's/^member=\([0-9]*\) .*/\1/p' enroll-*.out
	 sed -n 's/^identity=.* member=\([0-9]*\)$/\1/p' fleet.out; } | sort -u | wc -l)
[ "$ids" = "$DEVICES" ] || fail "$ids distinct member ids for $DEVICES devices"
log "   enrolled in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
# Every member in both groups reaches the module through the control channel.
wait_for 60 eval '[ "$(kernel_members)" = $((2 * DEVICES)) ]' ||
	fail "the module holds $(kernel_members) members, want $((2 * DEVICES))"
log "   the gateway holds all $((2 * DEVICES)) members"

# report TAG: every device sends one message in each group ("TAG-G-M").
report()
{
	n_m grpsec-member send-fleet --state-dir devs --group 7 --tag "$1" > /dev/null &&
		n_m grpsec-member send-fleet --state-dir devs --group 8 --tag "$1" > /dev/null ||
		fail "the devices could not send"
}

app_start()
{
	rm -f app.ready
	"$IP" netns exec "$NS_BE" grpsec-app --manager "$K/app.sock" --count "$2" \
		--timeout $((120 * TIMEOUT_SCALE)) --ready-file app.ready > "$1" 2>&1 &
	app_pid=$!
	_pids+=($!)
	wait_for 10 test -f app.ready || fail "the application did not connect"
}

# app_check FILE N TAG: the application got N messages tagged TAG, each once.
app_check()
{
	wait "$app_pid" || fail "application: $(tail -n 1 "$1")"
	local got dups
	got=$(grep -c "^message .* payload $3" "$1" || true)
	dups=$(sed -n 's/.* payload //p' "$1" | sort | uniq -d | wc -l)
	[ "$got" = "$2" ] || fail "the application got $got messages tagged $3, want $2"
	[ "$dups" = 0 ] || fail "$dups messages reached the application twice"
}

log "3. every device reports once in each group"
app_start app1.out $((2 * DEVICES))
drops0=$(stat drop-unknown-member)
report r1
app_check app1.out $((2 * DEVICES)) r1
# Identified messages carry their member id: each member once.
n8=$(awk '$5 == 8 { print $7 }' app1.out | sort -u | wc -l)
[ "$n8" = "$DEVICES" ] || fail "$n8 distinct members in group 8, want $DEVICES"
[ "$(stat drop-unknown-member)" = "$drops0" ] || fail "frames of unknown members dropped"
log "   the application received all $((2 * DEVICES)) messages, each once"

log "4. the gateway daemon killed and restarted under traffic"
verified0=$(stat verified)
dropped0=$(drops)
ROUNDS=6
app_start app2.out $((2 * DEVICES * ROUNDS))
( for r in $(seq 1 $ROUNDS); do report "r2.$r"; sleep 0.5; done ) &
traffic=$!
sleep 1
daemon_kill gateway
daemon_start "$NS_GW" gateway
wait "$traffic"
dropped1=$(drops)
[ "$dropped1" = "$dropped0" ] ||
	fail "$((dropped1 - dropped0)) frames dropped across the gateway daemon's restart"
app_check app2.out $((2 * DEVICES * ROUNDS)) r2
log_wait gateway "control: full push" 30
log "   $(( $(stat verified) - verified0 )) frames verified in $ROUNDS rounds around the" \
	"restart, 0 dropped, each message once"

log "5. the manager killed and restarted: the gateway reconnects with a new K_up"
n_conn=$(grep -c "K_up installed" "$K/manager.log" || true)
daemon_kill manager
daemon_start "$NS_BE" manager
log_wait manager "manager started"
# The gateway's backoff starts at a second; the manager logs the new
# K_up when the gateway is back.
wait_for 90 eval '[ "$(grep -c "K_up installed" "$K/manager.log")" -gt $n_conn ]' ||
	fail "the gateway did not reconnect"
app_start app3.out $((2 * DEVICES))
report r3
app_check app3.out $((2 * DEVICES)) r3
log "   after the reconnect all $((2 * DEVICES)) messages arrived once"

exit 0
