#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
"""Check Documentation/vectors/v2.txt against an independent implementation
of Documentation/frames.rst and keys.rst (Python 'cryptography' package).

Usage: check-vectors.py [v2.txt]
Exit 0 when every vector matches, 1 otherwise; 77 when 'cryptography' is
missing (the caller may treat that as skipped).
"""
import struct
import sys

try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
except ImportError:
    print("check-vectors: python3 'cryptography' not available, skipped")
    sys.exit(77)

KEY_LEN = {1: 16, 2: 32, 3: 32}
SALT = b"grpsec-v1"
VERSION = 2


def aead(suite, key):
    return ChaCha20Poly1305(key) if suite == 3 else AESGCM(key)


def hkdf(ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=SALT, info=info).derive(ikm)


def kdf(label, suite, secret, group=0, epoch=0, member=0, gateway=0):
    if label == "wrap":
        return hkdf(secret, b"grpsec wrap key" + struct.pack(">I", member), 32)
    if label == "upstream":
        info = b"grpsec upstream key" + struct.pack(">IB", gateway, suite)
    else:
        lbl = b"grpsec member key" if label == "member" else b"grpsec e2e key"
        info = lbl + struct.pack(">IIIB", group, epoch, member, suite)
    return hkdf(secret, info, KEY_LEN[suite])


def seq_nonce(prefix, seq):
    return struct.pack(">IQ", prefix, seq)


def inner_aad(suite, mode, group, epoch, member):
    return struct.pack(">BBBBIII", VERSION, 1, suite, mode, group, epoch,
                       member if mode == 1 else 0)


def seal_inner(suite, key, nonce, pt, aad):
    """The inner part: nonce || inner tag || ciphertext."""
    ct = aead(suite, key).encrypt(nonce, pt, aad)
    return nonce + ct[-16:] + ct[:-16]


def open_inner(suite, key, inner, aad):
    return aead(suite, key).decrypt(inner[:12], inner[28:] + inner[12:28], aad)


def build_uplink(v):
    suite, mode = int(v["suite"]), 1 if v["mode"] == "identified" else 0
    group, epoch, member, seq = (int(v[k]) for k in ("group", "epoch", "member", "seq"))
    assert v["k_m"] == kdf("member", suite, v["s_auth"], group, epoch, member), \
        "k_m is not K_m[e] of s_auth"
    if mode:
        assert v["k_e2e"] == kdf("e2e", suite, v["s_e2e"], group, epoch, member), \
            "k_e2e is not K_e,m[e] of s_e2e"
    k_inner = v["k_e2e"] if mode else v["k_g"]
    nonce = seq_nonce(1, seq) if mode else v["inner_nonce"]
    assert nonce == v["inner_nonce"], "identified nonce must be 00000001 || be64 seq"
    hdr = struct.pack(">BBBBIIIQ", VERSION, 1, suite, 0, group, epoch, member, seq)
    inner = seal_inner(suite, k_inner, nonce, v["payload"],
                       inner_aad(suite, mode, group, epoch, member))
    body = hdr + inner
    # Identified: header, inner nonce and inner tag; anonymous: all of it.
    tag = aead(suite, v["k_m"]).encrypt(seq_nonce(1, seq), b"", body[:52] if mode else body)
    return body + tag


def parse_uplink(f):
    if len(f) < 68 or len(f) > 1348:
        return "-EMSGSIZE"
    if f[0] != VERSION:
        return "-EPROTONOSUPPORT"
    ver, typ, suite, flags, group, epoch, member, seq = struct.unpack(">BBBBIIIQ", f[:24])
    if typ != 1 or flags or suite not in KEY_LEN or not group or not member or not seq:
        return "-EPROTO"
    return (suite, seq)


def build_batch(v):
    suite, gw, bseq, count = (int(v[k]) for k in ("suite", "gateway", "batch_seq", "count"))
    out = struct.pack(">BBBBIQHH", VERSION, 2, suite, 0, gw, bseq, count, 0)
    aad = out
    for j in range(count):
        e = lambda k: v["entry.%d.%s" % (j, k)]
        mode = 1 if e("mode") == "identified" else 0
        suite_e, group, epoch, member = (int(e(k)) for k in ("suite", "group", "epoch", "member"))
        inner = e("inner")
        key = e("k_e2e") if mode else e("k_g")
        n = len(inner) - 28
        pt = open_inner(suite_e, key, inner, inner_aad(suite_e, mode, group, epoch, member))
        assert pt == e("payload"), "entry %d payload" % j
        if mode:
            assert inner[:4] == b"\0\0\0\1", "identified nonce prefix"
        else:
            assert member == 0, "anonymous entry must carry member 0"
        entry = struct.pack(">BBHIII", mode, suite_e, 12 + n + 16, group, epoch, member) + inner
        out += entry
        # The batch tag covers an identified entry without its ciphertext.
        aad += entry[:44] if mode else entry
    return out + aead(suite, v["k_up"]).encrypt(seq_nonce(2, bseq), b"", aad)


def wrap_key(secret, member):
    return hkdf(secret, b"grpsec wrap key" + struct.pack(">I", member), 32)


def check_rekey_material(v, suite, mode, group, member, new_epoch):
    """The key material: header, then K_m[e'] and K_e,m[e'] as derived from
    the record's secrets, K_G[e'] as given; contents as frames.rst says."""
    km, kl = v["key_material"], KEY_LEN[suite]
    flags = km[2]
    want = 12 + kl * (1 + bool(flags & 1) + bool(flags & 2))
    assert (km[0], km[1], km[3], len(km)) == (suite, mode, 0, want), "key material header"
    assert struct.unpack(">Q", km[4:12])[0] == int(v["msg_limit"]), "message limit"
    assert km[12:12 + kl] == kdf("member", suite, v["s_auth"], group, new_epoch, member), \
        "K_m[e'] is not the one S_auth gives"
    if mode:
        assert flags & 2, "identified: K_e,m[e'] required"
        assert km[-kl:] == kdf("e2e", suite, v["s_e2e"], group, new_epoch, member), \
            "K_e,m[e'] is not the one S_e2e gives"
    else:
        assert flags == 1, "anonymous: K_G[e'] and no K_e,m[e']"


def build_downlink_vec(v, rekey):
    """Body, downlink and type 4/5 frame of a command or rekey record, from
    the record's inputs: keys derived from the secrets it names."""
    group, member, epoch = int(v["group"]), int(v["member"]), int(v["epoch"])
    be, seq, suite, mode = int(v["body_epoch"]), int(v["seq"]), int(v["suite"]), \
        1 if v["mode"] == "identified" else 0
    flags = int(v["flags"])
    signed = rekey or v["origin"] == "backend"
    recipient = member if rekey else int(v["recipient"])
    # The frame says whom the body is for: GROUP (bit 2) means recipient 0.
    assert rekey or (recipient == 0) == bool(flags & 4), "group flag and recipient"
    assert signed != bool(flags & 1), "gateway flag and origin"
    k_m = kdf("member", suite, v["s_auth"], group, epoch, member)
    assert k_m == v["k_m"], "k_m is not K_m[e] of s_auth"
    nonce = v["nonce"]
    head = struct.pack(">IQ", be, seq) + nonce
    if rekey:
        assert v["k_wrap"] == wrap_key(v["wrap_secret"], member), "k_wrap"
        check_rekey_material(v, suite, mode, group, member, be)
        lbl = b"grpsec rekey v1" + struct.pack(">II", group, member)
        aad = lbl + struct.pack(">IQ", be, seq)
        signed_part = head + AESGCM(v["k_wrap"]).encrypt(nonce, v["key_material"], aad)
    else:
        lbl = b"grpsec command v1" + struct.pack(">II", group, recipient)
        aad = struct.pack(">BBBBIIIQ", VERSION, 2, suite, mode, group, be, recipient, seq)
        signed_part = head + aead(suite, v["k_g"]).encrypt(nonce, v["payload"], aad)
    body = signed_part
    if signed:
        sk = Ed25519PrivateKey.from_private_bytes(v["sign_priv"])
        pub = sk.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
        assert pub == v["sign_pub"], "public key"
        body += sk.sign(lbl + signed_part)
    ok = body == v["body"]
    if signed:
        up = int(v["up_suite"])
        assert v["k_up"] == kdf("upstream", up, v["up_secret"], gateway=int(v["gateway"])), \
            "k_up"
        assert int(v["downlink_member"]) == recipient, "downlink member"
        dseq = int(v["downlink_seq"])
        dl = struct.pack(">BBBBIQIIBBH", VERSION, 3, up, 0, int(v["gateway"]), dseq, group,
                         recipient, 2 if rekey else 1, 0, len(body)) + body
        dl += aead(up, v["k_up"]).encrypt(seq_nonce(3, dseq), b"", dl)
        ok = ok and dl == v["downlink"]
    else:
        assert "downlink" not in v, "a gateway-originated command has no downlink"
    gseq = int(v["gateway_seq"])
    fr = struct.pack(">BBBBIIIQHH", VERSION, 5 if rekey else 4, suite, flags, group, member, epoch,
                     gseq, len(body), 0) + body
    fr += aead(suite, k_m).encrypt(seq_nonce(3, gseq), b"", fr)
    return ok and fr == v["frame"]


def build_multicast(v, command):
    """A multicast command frame (type 4, flag bit 1, member 0, epoch 0, no
    tag) carrying the body of the command record it is based on."""
    assert v["body"] == command["body"], "body differs from %s" % command["name"]
    assert (int(v["suite"]), int(v["group"])) == \
        (int(command["suite"]), int(command["group"])), "suite or group of the command"
    assert int(command["recipient"]) == 0, "only a body for the whole group goes multicast"
    assert (int(v["flags"]), int(v["member"]), int(v["epoch"])) == (6, 0, 0), \
        "flags 6 (multicast, group), member 0, epoch 0"
    body = command["body"]
    fr = struct.pack(">BBBBIIIQHH", VERSION, 4, int(command["suite"]), 0x06,
                     int(command["group"]), 0, 0, int(v["gateway_seq"]), len(body), 0)
    return fr + body == v["frame"]


def build_deliver(v, up):
    """The local delivery datagram: the uplink's first 24 bytes, then the
    plaintext of its inner part (K_G[e], inner AAD with member id 0)."""
    f = up["frame"]
    suite, group, epoch = int(v["suite"]), int(v["group"]), int(v["epoch"])
    assert (group, epoch, int(v["member"]), int(v["seq"])) == \
        struct.unpack(">IIIQ", f[4:24]), "header fields of the uplink"
    inner = f[24:-16]
    pt = open_inner(suite, v["k_g"], inner, inner_aad(suite, 0, group, epoch, 0))
    return f[:24] + pt == v["datagram"]


def parse_downlink(f):
    """frames.rst, "Downlink": the checks before the tag, in order."""
    if len(f) < 28 + 1 + 16 or len(f) > 28 + 1200 + 16:
        return "-EMSGSIZE"
    b = struct.unpack(">H", f[26:28])[0]
    if len(f) != 28 + b + 16:
        return "-EMSGSIZE"
    if f[0] != VERSION:
        return "-EPROTONOSUPPORT"
    _, typ, suite, flags, gw, seq, group, member, kind, res = \
        struct.unpack(">BBBBIQIIBB", f[:26])
    if typ != 3 or flags or res or suite not in KEY_LEN or not seq or not group or \
            kind not in (1, 2) or (kind == 2 and not member):
        return "-EPROTO"
    return (suite, gw, seq)


def check_downlink_reject(v):
    r = parse_downlink(v["frame"])
    if v["stage"] == "parse":
        return r == v["expect"]
    suite, gw, seq = r
    if (suite, gw) != (int(v["up_suite"]), int(v["gateway"])):
        return v["expect"] == "-EPROTO"
    f = v["frame"]
    try:
        aead(suite, v["k_up"]).decrypt(seq_nonce(3, seq), f[-16:], f[:-16])
        return False
    except Exception:
        return v["expect"] == "-EBADMSG"


def parse_mframe(f):
    """frames.rst, "Command (type 4) and rekey (type 5) frames"."""
    if len(f) < 29 or len(f) > 28 + 1200 + 16:
        return "-EMSGSIZE"
    flags = f[3]
    mcast = bool(flags & 2)
    b = struct.unpack(">H", f[24:26])[0]
    if len(f) != 28 + b + (0 if mcast else 16):
        return "-EMSGSIZE"
    if f[0] != VERSION:
        return "-EPROTONOSUPPORT"
    _, typ, suite, _, group, member, epoch, seq, _, res = struct.unpack(">BBBBIIIQHH", f[:28])
    flags_ok = (typ == 5 and not flags) or (typ == 4 and not flags & ~7 and
                                            (not mcast or flags == 6))
    if not flags_ok or res or suite not in KEY_LEN or not group or (not member) != mcast or \
            (mcast and epoch) or not seq:
        return "-EPROTO"
    return dict(type=typ, suite=suite, flags=flags, group=group, member=member, epoch=epoch,
                seq=seq, body=f[28:28 + b])


def open_member_frame(v, base, f):
    """The member's checks of a type 4/5 frame, then of its body; the
    member is base's group with v's member id and K_m[e]."""
    p = parse_mframe(f)
    if isinstance(p, str):
        return "parse", p
    member, suite = int(v["member"]), int(base["suite"])
    if p["group"] != int(base["group"]) or p["suite"] != suite:
        return "frame", "-EPROTO"
    if not p["flags"] & 2:
        if p["member"] != member:
            return "frame", "-EPROTO"
        if p["epoch"] != int(base["epoch"]):
            return "frame", "-ESTALE"
        try:
            aead(suite, v["k_m"]).decrypt(seq_nonce(3, p["seq"]), f[-16:], f[:-16])
        except Exception:
            return "frame", "-EBADMSG"
    body = p["body"]
    if p["type"] == 5:
        lbl = b"grpsec rekey v1" + struct.pack(">II", p["group"], member)
    else:
        recipient = 0 if p["flags"] & 4 else member
        lbl = b"grpsec command v1" + struct.pack(">II", p["group"], recipient)
    pub = Ed25519PrivateKey.from_private_bytes(base["sign_priv"]).public_key()
    try:
        pub.verify(body[-64:], lbl + body[:-64])
    except Exception:
        return "body", "-EBADMSG"
    return "body", "ok"


def records(path):
    rec = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line:
                if rec:
                    yield rec
                rec = {}
                continue
            k, _, val = line.partition(":")
            val = val.strip()
            hexy = k.split(".")[-1] in ("secret", "key", "k_m", "k_g", "k_e2e", "k_up",
                                        "inner_nonce", "payload", "frame", "inner", "batch",
                                        "sign_priv", "sign_pub", "k_wrap", "nonce",
                                        "key_material", "body", "downlink", "s_auth", "s_e2e",
                                        "up_secret", "wrap_secret", "datagram")
            rec[k] = bytes.fromhex(val) if hexy else val
    if rec:
        yield rec


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "Documentation/vectors/v2.txt"
    failed = n = 0
    seen = {}
    for v in records(path):
        n += 1
        seen[v["name"]] = v
        kind = v["kind"]
        try:
            if kind == "kdf":
                got = kdf(v["label"], int(v.get("suite", 0)), v["secret"],
                          int(v.get("group", 0)),
                          int(v.get("epoch", 0)), int(v.get("member", 0)),
                          int(v.get("gateway", 0)))
                ok = got == v["key"]
            elif kind == "uplink":
                ok = build_uplink(v) == v["frame"]
            elif kind == "uplink-reject":
                r = parse_uplink(v["frame"])
                if v["stage"] == "parse":
                    ok = r == v["expect"]
                else:
                    suite, seq = r
                    f = v["frame"]
                    assert v["mode"] == seen[v["based_on"]]["mode"], "mode of based_on"
                    ident = v["mode"] == "identified"
                    try:
                        aead(suite, v["k_m"]).decrypt(seq_nonce(1, seq), f[-16:],
                                                      f[:52] if ident else f[:-16])
                        ok = False
                    except Exception:
                        ok = v["expect"] == "-EBADMSG"
            elif kind == "batch":
                ok = build_batch(v) == v["batch"]
            elif kind in ("command", "rekey"):
                ok = build_downlink_vec(v, kind == "rekey")
            elif kind == "deliver":
                ok = build_deliver(v, seen[v["based_on"]])
            elif kind == "downlink-reject":
                ok = check_downlink_reject(v)
            elif kind == "member-frame-reject":
                ok = open_member_frame(v, seen[v["based_on"]], v["frame"]) == \
                    (v["stage"], v["expect"])
            elif kind == "multicast":
                command = seen[v["based_on"]]
                ok = command["kind"] == "command" and build_multicast(v, command)
            else:
                ok = False
        except Exception as exc:  # noqa: BLE001 - report and go on
            print("error in %s: %r" % (v.get("name"), exc))
            ok = False
        print("%s %d - %s" % ("ok" if ok else "not ok", n, v["name"]))
        failed += not ok
    print("# %d passed, %d failed" % (n - failed, failed))
    return 1 if failed or not n else 0


if __name__ == "__main__":
    sys.exit(main())
