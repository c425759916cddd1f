# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the control channel's tests (sourced after lib.sh and
# enroll-lib.sh): a manager with EnrollListen, ControlListen, BatchListen
# and an application socket; gateway 1 (CN=gateway-1,O=Utility) serving
# groups 7 (anonymous, aes-128-gcm, terminated by the gateway) and 8
# (identified, aes-256-gcm), gateway 2 serving group 9; the gateway's end
# run by tests/helper-gwclient (control_client.c without the kernel part).

gateway=${GRPSECD_GWCLIENT:-$GRPSECD_TESTS/helper-gwclient}
uplink=$GRPSECD_TESTS/helper-uplink

# control_pki: the CA, the manager (DNS:manager.test), gateway 1, a meter,
# a gateway no [Gateway] names, and a gateway certificate from another CA.
control_pki()
{
	ca_new ca
	cert_new ca manager manager-1 DNS:manager.test
	cert_new ca gw1 gateway-1
	cert_new ca gw9 gateway-9
	cert_new ca meter1 meter-0001
	cert_new ca meter2 meter-0002
	ca_new evil
	cert_new evil gwevil gateway-1
	: > psks
	chmod 600 psks
}

# control_conf FILE: the manager's configuration.
control_conf()
{
	enroll_port=$(random_port)
	control_port=$(random_port)
	batch_port=$(random_port)
	metrics_port=$(random_port)
	sock=$PWD/ctl.sock
	db=sqlite:$PWD/manager.db
	masterkey=$PWD/master.key
	cat > "$1" <<-CONF
	[Manager]
	EnrollListen = 127.0.0.1:$enroll_port
	ControlListen = 127.0.0.1:$control_port
	BatchListen = 0.0.0.0:$batch_port
	ApplicationSocket = $PWD/app.sock
	MetricsListen = 127.0.0.1:$metrics_port
	Certificate = $PWD/manager.pem
	PrivateKey = $PWD/manager.key
	CA = $PWD/ca.pem
	Database = $db
	MasterKey = $masterkey
	ControlSocket = $sock
	HandshakeTimeout = 2s

	[Group]
	Id = 7
	Suite = aes-128-gcm
	Mode = anonymous
	Terminate = yes
	RateLimit = 100
	Gateway = 1

	[Group]
	Id = 8
	Suite = aes-256-gcm
	Mode = identified
	Commands = yes
	MessageLimit = 1000000
	Gateway = 1

	[Group]
	Id = 9
	Mode = identified
	Gateway = 2

	[Allow]
	Group = 7, 8, 9
	Subject = CN=meter-*

	[Gateway]
	Id = 1
	Identity = CN=gateway-1,O=Utility
	Address = 127.0.0.1:4790
	UpstreamSuite = aes-256-gcm

	[Gateway]
	Id = 2
	Identity = CN=gateway-2,O=Utility
	Address = 127.0.0.1:4791
	CONF
}

# gateway_conf FILE CERT: the gateway's [Control], with certificate CERT.
gateway_conf()
{
	cat > "$1" <<-CONF
	[Control]
	Manager = 127.0.0.1:$control_port
	ManagerName = manager.test
	Certificate = $PWD/$2.pem
	PrivateKey = $PWD/$2.key
	CA = $PWD/ca.pem
	StateFile = $PWD/gateway.state
	ControlSocket = $PWD/gw.sock
	CONF
}

# start_gateway CONF DIR: helper-gwclient in the background (log DIR.log).
start_gateway()
{
	mkdir -p "$2"
	"$gateway" run "$1" "$2" >> "$2.log" 2>&1 &
	gateway_pid=$!
	daemon_pids+=("$gateway_pid")
}

# gw_query DIR LINE...: hand the gateway "GROUP MEMBER" lines as unknown
# members, the file renamed into place so that it is never read half
# written.
gw_query()
{
	local dir=$1
	shift
	printf '%s\n' "$@" > "$dir/.query" && mv "$dir/.query" "$dir/query"
}

# gw_state DIR: what the gateway holds now.
gw_state() { cat "$1/state.txt" 2> /dev/null; }
# gw_has DIR REGEX: a condition for wait_for.
gw_has() { grep -qE -- "$2" "$1/state.txt" 2> /dev/null; }

# metric NAME LABEL VALUE: a series' value in /metrics (0 when absent);
# LABEL empty for a family without labels.
metric()
{
	local s=$1
	[ -n "${2:-}" ] && s="$1{$2=\"$3\"}"
	curl -sf "http://127.0.0.1:$metrics_port/metrics" |
		awk -v s="$s" '$1 == s { v = $2 } END { print v + 0 }'
}
metric_is() { [ "$(metric "$1" "$2" "$3")" = "$4" ]; }

# enroll_meter NAME GROUPS: grpsec-member enroll (libgrpsec's grpsec_enroll()).
enroll_meter()
{
	"$member" enroll --manager "127.0.0.1:$enroll_port" --ca ca.pem --server-name manager.test \
		--cert "$1.pem" --key "$1.key" --state "$1.state" --group "$2"
}

# control_setup: the PKI, the manager's configuration, the manager started.
control_setup()
{
	control_pki > pki.log 2>&1 || { cat pki.log; exit 1; }
	control_conf m.conf
	start_manager m.conf || exit 1
	conf=m.conf
}
