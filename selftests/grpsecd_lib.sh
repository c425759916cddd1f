# SPDX-License-Identifier: GPL-2.0
#
# What the grpsecd selftests share: devices | gateway | manager, each in
# its namespace, with the enrollment network beside the data path.
#
#   members (devices) --- gw (grpsec.ko, grpsecd gateway) --- backend
#          \__________ enrollment network ____________________/ (grpsecd manager)
#
# A test sources it (it sources lib.sh, gateway_lib.sh and pki_lib.sh and
# checks for root and the programs), sets DEVICES and N_CERT (devices
# 1..N_CERT enroll with certificates, the rest with PSKs) and
# MANAGER_EXTRA (lines added to [Manager]), then calls grpsecd_up (or
# grpsecd_setup and grpsecd_start, adding to manager.conf in between).

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/gateway_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/pki_lib.sh"

require_root
require_cmd grpsec grpsecd grpsecctl grpsec-member grpsec-app openssl

IP_ENR_M=10.30.0.2
IP_ENR_BE=10.30.0.1
ENROLL_PORT=5750
CONTROL_PORT=5751
METRICS_PORT=9650

cleanup_test()
{
	gw_cleanup
}

# grpsecd_setup: the namespaces, the enrollment network, the PKI, the
# manager's groups 7 (anonymous) and 8 (identified) and gateway 42.
grpsecd_setup()
{
	local i h k

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
	for i in $(seq 1 "$N_CERT"); do
		cert_new ca "dev$i" "meter-$i"
	done
	: > psks
	chmod 600 psks
	# The PSK devices: 32 random bytes in hex per identity, in the
	# manager's PSKFile format, which grpsec-member enroll-fleet reads too.
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
${MANAGER_EXTRA:-}

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
}

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

# drop_reasons: the gateway's non-zero drop counters, "reason=N ...".
drop_reasons()
{
	n_gw grpsec stats | awk '/^total/ { t = 1; next } /^[^ ]/ { t = 0 }
		t && $1 ~ /^drop/ && $2 > 0 { printf "%s%s=%s", s, $1, $2; s = " " }
		END { if (s == "") printf "none" }'
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
	ls -l "$K"/*.sock >&2 2>/dev/null
	echo "# --- the manager's refusals and counts (/metrics)" >&2
	"$IP" netns exec "$NS_BE" wget -qO- "http://127.0.0.1:$METRICS_PORT/metrics" 2>&1 |
		grep -E '^grpsecd_(batches|entries)_refused|^grpsecd_messages_received|^grpsecd_batch_socket' >&2
	n_gw grpsec stats >&2 2>&1 || true
}

# grpsecd_start: the manager, then the gateway, whose control channel
# programs the module (upstream, listen port).
grpsecd_start()
{
	daemon_start "$NS_BE" manager
	log_wait manager "manager started"
	daemon_start "$NS_GW" gateway
	log_wait gateway "control: full push"
	wait_for 30 eval 'n_gw grpsec upstream show > /dev/null 2>&1' ||
		fail "the gateway daemon installed no upstream"
	wait_for 10 eval '[ "$(n_gw grpsec show listen-port)" = $GW_PORT ]' ||
		fail "the gateway does not listen on $GW_PORT: $(n_gw grpsec show listen-port)"
}

# grpsecd_up: setup, the daemons, DEVICES enrolled (steps 1 and 2).
grpsecd_up()
{
	grpsecd_setup
	grpsecd_start
	log "1. control channel up: upstream installed, listening on $GW_PORT"
	log "2. $DEVICES devices enroll"
	enroll_all
}

# state_of I: device I's state file; member_of I: its member id.
state_of()
{
	[ "$1" -le "$N_CERT" ] && echo "states/dev-$1.state" || echo "states/psk-$1.state"
}
member_of()
{
	if [ "$1" -le "$N_CERT" ]; then
		sed -n 's/^member=\([0-9]*\) .*/\1/p' "enroll-$1.out"
	else
		sed -n "s/^identity=psk-$1 member=\([0-9]*\)\$/\1/p" fleet.out
	fi
}

# enroll_all: devices 1..DEVICES enroll in groups 7 and 8 (state_of:
# states/, which send-fleet takes whole): the certificate devices a
# process each, the PSK devices as one fleet (grpsec-member enroll-fleet:
# 8 handshakes at a time, 2 on the slow debug kernel); every one gets its
# own member id and reaches the module.
enroll_all()
{
	local t0 t1 n ids i pids=()

	mkdir -m 700 states
	t0=$(date +%s.%N)
	for i in $(seq 1 "$N_CERT"); do
		n_m grpsec-member enroll --manager $IP_ENR_BE:$ENROLL_PORT --group 7,8 \
			--state "$(state_of "$i")" --cert "dev$i.pem" --key "dev$i.key" \
			--ca ca.pem --server-name manager.test --timeout $((10 * TIMEOUT_SCALE)) \
			> "enroll-$i.out" 2>&1 &
		pids+=($!)
	done
	if [ "$DEVICES" -gt "$N_CERT" ]; then
		n_m grpsec-member enroll-fleet --manager $IP_ENR_BE:$ENROLL_PORT --group 7,8 \
			--psk-file psks --state-dir states --parallel $((TIMEOUT_SCALE > 2 ? 2 : 8)) \
			--timeout $((10 * TIMEOUT_SCALE)) > fleet.out 2>&1 ||
			fail "the PSK fleet did not enroll: $(grep -v ' member=' fleet.out | head -n 5)"
	else
		: > fleet.out
	fi
	for i in "${pids[@]}"; do
		wait "$i" || fail "a certificate device did not enroll: $(cat enroll-*.out | head -n 3)"
	done
	t1=$(date +%s.%N)
	n=$(( $(cat enroll-*.out | grep -c '^member=') + $(grep -c '^identity=.* member=' fleet.out) ))
	[ "$n" = "$DEVICES" ] || fail "$n of $DEVICES devices enrolled"
	ids=$( { sed -n 's/^member=\([0-9]*\) .*/\1/p' enroll-*.out
		 sed -n 's/^identity=.* member=\([0-9]*\)$/\1/p' fleet.out; } | sort -u | wc -l)
	[ "$ids" = "$DEVICES" ] || fail "$ids distinct member ids for $DEVICES devices"
	log "   enrolled in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
	# Every member in both groups reaches the module through the control channel.
	wait_for 60 eval '[ "$(kernel_members)" = $((2 * DEVICES)) ]' ||
		fail "the module holds $(kernel_members) members, want $((2 * DEVICES))"
	log "   the gateway holds all $((2 * DEVICES)) members"
}

# report TAG: every device sends one message in each group ("TAG-G-M").
report()
{
	n_m grpsec-member send-fleet --state-dir states --group 7 --tag "$1" > /dev/null &&
		n_m grpsec-member send-fleet --state-dir states --group 8 --tag "$1" > /dev/null ||
		fail "the devices could not send"
}

# metric NAME: the manager's /metrics, summed over the family's labels.
metric()
{
	"$IP" netns exec "$NS_BE" wget -qO- "http://127.0.0.1:$METRICS_PORT/metrics" 2> /dev/null |
		awk -v n="$1" 'index($1, n) == 1 && (length($1) == length(n) ||
			substr($1, length(n) + 1, 1) == "{") { s += $2 } END { print s + 0 }'
}

# missing: the lines of sent.txt that got.txt lacks (busybox has no comm).
missing() { grep -vxF -f got.txt sent.txt || true; }

# cpu_ms PID: the CPU time (user and system) the process has used, in ms.
cpu_ms()
{
	awk -v hz="$(getconf CLK_TCK 2> /dev/null || echo 100)" \
		'{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' "/proc/$1/stat"
}

# ms: milliseconds since boot (busybox's date has no %N).
ms()
{
	local up
	read -r up _ < /proc/uptime
	echo $(( ${up%.*} * 1000 + 10#${up#*.} * 10 ))
}

# app_start FILE N: the application, until N messages or its time limit.
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

# app_run FILE SECONDS: the application for SECONDS, counting every
# message (the test compares with what the devices sent).
app_run()
{
	rm -f app.ready
	"$IP" netns exec "$NS_BE" grpsec-app --manager "$K/app.sock" --timeout "$2" \
		--ready-file app.ready > "$1" 2>&1 &
	app_pid=$!
	_pids+=($!)
	wait_for 10 test -f app.ready || fail "the application did not connect"
}
