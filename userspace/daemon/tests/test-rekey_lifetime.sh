#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A rekey by the epoch lifetime: group 7 with EpochLifetime = 60s moves to
# epoch 2 between 54 and 60 s after its first epoch was made (the lifetime
# less a jitter of up to a tenth), its members apply the rekey (through
# tests/helper-gateway) and seal under epoch 2; the next epoch is not
# started at once after the switch.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"

pki > pki.log 2>&1 || { cat pki.log; exit 1; }
psk_new psk-0003 sha256
batch_port=$(random_port)
metrics_port=$(random_port)
enroll_conf m.conf "BatchListen = 127.0.0.1:$batch_port
ApplicationSocket = $PWD/app.sock
MetricsListen = 127.0.0.1:$metrics_port
RekeyRate = 100
RekeyGrace = 1s"
sed -i -e "s|^Address = 127.0.0.1:4790|&\nUpstreamKey = $PWD/kup\nUpstreamSuite = aes-128-gcm|" \
	-e 's|^Id = 7$|&\nEpochLifetime = 60s|' m.conf
head -c 16 /dev/urandom > kup
chmod 600 kup
sock=$PWD/ctl.sock
t0=$(date +%s)
start_enroll_manager m.conf
for d in psk-0001:sha256 psk-0002:sha384 psk-0003:sha256; do
	enroll_psk "${d%:*}" "${d#*:}" --group 7 > /dev/null || fail "enrolling ${d%:*}"
done
"$GRPSECD_TESTS/helper-gateway" "$batch_port" kup aes-128-gcm 1 7 100 3 \
	psk-0001.state psk-0002.state psk-0003.state > gw.out 2>&1 &
gw_pid=$!
daemon_pids+=("$gw_pid")

# The commit, timed from before the manager made epoch 1.
for i in $(seq 160); do
	grep -q 'group 7: epoch 2 committed (lifetime)' m.conf.log && break
	sleep 0.5
done
t=$(($(date +%s) - t0))
echo "epoch 2 committed $t s after the start"
grep -q 'group 7: epoch 2 committed (lifetime), 3 members to rekey' m.conf.log && pass ||
	{ fail "no rekey by the lifetime"; tail m.conf.log; }
[ "$t" -ge 53 ] && [ "$t" -le 64 ] && pass || fail "rekeyed $t s after the start, want 54 to 60 (and the checks' delay)"
for i in $(seq 100); do grep -q '^uplinks epoch=2 members=3 of 3' gw.out && break; sleep 0.1; done
grep -q '^uplinks epoch=2 members=3 of 3' gw.out && pass || { fail "members not on epoch 2"; cat gw.out; }
wait_for grep -q 'group 7: epoch 2 is current, 1 retired' m.conf.log && pass || fail "no switch"
metric() { curl -sf "http://127.0.0.1:$metrics_port/metrics" | awk -v s="$1" '$1 == s { print $2 }'; }
[ "$(metric 'grpsecd_epochs_total{reason="lifetime"}')" = 1 ] && pass ||
	fail "lifetime epochs: $(metric 'grpsecd_epochs_total{reason="lifetime"}')"
sleep 3
! grep -q 'epoch 3 committed' m.conf.log && pass || fail "epoch 3 started right after the switch"
finish
