# SPDX-License-Identifier: GPL-2.0
#
# Helpers for grpsecd's host tests (sourced).  Every check prints what it
# ran when it fails; a test ends with "finish", which exits 1 if any
# check failed.

grpsecd=${GRPSECD:?run the tests through tests/run.sh}
grpsecctl=${GRPSECCTL:?}
checks_failed=0
checks_passed=0

fail()
{
	echo "FAIL: $*"
	checks_failed=$((checks_failed + 1))
}

pass()
{
	checks_passed=$((checks_passed + 1))
}

# expect RC REGEX CMD...: run CMD, compare its exit code and find REGEX
# (grep -E) in what it printed (stdout and stderr).
expect()
{
	local want=$1 re=$2 out rc
	shift 2
	out=$("$@" 2>&1 < /dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$re" <<< "$out"; then
		pass
		return 0
	fi
	fail "$* -> exit $rc (want $want), wanted /$re/ in:"
	sed 's/^/    | /' <<< "$out"
	return 1
}

finish()
{
	echo "$checks_passed checks passed, $checks_failed failed"
	[ "$checks_failed" = 0 ]
}

# Daemons started with start_manager are stopped at exit.
daemon_pids=()
stop_daemons()
{
	local p
	for p in "${daemon_pids[@]}"; do
		kill "$p" 2> /dev/null && wait "$p" 2> /dev/null
	done
	daemon_pids=()
}
trap stop_daemons EXIT

# wait_for COND... : retry COND for up to 10 s.
wait_for()
{
	local i
	for i in $(seq 100); do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# start_manager CONF [ARGS...]: start grpsecd manager in the background
# (log in CONF.log) and wait until its control socket answers.
start_manager()
{
	local conf=$1 sock
	shift
	sock=$(sed -n 's/^[[:space:]]*ControlSocket[[:space:]]*=[[:space:]]*//p' "$conf")
	"$grpsecd" manager -c "$conf" "$@" >> "$conf.log" 2>&1 &
	manager_pid=$!
	daemon_pids+=("$manager_pid")
	if ! wait_for "$grpsecctl" -s "$sock" show; then
		echo "grpsecd manager did not come up; its log:"
		sed 's/^/    | /' "$conf.log"
		return 1
	fi
}

# A TCP port on loopback that nothing holds now (the kernel's pick for
# bind(0), so not one that a connection's TIME_WAIT still holds, as a
# random one in the ephemeral range can be after a test made thousands of
# connections; the test fails clearly if another process takes it first).
random_port()
{
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# manager_conf FILE [EXTRA...]: a manager configuration with its state
# under the file's directory: group 10 (identified), metrics on a random
# loopback port ($metrics_port), control socket $sock.  EXTRA lines are
# appended.
manager_conf()
{
	local f=$1 dir
	shift
	dir=$(cd "$(dirname "$f")" && pwd)
	metrics_port=$(random_port)
	sock=$dir/ctl.sock
	db=sqlite:$dir/manager.db
	masterkey=$dir/master.key
	{
		cat <<CONF
[Manager]
Database = $db
MasterKey = $masterkey
ControlSocket = $sock
MetricsListen = 127.0.0.1:$metrics_port

[Group]
Id = 10
Mode = identified
CONF
		printf '%s\n' "$@"
	} > "$f"
}

# store_helper ARGS...: tests/helper-rows on the manager's database.
store_helper()
{
	"$GRPSECD_TESTS/helper-rows" "$db" "$masterkey" "$@"
}

ctl()
{
	"$grpsecctl" -s "$sock" "$@"
}

# app FILE: an application reading JSON lines from ApplicationSocket
# ($PWD/app.sock) into FILE, in the background.
app()
{
	/usr/bin/python3 - "$PWD/app.sock" "$1" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"json\n")
open(sys.argv[2] + ".ready", "w").close()
with open(sys.argv[2], "wb", buffering=0) as f:
    while True:
        b = s.recv(65536)
        if not b:
            break
        f.write(b)
PY
	app_pid=$!
	daemon_pids+=("$app_pid")
	# Connected before anything is sent: a batch that comes before the
	# hello reaches the applications already there, not this one.
	wait_for test -f "$1.ready" || fail "the application did not connect"
}
