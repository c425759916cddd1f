# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the enrollment tests (sourced after lib.sh): test PKI made
# with the openssl CLI in the test's directory (ECDSA P-256; nothing here
# is ever committed), a manager configuration, the device client.

member=${GRPSEC_MEMBER:-$GRPSECD_TESTS/../../sim/grpsec-member}
[ -x "$member" ] || { echo "no $member: build userspace/sim"; exit 77; }
helper=$GRPSECD_TESTS/helper-enroll
command -v openssl > /dev/null || { echo "the openssl program is not installed"; exit 77; }

# ca_new, cert_new, crl_revoke, psk_new: the test PKI, shared with the
# selftests that run grpsecd in the VM.
# shellcheck source=../../../selftests/pki_lib.sh
. "$GRPSECD_TESTS/../../../selftests/pki_lib.sh"

# enroll_conf FILE [EXTRA-MANAGER-LINES]: a manager with groups 7 (anonymous),
# 8 (identified, commands) and 9 (identified, nobody allowed), devices
# CN=meter-* and PSK identities psk-* allowed in 7 and 8.
enroll_conf()
{
	local f=$1
	enroll_port=$(random_port)
	cat > "$f" <<-CONF
	[Manager]
	EnrollListen = 127.0.0.1:$enroll_port
	Certificate = $PWD/manager.pem
	PrivateKey = $PWD/manager.key
	CA = $PWD/ca.pem
	${CRL:+CRL = $PWD/ca.crl}
	PSKFile = $PWD/psks
	Database = sqlite:${ENROLL_DB:-$PWD/manager.db}
	MasterKey = $PWD/master.key
	ControlSocket = $PWD/ctl.sock
	${2:-}

	[Group]
	Id = 7
	Suite = aes-128-gcm
	Mode = anonymous
	Gateway = 1

	[Group]
	Id = 8
	Suite = aes-256-gcm
	Mode = identified
	Commands = yes
	Gateway = 1

	[Group]
	Id = 9
	Suite = chacha20-poly1305
	Mode = identified
	Gateway = 1

	[Allow]
	Group = 7, 8
	Subject = CN=meter-*
	PSKIdentity = psk-*

	[Gateway]
	Id = 1
	Identity = CN=gateway-1
	Address = 127.0.0.1:4790
	CONF
}

# pki: CA, manager certificate, a device, and a PSK of each hash.
pki()
{
	ca_new ca
	cert_new ca manager manager-1 DNS:manager.test
	cert_new ca meter1 meter-0001 DNS:meter-0001.test
	psk_new psk-0001 sha256
	psk_new psk-0002 sha384
}

# enroll_cert NAME CN... : grpsec-member enroll with certificate NAME.
enroll_cert()
{
	local n=$1
	shift
	"$member" enroll --manager "127.0.0.1:$enroll_port" --ca ca.pem --server-name manager.test \
		--cert "$n.pem" --key "$n.key" --state "$n.state" "$@"
}

# enroll_psk ID HASH ...: grpsec-member enroll with PSK ID.
enroll_psk()
{
	local id=$1 hash=$2
	shift 2
	"$member" enroll --manager "127.0.0.1:$enroll_port" --psk-identity "$id" \
		--psk "$id.psk" --psk-hash "$hash" --state "$id.state" "$@"
}

# log_has REGEX: the manager's log says so (within 5 s).
log_has()
{
	wait_for grep -qE -- "$1" "$conf.log" || { fail "the log lacks /$1/"; tail -n 20 "$conf.log"; return 1; }
	pass
}

# start_enroll_manager CONF: start grpsecd manager (log in CONF.log) and wait
# until it listens for enrollments.
start_enroll_manager()
{
	conf=$1
	"$grpsecd" manager -c "$conf" >> "$conf.log" 2>&1 &
	manager_pid=$!
	daemon_pids+=("$manager_pid")
	if ! wait_for grep -q "enroll: listening on" "$conf.log"; then
		echo "grpsecd manager did not come up; its log:"
		sed 's/^/    | /' "$conf.log"
		exit 1
	fi
}

# raw_psk ID HEX: send the bytes HEX as the request over TLS 1.3 with PSK
# ID (openssl s_client, not our client), print the reply decoded:
# "answer member=M" or "refusal reason=R text=..." (or "nothing").
raw_psk()
{
	local id=$1 hex=$2
	printf '%s' "$hex" | sed 's/../\\x&/g' | xargs -0 printf > "raw.$id.bin"
	openssl s_client -connect "127.0.0.1:$enroll_port" -tls1_3 -quiet \
		-psk "$(cat "$id.psk")" -psk_identity "$id" \
		< "raw.$id.bin" > "raw.$id.out" 2> "raw.$id.err"
	decode_reply "raw.$id.out"
}

# decode_reply FILE: the first enrollment message in FILE, decoded.
decode_reply()
{
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
i = d.find(b"\x01\x02\x00\x00")
j = d.find(b"\x01\x03\x00\x00")
i = min(x for x in (i, j, len(d)) if x >= 0)
m = d[i:]
if len(m) < 8:
    print("nothing")
    sys.exit(0)
t, n = m[1], struct.unpack(">I", m[4:8])[0]
b = m[8:8 + n]
if t == 2:
    print("answer member=%d groups=%d" % (struct.unpack(">I", b[0:4])[0],
          struct.unpack(">H", b[58:60])[0]))
elif t == 3:
    r, l = struct.unpack(">HH", b[0:4])
    print("refusal reason=%d text=%s" % (r, b[4:4 + l].decode()))
PY
}

# db_rows: "devices=N members=M" from the manager's SQLite database.
db_rows()
{
	python3 - "${ENROLL_DB:-$PWD/manager.db}" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print("devices=%d members=%d" % (c.execute("select count(*) from devices").fetchone()[0],
                                 c.execute("select count(*) from members").fetchone()[0]))
PY
}

# req_hex GROUP...: an ENROLL request for the groups, in hex.
req_hex()
{
	local g out
	out=$(printf '0101000000000%03x0000%04x' $((4 + 4 * $#)) $#)
	for g in "$@"; do
		out+=$(printf '%08x' "$g")
	done
	echo "$out"
}

# storm_pki N_CERT N_PSK: devices/dev-I.pem/.key (CN=meter-storm-I, signed by
# ca) and devices/psk-I.psk (PSK identity psk-I: sha256 for even I, sha384
# for odd), the PSKs added to the manager's PSK file.
storm_pki()
{
	local i
	mkdir -p devices
	openssl ecparam -name prime256v1 -genkey -noout -out devices/key.pem
	# One key for all (a certificate each is what counts), two at a time.
	seq 0 $(($1 - 1)) | xargs -P 2 -I{} sh -c '
		cp devices/key.pem devices/dev-{}.key &&
		openssl req -new -key devices/key.pem -subj "/O=Utility/CN=meter-storm-{}" |
			openssl x509 -req -CA ca.pem -CAkey ca.key -set_serial $((100000 + {})) \
				-days 2 -out devices/dev-{}.pem 2> /dev/null' || return 1
	python3 - "$2" >> psks <<'PY'
import secrets, sys
for i in range(int(sys.argv[1])):
    k = secrets.token_hex(32)
    open("devices/psk-%d.psk" % i, "w").write(k + "\n")
    print("psk-%d %s %s" % (i, "sha384" if i % 2 else "sha256", k))
PY
}
