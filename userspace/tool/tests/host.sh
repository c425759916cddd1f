#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host checks of the grpsec tool that need no kernel module: usage, bad
# values and their messages, exit codes, and the message when the module
# is not there.  The module is never loaded here; on a machine where the
# family does exist, the last check is skipped.
#
#   tests/host.sh ./grpsec
set -u

tool=${1:-./grpsec}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# check EXPECTED_RC REGEX ARGS...: run the tool, compare its exit code and
# find REGEX (grep -E) in what it printed.
check()
{
	local want=$1 re=$2 out rc
	shift 2
	out=$("$tool" "$@" 2>&1 < /dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$re" <<< "$out"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: grpsec $* -> exit $rc (want $want), output:"
		sed 's/^/    | /' <<< "$out"
		echo "    wanted /$re/"
	fi
}

printf '0123456789abcdef' > "$tmp/k16"

# Global options and the command table.
check 0 '^Usage: grpsec ' -h
check 0 'syncconf +Apply only what differs' help
check 1 'invalid command "bogus"' bogus
check 1 'unknown option "-x"' -x show
check 0 '^grpsec tools [0-9.]+, netlink version 1' version
check 1 'version takes no arguments' version extra

# Every subcommand prints its own usage.
check 0 'Usage: grpsec group add ID' group help
check 0 'Usage: grpsec member import GROUP FILE' member help
check 0 'Usage: grpsec member add GROUP ID' member add help
check 0 'Usage: grpsec upstream set endpoint' upstream help
check 0 'Usage: grpsec upstream del$' upstream help
check 0 '^Usage: grpsec monitor \[count N\] \[timeout SEC\]$' monitor help
check 0 'Usage: grpsec listen \[PORT\] \[gateway-seq N\]' listen help
check 0 'Usage: grpsec syncconf FILE' syncconf help
check 1 'invalid group command "frob"' group frob
check 1 'invalid member command "frob"' member frob

# Bad values are quoted, with the usage, exit 1, before any kernel call.
check 1 'invalid suite "foo"' group add 7 suite foo
check 1 'Usage: grpsec group add' group add 7 suite foo
check 1 'invalid mode "loud"' group add 7 mode loud
check 1 'invalid group id "0"' group add 0
check 1 'invalid group id "x7"' group add x7
check 1 'invalid group id "4294967296"' group add 4294967296
check 1 'invalid message limit "0"' group add 7 msg-limit 0
check 1 'invalid message limit "-1"' group add 7 msg-limit -1
check 1 'invalid rate limit "fast"' group add 7 rate-limit fast
check 1 'invalid rate limit "-1"' group set 7 rate-limit -1
check 1 'invalid rate limit "4294967296"' group set 7 rate-limit 4294967296
check 1 'missing value after "rate-limit"' group set 7 rate-limit
check 1 'Usage: grpsec group set ID \[msg-limit N\] \[rate-limit N\]' group set 7 rate-limit x
check 1 'missing value after "suite"' group add 7 suite
check 1 'invalid argument "colour"' group add 7 colour red
check 1 'missing group id' group add
check 1 'suite and mode cannot change' group set 7 suite aes-256-gcm
check 1 'nothing to set' group set 7
check 1 'unexpected argument "8"' group del 7 8
check 1 'invalid group id or field "bogus"' group show bogus
check 1 'invalid group field "colour"' group show 7 colour
check 1 'invalid terminate "yes" \(on or off\)' group add 7 terminate yes
check 1 'missing value after "terminate"' group set 7 terminate
check 1 'invalid delivery address "127.0.0.1"' group add 7 deliver 127.0.0.1
check 1 'invalid delivery address "none"' group add 7 deliver none
check 1 'invalid multicast address "239.1.2.3"' group add 7 mcast 239.1.2.3
check 1 'invalid multicast address "none"' group add 7 mcast none
check 1 'missing value after "mcast"' group set 7 mcast
check 1 'invalid slot "later" \(current or next\)' group set 7 key "$tmp/k16" slot later
check 1 'invalid epoch "-2"' group set 7 key "$tmp/k16" epoch -2
check 1 'epoch and slot go with key' group set 7 epoch 2
check 1 'key given twice' group add 7 key "$tmp/k16" key "$tmp/k16"
check 1 'Usage: grpsec group set ID .*\[terminate on\|off\] \[key FILE \[epoch E\] \[slot current\|next\]\] \[deliver ADDR:PORT\|none\] \[mcast ADDR:PORT\|none\]' group set 7 colour red
check 1 'cannot open key file "/nonexistent/kg"' group add 7 terminate on key /nonexistent/kg
check 1 'does not hold a 32-byte key' group add 7 suite aes-256-gcm key "$tmp/k16"

check 1 'a new member needs a key' member add 7 1
check 1 'invalid member id "0"' member add 7 0 key "$tmp/k16"
check 1 'invalid epoch "x"' member add 7 1 epoch x key "$tmp/k16"
check 1 'invalid endpoint "10.0.0.1"' member add 7 1 key "$tmp/k16" endpoint 10.0.0.1
check 1 'invalid endpoint "10.0.0.1:0"' member add 7 1 key "$tmp/k16" endpoint 10.0.0.1:0
check 1 'invalid endpoint "\[::1\]"' member add 7 1 key "$tmp/k16" endpoint '[::1]'
check 1 'invalid endpoint "fe80::1:5"' member add 7 1 key "$tmp/k16" endpoint fe80::1:5
check 1 'next-key and next-epoch go together' member add 7 1 key "$tmp/k16" next-epoch 2
check 1 'only one key can come from standard input' member add 7 1 key - next-epoch 2 next-key -
check 1 'key and epoch go together' member set 7 1 key "$tmp/k16"
check 1 'nothing to set' member set 7 1
check 1 'invalid member field "colour"' member show 7 colour
check 1 'missing group or file' member import 7

check 1 'the upstream needs gateway-id' upstream set endpoint 10.0.0.1:7000
check 1 'the upstream needs key' upstream set endpoint 10.0.0.1:7000 gateway-id 1
check 1 'invalid batch-max "256" \(1..255\)' upstream set batch-max 256
check 1 'invalid flush-usec "49"' upstream set flush-usec 49
check 1 'invalid mtu "127"' upstream set mtu 127
check 1 'invalid suite "aes"' upstream set suite aes
check 1 'invalid upstream field "colour"' upstream show colour
check 1 'unexpected argument "now"' upstream del now
check 1 'Usage: grpsec upstream del' upstream del now

check 1 'invalid port "65536"' listen 65536
check 1 'missing port' listen
check 1 'invalid field "colour"' show colour
check 1 'a field and -j exclude each other' -j show dump
check 1 'invalid counter "drop-everything"' stats drop-everything

# send: a payload from a file or standard input, at most 1160 bytes.
check 0 '^Usage: grpsec send GROUP \[member ID\] \[FILE\]$' send help
check 0 'send +Send a command from the gateway' help
check 1 'missing group id' send
check 1 'invalid group id "0"' send 0
check 1 'invalid member id "x"' send 2 member x
check 1 'missing value after "member"' send 2 member
check 1 'unexpected argument "extra"' send 2 member 3 "$tmp/k16" extra
check 1 'cannot open "/nonexistent/payload"' send 2 /nonexistent/payload
head -c 1161 /dev/zero > "$tmp/big"
head -c 1160 /dev/zero > "$tmp/max"
check 1 'payload of ".*big" is longer than 1160 bytes' send 2 "$tmp/big"
check 1 'unexpected argument "now"' monitor now
check 1 'Usage: grpsec monitor \[count N\]' monitor now
check 1 'invalid count "0"' monitor count 0
check 1 'invalid count "-1"' monitor count -1
check 1 'invalid timeout "0" \(1..31536000 seconds\)' monitor timeout 0
check 1 'invalid timeout "1.5"' monitor timeout 1.5
check 1 'missing value after "timeout"' monitor count 1 timeout

# Files: read errors and bad lines name the file and the line.
check 1 'cannot open "/nonexistent/members"' member import 7 /nonexistent/members
printf '1 %s\n\n# comment\nx %s\n3\n4 k epoch z\n5 k colour red\n' \
	"$tmp/k16" "$tmp/k16" > "$tmp/members"
check 1 'members:4: invalid member id "x"' member import 7 "$tmp/members"
check 1 'members:5: expected "ID KEY' member import 7 "$tmp/members"
check 1 'members:6: invalid epoch "z"' member import 7 "$tmp/members"
check 1 'members:7: invalid argument "colour"' member import 7 "$tmp/members"
check 1 '4 bad lines, nothing imported' member import 7 "$tmp/members"

check 1 'cannot open "/nonexistent/conf"' setconf /nonexistent/conf
cat > "$tmp/bad.conf" <<'CONF'
[Gateway]
ListenPort = 70000
[Colours]
[Upstream]
Endpoint = 10.0.0.1:7000
[Group]
Suite = aes-512
Member = 1 k epoch x
[Group]
Id = 3
Id = 3
[Group]
Id = 3
RateLimit = fast
RateLimit = 4294967296
CONF
check 1 'bad.conf:2: invalid port "70000"' setconf "$tmp/bad.conf"
check 1 'bad.conf:3: invalid section "\[Colours\]"' setconf "$tmp/bad.conf"
check 1 'bad.conf:7: invalid suite "aes-512"' setconf "$tmp/bad.conf"
check 1 'bad.conf:8: invalid epoch "x"' setconf "$tmp/bad.conf"
check 1 'bad.conf:6: \[Group\] without Id' setconf "$tmp/bad.conf"
check 1 'bad.conf:12: group 3 already defined on line 9' setconf "$tmp/bad.conf"
check 1 'bad.conf:14: invalid rate limit "fast"' setconf "$tmp/bad.conf"
check 1 'bad.conf:15: invalid rate limit "4294967296"' setconf "$tmp/bad.conf"
cat > "$tmp/term.conf" <<'CONF'
[Group]
Id = 4
Terminate = maybe
Deliver = 127.0.0.1
GroupKey = k epoch x
NextGroupKey = k epoch 2 extra
GroupKey = - epoch 1
Multicast = 239.1.2.3
CONF
check 1 'term.conf:3: invalid Terminate "maybe" \(on or off\)' setconf "$tmp/term.conf"
check 1 'term.conf:4: invalid delivery address "127.0.0.1"' setconf "$tmp/term.conf"
check 1 'term.conf:5: invalid epoch "x"' setconf "$tmp/term.conf"
check 1 'term.conf:6: expected "KEY \[epoch E\]"' setconf "$tmp/term.conf"
check 1 'term.conf:7: a key in a file cannot come from standard input' setconf "$tmp/term.conf"
check 1 'term.conf:8: invalid multicast address "239.1.2.3"' setconf "$tmp/term.conf"
check 1 'bad.conf: \[Upstream\] needs GatewayId' syncconf "$tmp/bad.conf"
check 1 'nothing applied' syncconf "$tmp/bad.conf" dry-run
check 1 'invalid argument "now"' syncconf "$tmp/bad.conf" now
check 1 'invalid argument "dir"' showconf dir /tmp

# Sequence floors: numbers up to GRPSEC_SEQ_FLOOR_MAX (2^63 - 1), quoted
# when wrong, before any kernel call.
check 1 'invalid last-seq "9223372036854775808" \(0\.\.9223372036854775807\)' \
	member add 1 2 key "$tmp/k16" last-seq 9223372036854775808
check 1 'invalid last-seq "-1"' member set 1 2 last-seq -1
check 1 'invalid command sequence "18446744073709551615"' group set 1 cmd-seq 18446744073709551615
check 1 'invalid sequence "9223372036854775808"' upstream set seq 9223372036854775808
check 1 'invalid gateway sequence "x"' listen 7000 gateway-seq x
check 1 'missing value after "gateway-seq"' listen gateway-seq
cat > "$tmp/seq.conf" <<'CONF'
[Gateway]
GatewaySequence = 9223372036854775808
[Group]
Id = 4
CommandSequence = 1x
Member = 5 k last-seq 99999999999999999999
CONF
check 1 'seq.conf:2: invalid gateway sequence "9223372036854775808"' setconf "$tmp/seq.conf"
check 1 'seq.conf:5: invalid command sequence "1x"' setconf "$tmp/seq.conf"
check 1 'seq.conf:6: invalid last-seq "99999999999999999999"' setconf "$tmp/seq.conf"

# No message prints any part of a key: not a line that holds one, not a
# key in the wrong place or of the wrong length.  check_secret RC SECRET
# ARGS...: the exit code, and no 6 characters of SECRET in the output.
check_secret()
{
	local want=$1 secret=$2 out rc i leak=
	shift 2
	out=$("$tool" "$@" 2>&1 < /dev/null)
	rc=$?
	for ((i = 0; i + 6 <= ${#secret}; i++)); do
		grep -qiF -- "${secret:i:6}" <<< "$out" && leak=${secret:i:6}
	done
	if [ "$rc" = "$want" ] && [ -z "$leak" ] && [ -n "$out" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: grpsec $* -> exit $rc (want $want), leaks \"$leak\", output:"
		sed 's/^/    | /' <<< "$out"
	fi
}
hex=00112233445566778899aabbccddeeff
cat > "$tmp/leak1.conf" <<CONF
[Group]
Id = 4
Member 5 $hex
CONF
check_secret 1 $hex setconf "$tmp/leak1.conf"
printf '[Group]\nId = 4\nMember = %s 5\n' $hex > "$tmp/leak2.conf"
check_secret 1 $hex setconf "$tmp/leak2.conf"
printf '[Group]\nId = 4\n%s = 5\n' $hex > "$tmp/leak3.conf"
check_secret 1 $hex syncconf "$tmp/leak3.conf"
printf '[Upstream]\nKey = %s\nKey2 = %s\n' $hex ${hex:1} > "$tmp/leak4.conf"
check_secret 1 $hex setconf "$tmp/leak4.conf"
printf '%s 5\n5 %s bogus\n' $hex ${hex:3} > "$tmp/leak.members"
check_secret 1 $hex member import 4 "$tmp/leak.members"
check_secret 1 $hex member add 4 5 key "$tmp/k16" "$hex"
check_secret 1 $hex group add 4 "$hex" x
# A file with keys in it that group or others can read: a warning.
printf '[Group]\nId = 4\nMember = 5 %s\nbogus\n' $hex > "$tmp/loose.conf"
chmod 644 "$tmp/loose.conf"
check 1 'warning: file with keys ".*loose.conf" is readable by group or others \(mode 0644\): chmod 600 it' \
	setconf "$tmp/loose.conf"
chmod 600 "$tmp/loose.conf"
out=$("$tool" setconf "$tmp/loose.conf" 2>&1)
if grep -q warning <<< "$out"; then
	failed=$((failed + 1))
	echo "FAIL: a mode 0600 file got a warning: $out"
else
	passed=$((passed + 1))
fi

# Without the module: a clear message and exit 2.
if [ -d /sys/module/grpsec ]; then
	echo "skip: the grpsec module is loaded here, not checking its absence"
else
	check 2 '^grpsec: the grpsec kernel module is not loaded \(modprobe grpsec\)$' show
	check 2 'not loaded' group add 7
	check 2 'not loaded' member show
	check 0 'kernel module: not loaded' version
	check 2 'not loaded' -j show
	check 2 'not loaded' monitor count 1 timeout 1
	check 2 'not loaded' upstream del
	check 2 'not loaded' send 2 "$tmp/max"
	check 2 'not loaded' send 2 member 7
	check 2 'not loaded' group add 7 terminate on key "$tmp/k16" deliver 127.0.0.1:6000
	check 2 'not loaded' group set 7 mcast none
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
