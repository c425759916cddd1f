#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The manager's memory per member (a measurement, not a test; make -C
# userspace/daemon bench-memory): for each count, a database with that
# many enrolled devices (store_enroll(), each a member of identified group
# 1 and anonymous group 2), grpsecd manager started on it with a gateway's
# UpstreamKey, BatchListen and an application reading ApplicationSocket;
# its resident memory (VmRSS) once it is up, then after one message of
# every member of group 1 was opened (the backend then holds a replay
# window per member and has saved the replay state), and its peak (VmHWM).
#
#   bench-memory.sh [COUNT...]        (default: 0 10000 50000)
set -u
here=$(cd "$(dirname "$0")" && pwd)
export GRPSECD=${GRPSECD:-$here/../grpsecd} GRPSECCTL=${GRPSECCTL:-$here/../grpsecctl}
export GRPSECD_TESTS=$here
# The database's commits are not what is measured: a tmpfs makes them quick.
work=$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/grpsecd-mem.XXXXXX")
cd "$work" || exit 1
. "$here/lib.sh"
# After lib.sh, whose own EXIT trap this one replaces (it stops the daemons too).
trap 'stop_daemons; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# opened N: N messages or more (the last batch is filled up from the first members).
opened() { [ "$(curl -sf "http://127.0.0.1:$metrics_port/metrics" |
	awk '$1 == "grpsecd_messages_received_total{group=\"1\"}" { print $2 }')" -ge "$1" ]; }

for n in ${@:-0 10000 50000}; do
	rm -rf "$work/$n"
	mkdir "$work/$n" && cd "$work/$n" || exit 1
	port=$(random_port)
	manager_conf m.conf '[Group]' 'Id = 1' 'Mode = identified' 'Gateway = 7' \
		'[Group]' 'Id = 2' 'Mode = anonymous' 'Gateway = 7' \
		'[Gateway]' 'Id = 7' 'Identity = CN=gw-7' 'Address = 127.0.0.1:7000' \
		"UpstreamKey = $PWD/kup" 'UpstreamSuite = aes-256-gcm'
	sed -i -e '/^\[Group\]$/{N;/Id = 10/{N;d}}' \
		-e "/^\[Manager\]/a BatchListen = 127.0.0.1:$port\nApplicationSocket = $PWD/app.sock" m.conf
	head -c 32 /dev/urandom > kup
	head -c 32 /dev/urandom > master.key
	chmod 600 kup master.key
	if [ "$n" -gt 0 ]; then
		"$here/helper-bench" store "$db" master.key "$n" > enroll.out || exit 1
	fi
	start_manager m.conf || exit 1
	app app.jsonl
	sleep 1
	start=$(kib "$manager_pid" VmRSS)
	after=$start
	if [ "$n" -gt 0 ]; then
		"$here/helper-bench" send "$port" "$db" master.key kup "$n" || exit 1
		for i in $(seq 600); do opened "$n" && break; sleep 0.1; done
		opened "$n" || { echo "members=$n: not every message was opened"; exit 1; }
		sleep 1
		after=$(kib "$manager_pid" VmRSS)
	fi
	peak=$(kib "$manager_pid" VmHWM)
	[ "$n" = 0 ] && base=$start
	per=$([ "$n" -gt 0 ] && [ -n "${base:-}" ] && echo $(((after - base) * 1024 / n)) || echo -)
	echo "members=$n rss_up=${start}KiB rss_after_messages=${after}KiB peak=${peak}KiB" \
		"bytes_per_member_over_0=${per}"
	stop_daemons
	cd "$work" || exit 1
done
