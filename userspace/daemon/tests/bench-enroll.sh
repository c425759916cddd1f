#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The enrollment benchmark (a measurement, not a test; make -C
# userspace/daemon bench-enroll): enrollments per second with device
# certificates (ECDSA P-256) and with PSKs, the time to enroll 10,000
# devices at once, and beside them, measured in the same run on the same
# machine, the baseline the seed documents describe: a backend that runs
# one mutual-TLS handshake per report, and what the backend spends per
# report the grpsec way (libgrpsec opening gateway batches of 32, one
# thread, no network: the cost a report adds once its device is
# enrolled).  The manager is one process, one
# thread (its event loop), on SQLite (WAL, synchronous=FULL) in a fresh
# directory; the clients are threads of one process on the same machine.
#
#   bench-enroll.sh [-n ENROLLMENTS] [-c CONCURRENCY]
set -u
n=2000
conc=64
while getopts n:c: o; do
	case $o in
	n) n=$OPTARG ;;
	c) conc=$OPTARG ;;
	*) echo "usage: bench-enroll.sh [-n ENROLLMENTS] [-c CONCURRENCY]" >&2; exit 1 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
export GRPSECD=${GRPSECD:-$here/../grpsecd} GRPSECCTL=${GRPSECCTL:-$here/../grpsecctl}
export GRPSECD_TESTS=$here
work=$(mktemp -d "${TMPDIR:-/var/tmp}/grpsecd-bench.XXXXXX")
cd "$work" || exit 1
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=enroll-lib.sh
. "$here/enroll-lib.sh"
trap 'stop_daemons; rm -rf "$work"' EXIT
ulimit -n 16384

echo "# $(nproc) CPUs, $(uname -r), $(openssl version | cut -d' ' -f1-2)"
pki > pki.log 2>&1 && storm_pki 500 500 > storm-pki.log 2>&1 || { cat ./*.log; exit 1; }
enroll_conf m.conf "MaxHandshakes = 4096
HandshakeTimeout = 300s"
start_enroll_manager m.conf

# cpu_ticks PID: user + system time of PID so far, in clock ticks.
cpu_ticks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2> /dev/null || echo 0
}

run() # LABEL ARGS...: one helper run, its rate line (and the manager's CPU time)
{
	local label=$1 out t0 cpu
	shift
	t0=$(cpu_ticks "${manager_pid:-0}")
	out=$("$helper" "$@") || { echo "$label: $out" >&2; exit 1; }
	cpu=$(( $(cpu_ticks "${manager_pid:-0}") - t0 ))
	printf '%s\n    %s' "$label" "$out"
	if [ "$cpu" -gt 0 ]; then
		awk -v c="$cpu" -v hz="$(getconf CLK_TCK)" -v o="$out" 'BEGIN {
			split(o, f, "enrolled="); split(f[2], g, " ");
			printf " manager_cpu_s=%.2f per_manager_cpu_s=%.1f", c / hz, g[1] / (c / hz) }'
	fi
	echo
}

run "certificates, $n enrollments, $conc at a time" \
	storm "127.0.0.1:$enroll_port" ca.pem devices 500 0 "$conc" $((n / 500))
run "PSKs, $n enrollments, $conc at a time" \
	storm "127.0.0.1:$enroll_port" ca.pem devices 0 500 "$conc" $((n / 500))
run "10,000 devices at once (half PSKs), 2000 threads" \
	storm "127.0.0.1:$enroll_port" ca.pem devices 500 500 2000 10
stop_daemons
manager_pid=
run "baseline: mutual TLS per report, $n reports" \
	mtls manager.pem manager.key ca.pem devices 500 "$n" "$conc"
run "grpsec: 100,000 reports of 10,000 members" \
	reports 10000 100000
