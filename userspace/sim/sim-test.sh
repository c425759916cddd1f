#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# Host test of the simulators on the loopback interface, with grpsec-gw
# standing in for the kernel gateway.  Prints "ok N - name" / "not ok N -
# name" and "# N passed, N failed"; exits 1 on any failure.
set -u
cd "$(dirname "$0")"

T=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

pass=0 fail=0
result() {	# result OK NAME
	if [ "$1" = 0 ]; then
		pass=$((pass + 1)); echo "ok $((pass + fail)) - $2"
	else
		fail=$((fail + 1)); echo "not ok $((pass + fail)) - $2"
	fi
}

# field NAME LINE: the value of NAME=... in a key=value line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# expect_fields LINE NAME=VALUE...: every field has the given value.
expect_fields() {
	local line=$1 kv; shift
	for kv in "$@"; do
		if [ "$(field "${kv%%=*}" "$line")" != "${kv#*=}" ]; then
			echo "#   expected ${kv}, got ${kv%%=*}=$(field "${kv%%=*}" "$line")" >&2
			echo "#   in: $line" >&2
			return 1
		fi
	done
}

wait_ready() {	# wait_ready FILE: print the port once FILE exists
	local i
	for i in $(seq 500); do
		[ -s "$1" ] && { sed -n 's/^port=//p' "$1"; return 0; }
		sleep 0.01
	done
	echo "#   $1 never appeared" >&2
	return 1
}

./grpsec-keys random --bytes 32 --out "$T/s_auth"
./grpsec-keys random --bytes 32 --out "$T/s_e2e"
./grpsec-keys random --bytes 32 --out "$T/up"
./grpsec-keys random --suite aes-256-gcm --out "$T/k_g"
GW=9

# start_backend NAME ARGS...: backend on an ephemeral port; sets BPORT.
start_backend() {
	local name=$1; shift
	rm -f "$T/$name.ready"
	./grpsec-backend --listen 127.0.0.1:0 --gateway $GW --up-secret "$T/up" \
		--group "10:identified:aes-256-gcm:3:$T/s_e2e" \
		--group "11:anonymous:aes-256-gcm:3:$T/k_g" \
		--ready-file "$T/$name.ready" "$@" > "$T/$name.out" 2> "$T/$name.err" &
	PIDS+=($!); BPID=$!
	BPORT=$(wait_ready "$T/$name.ready")
}

# start_gw NAME ARGS...: reference gateway toward BPORT; sets GPORT.
start_gw() {
	local name=$1; shift
	rm -f "$T/$name.ready"
	./grpsec-gw --listen 127.0.0.1:0 --backend 127.0.0.1:$BPORT --gateway $GW \
		--up-secret "$T/up" --group "10:identified:aes-256-gcm:3:$T/s_auth" \
		--group "11:anonymous:aes-256-gcm:3:$T/s_auth" --members 1:1000 \
		--ready-file "$T/$name.ready" "$@" > "$T/$name.out" 2> "$T/$name.err" &
	PIDS+=($!); GPID=$!
	GPORT=$(wait_ready "$T/$name.ready")
}

member() {	# member GROUP MODE ARGS...
	local group=$1 mode=$2; shift 2
	local keys=(--s-e2e "$T/s_e2e")
	[ "$mode" = anonymous ] && keys=(--k-g "$T/k_g")
	./grpsec-member --gateway 127.0.0.1:$GPORT --group "$group" --mode "$mode" \
		--suite aes-256-gcm --epoch 3 --s-auth "$T/s_auth" "${keys[@]}" "$@"
}

# 1. Exactly-once delivery through the gateway, both modes, with replays.
start_backend be1 --expect 3000 --timeout 20
start_gw gw1 --idle 1 --timeout 20
member 10 identified --first 1 --count 10 --messages 100 --rate 50000 > "$T/m1.out"
member 11 anonymous --first 1 --count 10 --messages 100 --rate 50000 --replay > "$T/m2.out"
member 11 anonymous --first 11 --count 100 --messages 10 --burst --payload-size 1280 \
	--batch 16 --rate 20000 > "$T/m3.out"
wait $BPID; rc=$?
wait $GPID
result $((rc != 0)) "exactly-once: 3000 messages, identified and anonymous, replays dropped"
expect_fields "$(cat "$T/be1.out")" unique=3000 duplicates=0 bad_tag=0 replay=0 \
	misattributed=0 result=ok
result $? "backend counters of the clean run"
expect_fields "$(cat "$T/gw1.out")" verified=3000 drop-replay=1000 drop-bad-tag=0 \
	forwarded=3000 rx-frames=4000
result $? "gateway dropped the 1000 replayed frames"
expect_fields "$(cat "$T/m2.out")" frames=1000 datagrams=2000 result=ok
result $? "member --replay sends every frame twice"

# 2. Faults the gateway must drop, nothing reaches the backend.
for fault in tamper-tag bad-version truncate unknown-member stale-epoch; do
	start_backend be2 --timeout 1.5
	start_gw gw2 --idle 0.5 --timeout 5
	member 10 identified --first 20 --count 5 --messages 20 --"$fault" > "$T/m.out"
	wait $GPID; wait $BPID
	case $fault in
	tamper-tag) want=drop-bad-tag=100 ;;
	bad-version) want=drop-bad-version=100 ;;
	truncate) want=drop-truncated=100 ;;
	unknown-member) want=drop-unknown-member=100 ;;
	stale-epoch) want=drop-stale-epoch=100 ;;
	esac
	expect_fields "$(cat "$T/gw2.out")" verified=0 rx-frames=100 "$want" &&
		expect_fields "$(cat "$T/be2.out")" messages=0 batches=0
	result $? "member --$fault: the gateway drops all ($want)"
done

# The window: 1000 frames of one member, newest first.  The newest and
# the 960 below it pass, the 39 older ones are replays, as in the module.
start_backend be2 --expect 961 --timeout 10
start_gw gw2 --idle 1 --timeout 10
member 10 identified --first 30 --count 1 --messages 1000 --burst --reverse > "$T/m.out"
wait $BPID; rc=$?
wait $GPID
[ $rc = 0 ] && expect_fields "$(cat "$T/gw2.out")" verified=961 drop-replay=39 &&
	expect_fields "$(cat "$T/be2.out")" unique=961 replay=0
result $? "window: 960 behind the newest pass the gateway and the backend, older ones do not"

# 3. A malicious gateway: the backend catches every attack.
forge() {	# forge GROUP-SPEC ARGS...
	./grpsec-forge --backend 127.0.0.1:$BPORT --gateway $GW --up-secret "$T/up" "$@"
}
ID_G="10:identified:aes-256-gcm:3:$T/s_e2e"
AN_G="11:anonymous:aes-256-gcm:3:$T/k_g"
check_attack() {	# check_attack NAME GROUP EXPECTED-FIELDS...
	local name=$1 group=$2; shift 2
	start_backend be3 --idle 0.3 --timeout 5
	forge --group "$group" --member 500 --count 5 --attack "$name" > "$T/f.out"
	wait $BPID
	expect_fields "$(cat "$T/be3.out")" "$@"
	result $? "forge --attack $name: backend reports $*"
}
check_attack honest "$ID_G" messages=5 unique=5 bad_tag=0
check_attack honest "$AN_G" messages=5 unique=5 anonymous_with_member_id=0
check_attack tamper-inner "$ID_G" messages=0 bad_tag=5 tag_checks=1
check_attack tamper-inner "$AN_G" messages=0 bad_tag=5
check_attack reattribute "$ID_G" messages=0 bad_tag=5 misattributed=0
check_attack forge-inner "$ID_G" messages=0 bad_tag=5
check_attack forge-inner "$AN_G" messages=0 bad_tag=5
check_attack leak-member-id "$AN_G" messages=0 anonymous_with_member_id=5
check_attack replay-inner "$ID_G" messages=5 unique=5 replay=5 tag_checks=2
check_attack replay-inner "$AN_G" messages=5 unique=5 replay=5
check_attack replay-batch "$ID_G" messages=5 batch_replay=1 tag_checks=1
check_attack bad-batch-tag "$ID_G" messages=0 batch_bad_tag=1 batches_ok=0

# 4. --dump writes one hex line per batch.
start_backend be4 --idle 0.3 --timeout 5 --dump "$T/dump.hex"
forge --group "$ID_G" --member 600 --count 3 --attack honest > /dev/null
wait $BPID
[ "$(wc -l < "$T/dump.hex")" = 1 ] && grep -q '^02020' "$T/dump.hex"
result $? "backend --dump: one hex line per batch, version 2 type 2"

# 5. Sequence persistence: a restart resumes above the reserved block.
start_backend be5 --expect 30 --timeout 10
start_gw gw5 --idle 1 --timeout 10
member 10 identified --first 700 --count 1 --messages 10 --seq-file "$T/seq" > "$T/p1.out"
member 10 identified --first 700 --count 1 --messages 20 --seq-file "$T/seq" \
	--counter-start 11 > "$T/p2.out"
wait $BPID; rc=$?
wait $GPID
expect_fields "$(cat "$T/p1.out")" first_seq=1 next_seq=11 &&
	expect_fields "$(cat "$T/p2.out")" first_seq=1025 next_seq=1045 &&
	[ "$(cat "$T/seq")" = "700 2048" ] && [ $rc = 0 ]
r=$?; [ $r = 0 ] || cat "$T/be5.out" "$T/be5.err" "$T/gw5.out" "$T/p1.out" "$T/p2.out" >&2
result $r "--seq-file: the second run starts at 1025, the gateway accepts it"

# 6. grpsec-keys reproduces the KDF vectors and writes member files.
V=../../Documentation/vectors/v2.txt
ok=0
while read -r label suite secret a b c key; do
	if [ "$label" = upstream ]; then
		./grpsec-keys upstream --secret "hex:$secret" --suite "$suite" --gateway "$a" \
			--out "$T/k" --hex
	elif [ "$label" = wrap ]; then
		./grpsec-keys wrap --secret "hex:$secret" --member "$c" --out "$T/k" --hex
	else
		opt=--s-auth; [ "$label" = e2e ] && opt=--s-e2e
		[ "$label" = member ] && cmd=member || cmd=e2e
		./grpsec-keys $cmd $opt "hex:$secret" --suite "$suite" --group "$a" \
			--epoch "$b" --member "$c" --out "$T/k" --hex
	fi
	[ "$(cat "$T/k")" = "$key" ] || { ok=1; echo "#   $label suite $suite differs" >&2; }
done < <(awk '/^kind: kdf/{k=1} k&&/^label:/{l=$2; s="-"} k&&/^suite:/{s=$2} k&&/^secret:/{x=$2}
	k&&/^group:/{g=$2} k&&/^epoch:/{e=$2} k&&/^member:/{m=$2} k&&/^gateway:/{g=$2; e="-"; m="-"}
	k&&/^key:/{print l, s, x, g, e, m, $2; k=0}' "$V")
result $ok "grpsec-keys reproduces the kdf vectors"
./grpsec-keys member --s-auth "$T/s_auth" --suite 1 --group 5 --epoch 0 --member 1 \
	--count 3 --dir "$T/keys" && [ "$(stat -c %s "$T/keys/3.key")" = 16 ] &&
	./grpsec-keys member --s-auth "$T/s_auth" --suite 1 --group 5 --epoch 0 --member 3 \
	--out "$T/k3" && cmp -s "$T/k3" "$T/keys/3.key"
result $? "grpsec-keys --dir writes DIR/<member>.key, raw"

# 7. Downlink: backend commands and rekeys through the reference gateway.
./grpsec-keys sign --out "$T/sign" --pub "$T/sign.pub"
./grpsec-keys sign --out "$T/forger" --pub "$T/forger.pub"
./grpsec-keys random --bytes 32 --out "$T/wrap"
./grpsec-keys random --suite aes-256-gcm --out "$T/k_g4"
start_backend be7 --expect 50 --timeout 20
start_gw gw7 --timeout 30
member 11 anonymous --first 1 --count 50 --messages 1 --listen 20 --expect-commands 50 \
	--expect-rekeys 3 --sign-pub "$T/sign.pub" --wrap-secret "$T/wrap" \
	--dump-frames "$T/frames.hex" > "$T/m7.out" 2> "$T/m7.err" &
MPID=$!; PIDS+=($MPID)
wait $BPID
send() {	# send command|rekey ARGS...
	local kind=$1; shift
	./grpsec-backend "$kind" --to 127.0.0.1:$GPORT --gateway $GW --up-secret "$T/up" \
		--group 11 --suite aes-256-gcm --dl-seq-file "$T/dl_seq" "$@"
}
send command --epoch 3 --k-g "$T/k_g" --sign-key "$T/forger" --payload forged > /dev/null
send command --epoch 3 --k-g "$T/k_g" --sign-key "$T/sign" --payload open-valve \
	> "$T/c7.out"
send rekey --member 1 --count 3 --new-epoch 4 --s-auth "$T/s_auth" --k-g "$T/k_g4" \
	--wrap-secret "$T/wrap" --sign-key "$T/sign" > /dev/null
wait $MPID; rc=$?
[ $rc = 0 ] && expect_fields "$(tail -n 1 "$T/m7.out")" commands=50 members_commanded=50 \
	gateway_commands=0 rekeys=3 refused=50 refused_bad_tag=50 result=ok &&
	[ "$(grep -c '^command group 11 member [0-9]* seq [0-9]* origin backend epoch 3 payload open-valve$' \
		"$T/m7.out")" = 50 ] &&
	[ "$(grep -c '^rekey group 11 member [123] epoch 4$' "$T/m7.out")" = 3 ]
r=$?; [ $r = 0 ] || cat "$T/m7.out" "$T/m7.err" >&2
result $r "backend command reaches 50 members once, a forged one is refused, 3 rekeys apply"

# The frames as captured: a member of group 10 cannot open group 11's.
member 10 identified --first 1 --count 50 --messages 0 --k-g "$T/k_g" \
	--sign-pub "$T/sign.pub" --open-file "$T/frames.hex" > "$T/m7b.out"
expect_fields "$(cat "$T/m7b.out")" commands=0 rekeys=0 refused=103 refused_proto=103
result $? "a member of another group opens none of the captured frames"

# Replays of captured frames are refused by the member itself.
member 11 anonymous --first 1 --count 50 --messages 0 --sign-pub "$T/sign.pub" \
	--wrap-secret "$T/wrap" --open-file <(cat "$T/frames.hex" "$T/frames.hex") \
	> "$T/m7c.out"
expect_fields "$(cat "$T/m7c.out")" commands=50 rekeys=3 refused_bad_tag=50 \
	refused_stale=103
result $? "member: replayed command and rekey frames are refused as stale"

# Downlinks the gateway drops, by reason.
send command --epoch 3 --k-g "$T/k_g" --sign-key "$T/sign" --fault bad-tag > /dev/null
send command --epoch 3 --k-g "$T/k_g" --sign-key "$T/sign" --fault malformed > /dev/null
send command --epoch 3 --k-g "$T/k_g" --sign-key "$T/sign" --fault replay > /dev/null
old() {	# old GROUP ARGS...: a command with a downlink sequence of its own
	local g=$1; shift
	./grpsec-backend command --to 127.0.0.1:$GPORT --gateway $GW --up-secret "$T/up" \
		--group "$g" --suite aes-256-gcm --epoch 3 --k-g "$T/k_g" \
		--sign-key "$T/sign" "$@" > /dev/null
}
old 11 --dl-seq 5
old 99
kill -INT $GPID; wait $GPID
# Accepted: the forged and the real command, 3 rekeys, the first copy.
expect_fields "$(cat "$T/gw7.out")" downlinks=6 dl-drop-bad-tag=1 dl-drop-malformed=1 \
	dl-drop-replay=2 dl-drop-unknown=1 tx-frames=$((3 * 50 + 3))
result $? "gateway: downlinks dropped for a bad tag, malformed, replayed, stale, unknown group"

# Rollover (frames.rst): right after members apply a rekey to epoch 4, and
# before they send anything under it, the gateway still tags their frames
# under K_m[3]; commands sent then arrive, sealed under K_G[4] or K_G[3].
start_backend be8 --expect 2 --timeout 20
start_gw gw8 --timeout 30
member 11 anonymous --first 1 --count 2 --messages 1 --listen 20 --expect-commands 4 \
	--expect-rekeys 2 --sign-pub "$T/sign.pub" --wrap-secret "$T/wrap" \
	> "$T/m8.out" 2> "$T/m8.err" &
MPID=$!; PIDS+=($MPID)
wait $BPID
rollover_send() {	# rollover_send command|rekey ARGS...: to gw8
	local kind=$1; shift
	./grpsec-backend "$kind" --to 127.0.0.1:$GPORT --gateway $GW --up-secret "$T/up" \
		--group 11 --suite aes-256-gcm --dl-seq-file "$T/dl_seq8" "$@" > /dev/null
}
rollover_send rekey --member 1 --count 2 --new-epoch 4 --s-auth "$T/s_auth" --k-g "$T/k_g4" \
	--wrap-secret "$T/wrap" --sign-key "$T/sign"
rollover_send command --epoch 4 --k-g "$T/k_g4" --sign-key "$T/sign" --payload new-key
rollover_send command --epoch 3 --k-g "$T/k_g" --sign-key "$T/sign" --payload old-key
wait $MPID; rc=$?
[ $rc = 0 ] && expect_fields "$(tail -n 1 "$T/m8.out")" commands=4 rekeys=2 refused=0 \
	epoch=4 result=ok &&
	[ "$(grep -c 'origin backend epoch 4 payload new-key$' "$T/m8.out")" = 2 ] &&
	[ "$(grep -c 'origin backend epoch 3 payload old-key$' "$T/m8.out")" = 2 ]
r=$?; [ $r = 0 ] || cat "$T/m8.out" "$T/m8.err" >&2
result $r "rollover: commands right after a rekey, before any uplink under it, arrive"
kill -INT $GPID; wait $GPID

# Addressing (frames.rst, "Command body"): a command for member 1, one for
# member 2 whose body was signed for member 3, one for the group.  Then
# member 1's body off the wire, sent as a multicast frame, opens for none
# of the members; the group's body sent that way opens for every one.
start_backend be9 --expect 3 --timeout 20
start_gw gw9 --timeout 30
member 11 anonymous --first 1 --count 3 --messages 1 --listen 20 --expect-commands 4 \
	--sign-pub "$T/sign.pub" --dump-frames "$T/a9.hex" > "$T/m9.out" 2> "$T/m9.err" &
MPID=$!; PIDS+=($MPID)
wait $BPID
addr_send() {	# addr_send ARGS...: a command to gw9
	./grpsec-backend command --to 127.0.0.1:$GPORT --gateway $GW --up-secret "$T/up" \
		--group 11 --suite aes-256-gcm --dl-seq-file "$T/dl_seq9" --epoch 3 \
		--k-g "$T/k_g" --sign-key "$T/sign" "$@" > /dev/null
}
addr_send --member 1 --payload for-one
addr_send --member 2 --fault readdress --payload moved
addr_send --payload for-all
wait $MPID; rc=$?
[ $rc = 0 ] && expect_fields "$(tail -n 1 "$T/m9.out")" commands=4 member_commands=1 \
	refused=1 refused_bad_tag=1 result=ok &&
	[ "$(grep -c 'member 1 seq [0-9]* origin backend epoch 3 payload for-one$' "$T/m9.out")" = 1 ] &&
	[ "$(grep -c 'payload for-one$' "$T/m9.out")" = 1 ] &&
	! grep -q 'payload moved$' "$T/m9.out"
r=$?; [ $r = 0 ] || cat "$T/m9.out" "$T/m9.err" >&2
result $r "addressing: a body for one member opens for it alone, a moved one for none"
kill -INT $GPID; wait $GPID
# mcast_of FLAGS MEMBER: that frame of a9.hex as a multicast frame (flags 06,
# member 0, epoch 0, same sequence and body, no tag).
mcast_of() {
	awk -v flags="$1" -v member="$2" 'function hex(s,  i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	substr($0, 7, 2) == flags && substr($0, 17, 8) == member {
		print substr($0, 1, 6) "06" substr($0, 9, 8) "0000000000000000" \
		      substr($0, 33, 16) substr($0, 49, 4) "0000" \
		      substr($0, 57, 2 * hex(substr($0, 49, 4)))
		exit
	}' "$T/a9.hex"
}
mcast_of 00 00000001 > "$T/one.hex"
mcast_of 04 00000001 > "$T/all.hex"
member 11 anonymous --first 1 --count 3 --messages 0 --sign-pub "$T/sign.pub" \
	--open-file "$T/one.hex" > "$T/one.out"
[ -s "$T/one.hex" ] && expect_fields "$(cat "$T/one.out")" commands=0 refused=3 \
	refused_bad_tag=3
result $? "addressing: member 1's body as a multicast frame opens for no member"
member 11 anonymous --first 1 --count 3 --messages 0 --sign-pub "$T/sign.pub" \
	--open-file "$T/all.hex" > "$T/all.out"
[ -s "$T/all.hex" ] && expect_fields "$(cat "$T/all.out")" commands=3 refused=0
result $? "addressing: the group's body as a multicast frame opens for every member"

# Two senders share one K_up and one --dl-seq-file: the second, started
# while the first is still sending, waits for it, so no frame of the
# first arrives behind the second's by more than the window.
start_gw gw10 --timeout 30
send10() {	# send10 command|rekey ARGS...
	local kind=$1; shift
	./grpsec-backend "$kind" --to 127.0.0.1:$GPORT --gateway $GW --up-secret "$T/up" \
		--group 11 --suite aes-256-gcm --sign-key "$T/sign" --dl-seq-file "$T/dl10" "$@"
}
send10 rekey --member 1 --count 3000 --new-epoch 4 --s-auth "$T/s_auth" \
	--k-g "$T/k_g4" --wrap-secret "$T/wrap" > "$T/r10.out" &
RPID=$!; PIDS+=($RPID)
sleep 0.02
send10 command --epoch 3 --k-g "$T/k_g" > /dev/null
wait $RPID
kill -INT $GPID; wait $GPID
expect_fields "$(cat "$T/gw10.out")" dl-drop-replay=0 &&
	[ $(($(field downlinks "$(cat "$T/gw10.out")") +
	     $(field dl-drop-unknown "$(cat "$T/gw10.out")"))) = 3001 ]
result $? "downlink sequences: a second sender never lands the first one's frames behind the window"

# 8. grpsec-app prints a delivered message.
rm -f "$T/app.ready"
./grpsec-app --listen 0 --count 1 --timeout 10 --ready-file "$T/app.ready" > "$T/app.out" &
APID=$!; PIDS+=($APID)
APORT=$(wait_ready "$T/app.ready")
# Header: version 2, type 1, suite 1, flags 0, group 1, epoch 3, member 7, seq 9.
printf '\x02\x01\x01\x00\x00\x00\x00\x01\x00\x00\x00\x03\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x09FIRE' \
	> /dev/udp/127.0.0.1/$APORT
wait $APID; rc=$?
[ $rc = 0 ] && grep -qx 'message group 1 member 7 epoch 3 seq 9 payload FIRE' "$T/app.out"
r=$?; [ $r = 0 ] || cat "$T/app.out" >&2
result $r "grpsec-app prints group, member, epoch, sequence and payload"

# 9. Usage errors exit 1 and quote the bad value; --expect unmet exits 2.
for cmd in "./grpsec-member --gateway 127.0.0.1:0" "./grpsec-backend --listen x" \
	   "./grpsec-forge --attack nope" "./grpsec-keys member --suite 9" \
	   "./grpsec-gw --mtu 1" "./grpsec-backend command --fault nope" \
	   "./grpsec-app --count x" "./grpsec-keys frob"; do
	$cmd > /dev/null 2> "$T/err"; rc=$?
	[ $rc = 1 ] && grep -q '"' "$T/err"
	result $? "usage error exits 1 with the value quoted: $cmd"
done
./grpsec-backend --listen 127.0.0.1:0 --gateway 1 --up-secret "$T/up" \
	--group "1:identified:1:0:$T/s_e2e" --expect 1 --timeout 0.2 > "$T/o" 2>/dev/null
rc=$?
[ $rc = 2 ] && expect_fields "$(cat "$T/o")" result=timeout
result $? "backend --expect unmet exits 2 (result=timeout)"

echo "# $pass passed, $fail failed"
[ $fail = 0 ]
