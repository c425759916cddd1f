# SPDX-License-Identifier: GPL-2.0
#
# grpsec flows on top of lib.sh: keys, gateway configuration, simulated
# members and backend.  Source it after lib.sh:
#
#	source "$(dirname "$0")/lib.sh"
#	source "$(dirname "$0")/gateway_lib.sh"
#
# Keys live in $K, a private directory removed at exit.  Every member and
# the backend derive theirs from the same secrets (Documentation/keys.rst):
# S_auth for the member keys the gateway holds, S_e2e for end-to-end keys
# (identified groups) and K_G per group (anonymous groups), which the
# gateway never sees.

GW_PORT=5740
BE_PORT=5741
GW_ID=42

K=$(mktemp -d /tmp/grpsec-test.XXXXXX)
chmod 700 "$K"

gw_cleanup()
{
	rm -rf "$K"
}

# diagnose_test: on failure, what the gateway saw (lib.sh calls it).
diagnose_test()
{
	echo "# --- gateway state at failure" >&2
	"$IP" netns exec "$NS_GW" grpsec stats >&2 2>&1 || true
	"$IP" netns exec "$NS_GW" grpsec upstream show >&2 2>&1 || true
	"$IP" -n "$NS_GW" -s link show >&2 2>&1 || true
	# Last, so that a short excerpt still shows where frames went.
	echo "# nonzero gateway drops:" \
		"$("$IP" netns exec "$NS_GW" grpsec stats 2> /dev/null |
		awk '/^total/ { t = 1; next } /^[^ ]/ { t = 0 }
		     t && $1 ~ /drop|miss/ && $2 != 0 { printf "%s=%s ", $1, $2 }')" >&2
	local ns
	for ns in "$NS_M" "$NS_GW" "$NS_BE"; do
		echo "# UDP in $ns: $("$IP" netns exec "$ns" awk \
			'/^Udp:/ { if (seen++) { for (i = 2; i <= NF; i++)
			if ($i != 0) printf "%s=%s ", h[i], $i } else
			for (i = 2; i <= NF; i++) h[i] = $i }' /proc/net/snmp)" >&2
	done
}

# keys_init: fresh secrets for one test.
keys_init()
{
	grpsec-keys random --bytes 32 --out "$K/s_auth"
	grpsec-keys random --bytes 32 --out "$K/s_e2e"
	grpsec-keys random --bytes 32 --out "$K/up"
}

# inner_key GROUP MODE SUITE [EPOCH]: the key source the backend and
# members use for the inner layer of GROUP (for anonymous groups K_G[e],
# made on first use).
inner_key()
{
	local kg=$K/k_g.$1.${4:-1}

	if [ "$2" = identified ]; then
		echo "$K/s_e2e"
		return
	fi
	[ -f "$kg" ] || grpsec-keys random --suite "$3" --out "$kg"
	echo "$kg"
}

# gw_start [upstream set options...]: listen and point upstream at the
# backend namespace.
gw_start()
{
	grpsec-keys upstream --secret "$K/up" --suite aes-128-gcm \
		--gateway $GW_ID --out "$K/k_up"
	n_gw grpsec listen $GW_PORT
	n_gw grpsec upstream set endpoint $IP_BE:$BE_PORT gateway-id $GW_ID \
		key "$K/k_up" "$@"
}

# gw_group GROUP MODE SUITE FIRST COUNT [EPOCH [group add options...]]:
# a group and its members FIRST..FIRST+COUNT-1 with their epoch keys.
gw_group()
{
	local g=$1 mode=$2 suite=$3 first=$4 count=$5 epoch=${6:-1}

	shift $(($# < 6 ? $# : 6))
	n_gw grpsec group add "$g" suite "$suite" mode "$mode" "$@"
	gw_members "$g" "$suite" "$first" "$count" "$epoch"
}

# gw_members GROUP SUITE FIRST COUNT EPOCH: import members' keys.
gw_members()
{
	grpsec-keys member --s-auth "$K/s_auth" --suite "$2" --group "$1" \
		--epoch "$5" --member "$3" --count "$4" --import "$K/import.$1"
	n_gw grpsec member import "$1" "$K/import.$1"
}

# backend_start OUTFILE GROUPSPEC... [-- backend options]: the backend
# in its namespace, on $BE_PORT; GROUPSPEC is GROUP:MODE:SUITE:EPOCH.
# Returns once its socket is bound; $backend_pid is its pid.
backend_start()
{
	local out=$1 args=() spec g mode suite

	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		spec=$1
		IFS=: read -r g mode suite e <<< "$spec"
		args+=(--group "$spec:$(inner_key "$g" "$mode" "$suite" "$e")")
		shift
	done
	[ "${1:-}" != -- ] || shift
	rm -f "$K/be.ready"
	spawn "$NS_BE" sh -c 'exec "$@" > '"$out" sh grpsec-backend \
		--listen $BE_PORT --gateway $GW_ID --up-secret "$K/up" \
		--ready-file "$K/be.ready" "${args[@]}" "$@"
	backend_pid=$spawned
	wait_for 10 test -s "$K/be.ready"
}

# backend_wait: wait for the backend to finish; its exit status.
backend_wait()
{
	local rc=0

	wait "$backend_pid" || rc=$?
	return $rc
}

# members GROUP MODE SUITE FIRST COUNT MESSAGES [grpsec-member options]:
# simulated members, sealing under epoch $EPOCH (default 1).  Their
# sequence numbers persist in $K (one file per group and epoch, or
# $SEQ_FILE), so later runs never reuse one.
members()
{
	local g=$1 mode=$2 suite=$3 first=$4 count=$5 msgs=$6 inner
	local e=${EPOCH:-1}

	shift 6
	inner=$(inner_key "$g" "$mode" "$suite" "$e")
	if [ "$mode" = identified ]; then
		inner="--s-e2e $inner"
	else
		inner="--k-g $inner"
	fi
	# shellcheck disable=SC2086
	n_m grpsec-member --gateway $IP_GW_M:$GW_PORT --group "$g" \
		--mode "$mode" --suite "$suite" --first "$first" \
		--count "$count" --messages "$msgs" --s-auth "$K/s_auth" \
		--epoch "$e" --seq-file "${SEQ_FILE:-$K/seq.$g}" $inner "$@"
}

# field NAME LINE: the value of NAME=... in a key=value line.
field()
{
	tr ' ' '\n' <<< "$2" | sed -n "s/^$1=//p"
}

# expect_field FILE NAME VALUE: a key=value result file says NAME=VALUE.
expect_field()
{
	local got

	got=$(field "$2" "$(cat "$1")")
	[ "$got" = "$3" ] ||
		fail "expected $2=$3, got $2=${got:-nothing} in: $(cat "$1")"
}

# stat COUNTER [GROUP [MEMBER]]: a gateway counter: the namespace total,
# one group's or one member's.
stat()
{
	"$IP" netns exec "$NS_GW" grpsec ${3:+-s} stats "$1" |
		awk -F '\t' -v g="${2:-}" -v m="${3:-}" '
			g == "" && $1 == "total" { print $2 }
			m == "" && $1 == "group" && $2 == g { print $3 }
			$1 == "member" && $2 == g && $3 == m { print $4 }'
}

# expect_stat COUNTER VALUE [GROUP [MEMBER]]
expect_stat()
{
	local got who

	got=$(stat "$1" "${3:-}" "${4:-}")
	who="${3:+ of group $3}${4:+ member $4}"
	[ "$got" = "$2" ] ||
		fail "gateway counter $1$who: expected $2, got ${got:-nothing}"
	echo "# $1$who = $got" >&2
}

# wait_stat COUNTER VALUE [GROUP]: wait until a counter reaches VALUE.
wait_stat()
{
	wait_for 20 eval '[ "$(stat '"$1"' '"${3:-}"')" -ge '"$2"' ]' ||
		fail "gateway counter $1 stayed at $(stat "$1" "${3:-}"), expected $2"
}

# sign_init: the manager's Ed25519 signing key pair ($K/sign, $K/sign.pub)
# and the secret the members' wrap keys K_wrap,m derive from ($K/wrap).
sign_init()
{
	grpsec-keys sign --out "$K/sign" --pub "$K/sign.pub"
	grpsec-keys random --bytes 32 --out "$K/wrap"
}

# downlink command|rekey ARGS...: the backend sends downlink frames to the
# gateway's listen port (DL_TO, by default its IPv4 address on the
# backend side), signed with $K/sign, with downlink sequences that never
# repeat ($K/dl_seq); ARGS are grpsec-backend command|rekey options.
downlink()
{
	local kind=$1

	shift
	n_be grpsec-backend "$kind" --to "${DL_TO:-$IP_GW_BE:$GW_PORT}" \
		--gateway $GW_ID --up-secret "$K/up" --dl-seq-file "$K/dl_seq" \
		--sign-key "${SIGN_KEY:-$K/sign}" "$@"
}

# members_listen OUTFILE GROUP MODE SUITE FIRST COUNT [grpsec-member
# options]: members that send one frame each (so that the gateway learns
# their address), then wait up to 60 s (scaled) for command and rekey
# frames, in the background; $members_pid is their pid.  Returns once the
# gateway verified their frames.
members_listen()
{
	local out=$1 g=$2 before

	shift
	before=$(stat verified "$g")
	members "$1" "$2" "$3" "$4" "$5" 1 --listen $((60 * TIMEOUT_SCALE)) \
		--sign-pub "$K/sign.pub" --wrap-secret "$K/wrap" "${@:6}" > "$out" &
	members_pid=$!
	_pids+=("$members_pid")
	wait_stat verified $((${before:-0} + $5)) "$g"
}

# members_wait OUTFILE: wait for members_listen's members; fail with
# their output unless they got what they expected.
members_wait()
{
	wait "$members_pid" || fail "members: $(tail -n 1 "$1")"
	tail -n 1 "$1" >&2
}

# dump_member_ids FILE: the member id of every batch entry in a backend
# --dump file, one a line, with the entry's mode (parsed from the wire).
dump_member_ids()
{
	awk 'function hex(s,  i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef",
					   tolower(substr(s, i, 1))) - 1
		return v
	}
	{
		n = hex(substr($0, 33, 4))
		p = 41
		for (i = 0; i < n; i++) {
			mode = substr($0, p, 2)
			len = hex(substr($0, p + 4, 4))
			print mode, substr($0, p + 24, 8)
			p += 32 + 2 * len
		}
	}' "$1"
}
