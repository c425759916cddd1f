#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Replay windows across a restart.  Members of an anonymous, an identified
# and a terminate mode group report; the gateway's configuration is saved
# with showconf (which writes each member's highest accepted sequence as
# its last-seq); the module is unloaded and loaded again and the saved
# file set.  Then the members send their old frames again (the same keys
# and sequences, regenerated): every one is a replay, none reaches the
# backend or the local application.  Frames with new sequences pass.
# syncconf only ever raises a replay floor.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys grpsec-app
module_load
setup_namespaces
keys_init

N=20
M=3
S1=aes-128-gcm
S2=chacha20-poly1305
APP_PORT=6000
gw_start
spawn "$NS_GW" sh -c 'exec grpsec-app --listen 127.0.0.1:'$APP_PORT' \
	--timeout '$((300 * TIMEOUT_SCALE))' > '"$K/app.out"
wait_udp "$NS_GW" $APP_PORT
gw_group 1 anonymous $S1 1 $N
gw_group 2 identified $S2 1 $N
gw_group 3 anonymous $S1 1 $N 1 terminate on \
	key "$(inner_key 3 anonymous $S1 1)" epoch 1 deliver 127.0.0.1:$APP_PORT

# members_run NAME: every member of the three groups sends M frames, its
# sequences kept in the files NAME: a new NAME starts them at 1 again.
members_run()
{
	local g mode suite
	for g in 1 2 3; do
		mode=anonymous suite=$S1
		[ $g = 2 ] && mode=identified suite=$S2
		SEQ_FILE=$K/seq.$g.$1 members $g $mode $suite 1 $N $M \
			--burst > /dev/null
	done
}

backend_start "$K/be.out" 1:anonymous:$S1:1 2:identified:$S2:1 -- \
	--expect $((2 * N * M)) --timeout $((120 * TIMEOUT_SCALE))
members_run first
backend_wait || fail "backend: $(cat "$K/be.out")"
expect_field "$K/be.out" unique $((2 * N * M))
wait_stat delivered $((N * M))
expect_stat verified $((3 * N * M))
expect_stat drop-replay 0

# Saved, as a shutdown would; the keys where the file says they are.
mkdir -p "$K/conf"
n_gw grpsec showconf keydir "$K/conf" > "$K/saved.conf"
cat "$K/saved.conf" >&2
grep -q "^Member = 5 2/5.1.key epoch 1 .*last-seq $M\$" "$K/saved.conf" ||
	fail "showconf did not save member 2/5's last-seq $M"
cp "$K/k_up" "$K/conf/upstream.key"
for g in 1 2 3; do
	suite=$S1
	[ $g = 2 ] && suite=$S2
	grpsec-keys member --s-auth "$K/s_auth" --suite $suite --group $g \
		--epoch 1 --member 1 --count $N --dir "$K/conf/$g.tmp"
	mkdir -p "$K/conf/$g"
	for m in $(seq 1 $N); do
		mv "$K/conf/$g.tmp/$m.key" "$K/conf/$g/$m.1.key"
	done
done
cp "$K/k_g.3.1" "$K/conf/3/group.1.key"

module_unload
module_load
n_gw grpsec setconf "$K/saved.conf"
[ "$(n_gw grpsec member show 2 last-seq | awk -v m=$M '$2 == m' | wc -l)" = $N ] ||
	fail "not every member of group 2 came back with last-seq $M"

# The old frames again: each a replay, in every group.
members_run again
wait_stat drop-replay $((3 * N * M))
sleep 0.5
expect_stat drop-replay $((3 * N * M))
for g in 1 2 3; do
	expect_stat drop-replay $((N * M)) $g
done
expect_stat verified 0
expect_stat forwarded 0
expect_stat delivered 0

# New sequences pass, under the same keys.
backend_start "$K/be2.out" 1:anonymous:$S1:1 2:identified:$S2:1 -- \
	--expect $((2 * N * M)) --timeout $((120 * TIMEOUT_SCALE))
members_run first
backend_wait || fail "backend after the restart: $(cat "$K/be2.out")"
expect_field "$K/be2.out" unique $((2 * N * M))
wait_stat delivered $((N * M))
expect_stat verified $((3 * N * M))

# syncconf with the saved file lowers nothing; a higher floor is raised,
# for that member only, and holds.  (Without the endpoints: the members
# came back from other ports.)
last=$(n_gw grpsec member show 1 last-seq | awk '$1 == 7 { print $2 }')
[ "$last" -gt $M ] || fail "member 1/7 shows last-seq \"$last\""
sed 's/ endpoint [^ ]*//' "$K/saved.conf" > "$K/saved2.conf"
[ -z "$(n_gw grpsec syncconf "$K/saved2.conf" dry-run)" ] ||
	fail "syncconf of the saved file would change something"
sed "s|^\(Member = 7 1/7.1.key epoch 1\) last-seq $M\$|\1 last-seq 5000|" \
	"$K/saved2.conf" > "$K/raised.conf"
[ "$(n_gw grpsec syncconf "$K/raised.conf" dry-run)" = "member 1/7 set last-seq 5000" ] ||
	fail "syncconf plans: $(n_gw grpsec syncconf "$K/raised.conf" dry-run)"
n_gw grpsec syncconf "$K/raised.conf"
[ "$(n_gw grpsec member show 1 last-seq | awk '$1 == 7 { print $2 }')" = 5000 ] ||
	fail "member 1/7's floor did not rise to 5000"
[ "$(n_gw grpsec member show 1 last-seq | awk '$1 == 8 { print $2 }')" = "$last" ] ||
	fail "member 1/8's last-seq changed"
# From the command line too; a lower floor leaves it.
n_gw grpsec member set 1 8 last-seq 1
[ "$(n_gw grpsec member show 1 last-seq | awk '$1 == 8 { print $2 }')" = "$last" ] ||
	fail "a lower floor lowered member 1/8's last-seq"
exit $ksft_pass
