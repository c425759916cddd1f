#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# grpsecd.conf: every class of error names the file, the line and the
# problem, and the daemon refuses to start (grpsecd -t exits 1); a good
# file with every key passes.
set -u
. "$GRPSECD_TESTS/lib.sh"

good=$PWD/good.conf
cat > "$good" <<'CONF'
# A manager with every key.
[Manager]
EnrollListen = 0.0.0.0:4433
ControlListen = [::]:4434
BatchListen = 192.0.2.1:5000
MetricsListen = 127.0.0.1:9105
Certificate = /etc/grpsec/manager.crt
PrivateKey = /etc/grpsec/manager.key
CA = /etc/grpsec/ca.crt
CRL = /etc/grpsec/ca.crl
PSKFile = /etc/grpsec/psk.txt
Database = sqlite:/var/lib/grpsecd/manager.db
MasterKey = /var/lib/grpsecd/master.key
ControlSocket = /run/grpsecd/manager.sock
ApplicationSocket = /run/grpsecd/app.sock
MaxHandshakes = 64
HandshakeTimeout = 5s

[Gateway]
Id = 1
Identity = CN=gw-1,O=Utility
Address = 198.51.100.7:7000
UpstreamKey = /etc/grpsec/gw-1.upstream
UpstreamSuite = aes-256-gcm

[Group]
Id = 10
Suite = aes-256-gcm
Mode = identified
Commands = yes
Terminate = no
EpochLifetime = 30d
MessageLimit = 1000000
RateLimit = 10
Gateway = 1

# The gateway role's section, with every key.
[Control]
Manager = 192.0.2.10:4434
ManagerName = manager.example
Certificate = /etc/grpsec/gw-1.crt
PrivateKey = /etc/grpsec/gw-1.key
CA = /etc/grpsec/ca.crt
CRL = /etc/grpsec/ca.crl
StateFile = /var/lib/grpsecd/gateway.state
ControlSocket = /run/grpsecd/gateway.sock
MetricsListen = 127.0.0.1:9106
HandshakeTimeout = 3s

[Allow]
Group = 10
Subject = CN=meter-*,O=Utility
SAN = DNS:*.meters.example
PSKIdentity = meter-psk-*
CONF
expect 0 'configuration OK: 1 groups, 1 allow rules, 1 gateways' \
	"$grpsecd" manager -t -c "$good"

# bad LINES REGEX: a file with LINES appended to the good one fails,
# naming the last line and the problem.
bad()
{
	local line=$1 re=$2 f=$PWD/bad.conf n
	{ cat "$good"; printf '%s\n' "$line"; } > "$f"
	n=$(wc -l < "$f")
	expect 1 "^grpsecd: error: $f:$n: $re" "$grpsecd" manager -t -c "$f"
	expect 1 'configuration not loaded' "$grpsecd" manager -t -c "$f"
}

# badfile REGEX: a whole file (stdin) fails with REGEX.
badfile()
{
	local re=$1 f=$PWD/bad.conf
	cat > "$f"
	expect 1 "$re" "$grpsecd" manager -t -c "$f"
}

# Syntax.
bad 'Foo' 'expected "Key = Value", got "Foo"'
bad 'RateLimit =' 'RateLimit has no value'
bad '= 5' 'line has no key'
bad '[Nonsense]' 'unknown section \[Nonsense\]'
bad '[Group' '"\[Group": a section name ends with \]'
bad 'Colour = blue' 'unknown key "Colour" in \[Allow\]'
badfile 'bad.conf:1: "Id" outside of any section' <<< 'Id = 1'
badfile 'bad.conf:2: line longer than 4096' <<< "[Group]
Id = $(printf '%05000d' 1)"

# Values, one per type.
bad '[Group]
Suite = des' 'Suite: invalid suite "des"'
bad '[Group]
Mode = secret' 'Mode: invalid mode "secret" \(anonymous or identified\)'
bad '[Group]
Commands = maybe' 'Commands: expected yes or no, got "maybe"'
bad '[Group]
RateLimit = -3' 'RateLimit: invalid number "-3" \(1 to 4294967295\)'
bad '[Group]
MessageLimit = 0' 'MessageLimit: invalid number "0"'
bad '[Group]
EpochLifetime = 10s' 'EpochLifetime: invalid duration "10s"'
bad '[Group]
EpochLifetime = 2 weeks' 'EpochLifetime: invalid duration "2 weeks"'
bad '[Group]
EpochLifetime = 90500ms' 'EpochLifetime: "90500ms" is not a whole number of seconds'
bad '[Group]
Gateway = 1, x' 'Gateway: invalid id "x"'
bad '[Gateway]
Address = 300.1.1.1:7000' 'Address: invalid address "300.1.1.1:7000"'
bad '[Gateway]
UpstreamSuite = rot13' 'UpstreamSuite: invalid suite "rot13"'
bad '[Manager]' 'a second \[Manager\] section \(the first is on line 2\)'
bad 'Group = 0' 'Group: invalid id "0"'
bad "SAN = $(printf 'x%.0s' $(seq 1100))" 'SAN: pattern longer than 1024'

badfile 'bad.conf:2: HandshakeTimeout: invalid duration "1h"' <<< '[Manager]
HandshakeTimeout = 1h'
badfile 'bad.conf:2: MaxHandshakes: invalid number "0" \(1 to 65536\)' <<< '[Manager]
MaxHandshakes = 0'
badfile 'bad.conf:2: MetricsListen: "0.0.0.0:9105" is not a loopback address' <<< '[Manager]
MetricsListen = 0.0.0.0:9105'
badfile 'bad.conf:2: Certificate: "manager.crt" is not an absolute path' <<< '[Manager]
Certificate = manager.crt'
badfile 'bad.conf:2: Database: "mysql:x" is neither sqlite' <<< '[Manager]
Database = mysql:x'
badfile 'bad.conf:3: Database given twice in this \[Manager\] section' <<< '[Manager]
Database = sqlite:/a.db
Database = sqlite:/b.db'

# Sections, checked when they end.
badfile 'bad.conf:1: \[Group\] without an Id' <<< '[Group]
Suite = aes-128-gcm'
badfile 'bad.conf:3: group 5 is already defined on line 1' <<< '[Group]
Id = 5
[Group]
Id = 5'
badfile 'bad.conf:3: \[Allow\] without a Group' <<< '[Group]
Id = 5
[Allow]
Subject = CN=*'
badfile 'bad.conf:3: \[Allow\] admits no one' <<< '[Group]
Id = 5
[Allow]
Group = 5'
badfile 'bad.conf:1: \[Gateway\] without an Address' <<< '[Gateway]
Id = 1
Identity = CN=gw'
badfile 'bad.conf:1: \[Gateway\] without the Identity' <<< '[Gateway]
Id = 1
Address = 192.0.2.1:7000'
badfile 'bad.conf:4: gateway 1 is already defined on line 1' <<< '[Gateway]
Id = 1
Identity = CN=a
[Gateway]
Id = 1
Identity = CN=b
Address = 192.0.2.2:7000'

# References between sections, and what needs what.
badfile 'bad.conf:3: \[Allow\] names group 6, which no \[Group\] defines' <<< '[Group]
Id = 5
[Allow]
Group = 5, 6
Subject = CN=*'
badfile 'bad.conf:1: group 5 names gateway 9, which no \[Gateway\] defines' <<< '[Group]
Id = 5
Gateway = 9'
badfile 'bad.conf:1: \[Manager\] listens for TLS .* but lacks Certificate or PrivateKey' <<< '[Manager]
EnrollListen = 0.0.0.0:4433
CA = /ca.crt'
badfile 'bad.conf:1: \[Manager\] EnrollListen needs CA .* or PSKFile' <<< '[Manager]
EnrollListen = 0.0.0.0:4433
Certificate = /m.crt
PrivateKey = /m.key'
badfile 'bad.conf:1: \[Manager\] ControlListen needs the CA' <<< '[Manager]
ControlListen = 0.0.0.0:4434
Certificate = /m.crt
PrivateKey = /m.key
PSKFile = /psk'
badfile 'bad.conf:1: \[Manager\] CRL without CA' <<< '[Manager]
CRL = /ca.crl'

# Every problem of a file is reported, then the count.
badfile 'bad.conf: 3 problems, configuration not loaded' <<< '[Group]
Id = x
Suite = y
Mode = z'
expect 1 "grpsecd: error: $PWD/none.conf: cannot open: No such file" \
	"$grpsecd" manager -t -c "$PWD/none.conf"

# [Control], the gateway role's: what it needs, FILE:LINE for each value.
expect 0 'good.conf: configuration OK: gateway, manager 192.0.2.10:4434' \
	"$grpsecd" gateway -t -c "$good"
bad '[Control]' 'a second \[Control\] section \(the first is on line [0-9]+\)'
badfile 'bad.conf:1: \[Control\] without Manager' <<< '[Control]
Certificate = /g.crt
PrivateKey = /g.key
CA = /ca.crt'
badfile 'bad.conf:1: \[Control\] lacks Certificate or PrivateKey' <<< '[Control]
Manager = 192.0.2.10:4434
CA = /ca.crt'
badfile 'bad.conf:1: \[Control\] without the CA' <<< '[Control]
Manager = 192.0.2.10:4434
Certificate = /g.crt
PrivateKey = /g.key'
badfile 'bad.conf:1: \[Control\] without ManagerName' <<< '[Control]
Manager = 192.0.2.10:4434
Certificate = /g.crt
PrivateKey = /g.key
CA = /ca.crt'
badfile 'bad.conf:2: Manager: invalid address "manager:4434"' <<< '[Control]
Manager = manager:4434'
badfile 'bad.conf:2: MetricsListen: "192.0.2.1:9106" is not a loopback address' <<< '[Control]
MetricsListen = 192.0.2.1:9106'
badfile 'bad.conf:2: StateFile: "gw.state" is not an absolute path' <<< '[Control]
StateFile = gw.state'
badfile 'bad.conf:1: \[Manager\] ControlListen needs BatchListen' <<< '[Manager]
ControlListen = 0.0.0.0:4434
Certificate = /m.crt
PrivateKey = /m.key
CA = /ca.crt'

# Comments, blank lines, case and spacing.
cat > ok2.conf <<'CONF'
  # indented comment

[group]   # a comment after a section
id=7
SUITE   =   chacha20-poly1305
[ALLOW]
group = 7
pskidentity = dev-*	# tab before the comment
CONF
expect 0 'configuration OK: 1 groups, 1 allow rules, 0 gateways' \
	"$grpsecd" manager -t -c ok2.conf

# The daemon itself refuses to start on a bad file.
printf '[Group]\nId = 0\n' > start.conf
expect 1 'start.conf:2: Id: invalid number "0"' "$grpsecd" manager -c start.conf

finish
