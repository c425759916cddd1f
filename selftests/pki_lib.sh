# SPDX-License-Identifier: GPL-2.0
#
# A test PKI made with the openssl program in the current directory
# (ECDSA P-256; nothing here is ever committed): CAs with an `openssl
# ca` database, leaf certificates, CRLs and external PSKs.  Sourced by
# the daemon's host tests (userspace/daemon/tests/enroll-lib.sh) and by
# the selftests that run grpsecd in the VM.

# ca_new NAME: a CA (NAME.key, NAME.pem) with an openssl ca database.
ca_new()
{
	local n=$1
	mkdir -p "$n.db"
	: > "$n.db/index.txt"
	echo 1000 > "$n.db/serial"
	echo 1000 > "$n.db/crlnumber"
	cat > "$n.cnf" <<-CNF
	[ca]
	default_ca = this
	[this]
	dir = $PWD/$n.db
	database = \$dir/index.txt
	serial = \$dir/serial
	crlnumber = \$dir/crlnumber
	new_certs_dir = \$dir
	certificate = $PWD/$n.pem
	private_key = $PWD/$n.key
	default_md = sha256
	default_days = 30
	default_crl_days = 30
	policy = any
	copy_extensions = copy
	unique_subject = no
	[any]
	organizationName = optional
	commonName = supplied
	[leaf]
	basicConstraints = CA:FALSE
	keyUsage = digitalSignature
	[req]
	distinguished_name = dn
	[dn]
	CNF
	openssl ecparam -name prime256v1 -genkey -noout -out "$n.key" 2> /dev/null
	openssl req -config "$n.cnf" -x509 -new -key "$n.key" -subj "/CN=$n" -days 30 \
		-out "$n.pem" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=keyCertSign,cRLSign
}

# cert_new CA NAME CN [SAN] [STARTDATE ENDDATE]: NAME.key, NAME.pem signed
# by CA, subject O=Utility, CN=CN (RFC 2253: "CN=CN,O=Utility").
cert_new()
{
	local ca=$1 n=$2 cn=$3 san=${4:-} dates=()
	[ -n "${5:-}" ] && dates=(-startdate "$5" -enddate "$6")
	openssl ecparam -name prime256v1 -genkey -noout -out "$n.key" 2> /dev/null
	openssl req -config "$ca.cnf" -new -key "$n.key" -subj "/O=Utility/CN=$cn" \
		${san:+-addext "subjectAltName=$san"} -out "$n.csr"
	openssl ca -batch -config "$ca.cnf" -extensions leaf -in "$n.csr" -out "$n.pem" \
		"${dates[@]}" > "$n.ca.log" 2>&1 || { cat "$n.ca.log"; return 1; }
}

# crl_revoke CA NAME: revoke NAME.pem and write CA.crl.
crl_revoke()
{
	openssl ca -config "$1.cnf" -revoke "$2.pem" > /dev/null 2>&1 &&
		openssl ca -config "$1.cnf" -gencrl -out "$1.crl" > /dev/null 2>&1
}

# psk_new ID HASH: ID.psk (hex) and a line for the manager's PSK file psks.
psk_new()
{
	openssl rand -hex 32 > "$1.psk"
	echo "$1 $2 $(cat "$1.psk")" >> psks
	chmod 600 psks "$1.psk"
}
