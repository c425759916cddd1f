#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The configuration round trip: showconf on one gateway, setconf on a
# fresh namespace, showconf there gives the same file; syncconf then
# changes only what differs (and says what, with dry-run/verbose).

source "$(dirname "$0")/lib.sh"

NS_GW2=grpsec-conf-$$
tmp=$(mktemp -d)
cleanup_test()
{
	"$IP" netns del "$NS_GW2" 2> /dev/null
	rm -rf "$tmp"
}
n_gw2() { run_in "$NS_GW2" "$@"; }

require_root
require_cmd grpsec diff
[ -n "$IP" ] || ksft_skip "iproute2's ip not found"
module_load
setup_namespaces

# Keys where showconf says they are: upstream.key, GROUP/MEMBER.EPOCH.key.
keys=$tmp/keys
mkdir -p "$keys/7" "$keys/8"
head -c 16 /dev/urandom > "$keys/upstream.key"
for k in 7/1.0 7/2.3 7/2.4 7/3.1; do
	head -c 16 /dev/urandom > "$keys/$k.key"
done
for k in 8/1.5 8/2.5; do
	od -An -tx1 -v -N32 /dev/urandom | tr -d ' \n' > "$keys/$k.key"
done

n_gw grpsec listen 7000
# On loopback, so that the fresh namespace can reach it too.
n_gw grpsec upstream set endpoint 127.0.0.1:7001 gateway-id 5 \
	key "$keys/upstream.key" batch-max 32 flush-usec 500 mtu 1200
n_gw grpsec group add 7 msg-limit 100000
n_gw grpsec group add 8 suite aes-256-gcm mode identified
n_gw grpsec member add 7 1 key "$keys/7/1.0.key"
n_gw grpsec member add 7 2 epoch 3 key "$keys/7/2.3.key" next-epoch 4 \
	next-key "$keys/7/2.4.key" endpoint 192.0.2.2:4000
n_gw grpsec member add 7 3 epoch 1 key "$keys/7/3.1.key"
n_gw grpsec member add 8 1 epoch 5 key "$keys/8/1.5.key" \
	endpoint '[2001:db8::8]:4001'
n_gw grpsec member add 8 2 epoch 5 key "$keys/8/2.5.key"

n_gw grpsec showconf keydir "$keys" > "$tmp/a.conf"
cat "$tmp/a.conf" >&2
grep -q "^Key = upstream.key\$" "$tmp/a.conf" || fail "showconf: upstream key"
grep -q "^Member = 2 7/2.3.key epoch 3 next-epoch 4 next-key 7/2.4.key endpoint 192.0.2.2:4000\$" \
	"$tmp/a.conf" || fail "showconf: member 7/2"

# setconf on a fresh namespace reproduces the configuration.
ns_create "$NS_GW2"
n_gw2 grpsec setconf "$tmp/a.conf"
n_gw2 grpsec showconf keydir "$keys" > "$tmp/b.conf"
diff -u "$tmp/a.conf" "$tmp/b.conf" || fail "showconf differs after setconf"
# The same file again, through syncconf: nothing to do.
[ -z "$(n_gw2 grpsec syncconf "$tmp/a.conf" dry-run)" ] ||
	fail "syncconf of an identical file plans changes"
# setconf replaces: what the file does not have goes.
n_gw2 grpsec group add 99
n_gw2 grpsec setconf "$tmp/a.conf"
n_gw2 grpsec showconf keydir "$keys" > "$tmp/b.conf"
diff -u "$tmp/a.conf" "$tmp/b.conf" || fail "setconf did not replace"

# A changed file: a new key epoch for 7/1, 7/3 gone, 7/4 new, a new
# endpoint for 7/2, a new message limit for 7, group 8 changes its suite
# (so it is replaced), group 10 is new; the listening port changes.
head -c 16 /dev/urandom > "$keys/7/1.1.key"
head -c 16 /dev/urandom > "$keys/7/4.0.key"
head -c 16 /dev/urandom > "$keys/8/1.6.key"
head -c 32 /dev/urandom > "$keys/10-1.key"
cat > "$tmp/c.conf" <<CONF
# Changed by hand.
[Gateway]
ListenPort = 7002
KeyDirectory = keys

[Upstream]
Endpoint = 127.0.0.1:7001
GatewayId = 5
Key = upstream.key
BatchMax = 32
FlushUsec = 500
Mtu = 1200

[group]
id = 7
MsgLimit = 200000
Member = 1 7/1.1.key epoch 1
Member = 2 7/2.3.key epoch 3 next-epoch 4 next-key 7/2.4.key endpoint 192.0.2.3:4000
Member = 4 7/4.0.key

[Group]
Id = 8
Suite = aes-128-gcm
Mode = identified
Member = 1 8/1.6.key epoch 6

[Group]
Id = 10
Suite = chacha20-poly1305
Member = 1 $keys/10-1.key epoch 9   # an absolute path
CONF
n_gw2 grpsec syncconf "$tmp/c.conf" dry-run > "$tmp/plan"
cat "$tmp/plan" >&2
diff -u - "$tmp/plan" <<PLAN || fail "syncconf plans the wrong changes"
listen-port 7002
group 8 del
group 7 set msg-limit 200000
group 8 add
group 10 add
member 7/1 set epoch 1
member 7/2 set endpoint 192.0.2.3:4000
member 7/3 del
member 7/4 add
member 8/1 add
member 10/1 add
PLAN
# dry-run changed nothing.
n_gw2 grpsec showconf keydir "$keys" > "$tmp/b.conf"
diff -u "$tmp/a.conf" "$tmp/b.conf" || fail "dry-run changed something"

n_gw2 grpsec syncconf "$tmp/c.conf"
[ -z "$(n_gw2 grpsec syncconf "$tmp/c.conf" dry-run)" ] ||
	fail "syncconf left differences"
n_gw2 grpsec showconf keydir "$keys" > "$tmp/d.conf"
cat "$tmp/d.conf" >&2
T=$'\t'
[ "$(n_gw2 grpsec show listen-port)" = 7002 ] || fail "listen port"
[ "$(n_gw2 grpsec member show dump | cut -f1-5)" = "7${T}1${T}1${T}(none)${T}0
7${T}2${T}3${T}4${T}0
7${T}4${T}0${T}(none)${T}0
8${T}1${T}6${T}(none)${T}0
10${T}1${T}9${T}(none)${T}0" ] || fail "members after syncconf"
[ "$(n_gw2 grpsec group show dump | cut -f1-3,5)" = "7${T}aes-128-gcm${T}anonymous${T}200000
8${T}aes-128-gcm${T}identified${T}4294967296
10${T}chacha20-poly1305${T}anonymous${T}4294967296" ] ||
	fail "groups after syncconf"
grep -q "^Member = 2 7/2.3.key epoch 3 next-epoch 4 next-key 7/2.4.key endpoint 192.0.2.3:4000\$" \
	"$tmp/d.conf" || fail "member 7/2 after syncconf"

# A key that cannot be read stops syncconf before it changes anything.
sed -i 's|^Member = 4 7/4.0.key$|Member = 4 7/4.0.key\nMember = 5 7/missing.key|' \
	"$tmp/c.conf"
! n_gw2 grpsec syncconf "$tmp/c.conf" 2> "$tmp/err" || false
cat "$tmp/err" >&2
grep -q 'c.conf:[0-9]*: cannot open key file ".*7/missing.key"' "$tmp/err" ||
	fail "syncconf: no message for the missing key"
n_gw2 grpsec showconf keydir "$keys" > "$tmp/e.conf"
diff -u "$tmp/d.conf" "$tmp/e.conf" || fail "a failed syncconf changed something"

# A file without member 7/2's next key and without [Upstream]: syncconf
# empties that key slot and deletes the upstream.
sed -e 's| next-epoch 4 next-key 7/2.4.key||' -e '/^\[Upstream\]$/,/^$/d' \
	"$tmp/d.conf" > "$tmp/f.conf"
! grep -q Upstream "$tmp/f.conf" || fail "f.conf still has an upstream"
n_gw2 grpsec syncconf "$tmp/f.conf" dry-run > "$tmp/plan"
diff -u - "$tmp/plan" <<PLAN || fail "syncconf plans the wrong changes"
upstream del
member 7/2 set next-epoch none
PLAN
n_gw2 grpsec syncconf "$tmp/f.conf" 2> "$tmp/err"
! grep -v '^+ ' "$tmp/err" || fail "syncconf complained"
[ -z "$(n_gw2 grpsec syncconf "$tmp/f.conf" dry-run)" ] ||
	fail "syncconf left differences"
[ "$(n_gw2 grpsec member show 7 next-epoch)" = "1${T}(none)
2${T}(none)
4${T}(none)" ] || fail "7/2 kept its next key"
[ "$(n_gw2 grpsec upstream show dump)" = "(none)" ] ||
	fail "syncconf kept the upstream"
n_gw2 grpsec showconf keydir "$keys" > "$tmp/g.conf"
diff -u "$tmp/f.conf" "$tmp/g.conf" || fail "showconf differs after syncconf"

# setconf installs the upstream of a file that has one, and deletes it
# for a file that has none.  (Their keys where showconf names them.)
mkdir -p "$keys/10"
cp "$keys/10-1.key" "$keys/10/1.9.key"
n_gw2 grpsec setconf "$tmp/d.conf"
[ "$(n_gw2 grpsec upstream show endpoint)" = 127.0.0.1:7001 ] ||
	fail "setconf did not install the upstream"
n_gw2 grpsec setconf "$tmp/f.conf"
[ "$(n_gw2 grpsec upstream show dump)" = "(none)" ] ||
	fail "setconf kept the upstream"
# Having none to delete is fine.
n_gw2 grpsec setconf "$tmp/f.conf"

# A saved downlink sequence becomes the floor and reads back; syncconf
# raises it, never lowers it (the kernel's moves on by itself).
sed 's/^Mtu = 1200$/&\nDownlinkSequence = 5000/' "$tmp/a.conf" > "$tmp/h.conf"
n_gw grpsec setconf "$tmp/h.conf"
[ "$(n_gw grpsec upstream show dl-seq)" = 5000 ] ||
	fail "setconf: dl-seq $(n_gw grpsec upstream show dl-seq), not 5000"
n_gw grpsec showconf keydir "$keys" > "$tmp/i.conf"
diff -u "$tmp/h.conf" "$tmp/i.conf" ||
	fail "showconf differs after setconf with a downlink sequence"
sed 's/^DownlinkSequence = 5000$/DownlinkSequence = 10/' "$tmp/h.conf" > "$tmp/j.conf"
[ -z "$(n_gw grpsec syncconf "$tmp/j.conf" dry-run)" ] ||
	fail "syncconf plans to lower the downlink floor"
sed 's/^DownlinkSequence = 5000$/DownlinkSequence = 6000/' "$tmp/h.conf" > "$tmp/k.conf"
[ "$(n_gw grpsec syncconf "$tmp/k.conf" dry-run)" = "upstream set" ] ||
	fail "syncconf does not raise the downlink floor"
n_gw grpsec syncconf "$tmp/k.conf"
[ "$(n_gw grpsec upstream show dl-seq)" = 6000 ] ||
	fail "syncconf: dl-seq $(n_gw grpsec upstream show dl-seq), not 6000"
exit $ksft_pass
