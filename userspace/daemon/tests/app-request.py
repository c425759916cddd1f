#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# An application on grpsecd's application socket that sends requests:
#
#   app-request.py SOCKET records|json REQUEST...
#
# Sends the hello line, then each REQUEST as one line, and prints each
# reply on a line of its own (records: the reply record's text; json: the
# JSON line), skipping the messages that arrive meanwhile.  Prints
# "closed" if the manager ends the connection before every reply came.
import json
import socket
import struct
import sys

sock, fmt, reqs = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sock)
s.sendall(fmt.encode() + b"\n")
buf = b""
want = len(reqs)
try:
    for r in reqs:
        s.sendall(r.encode() + b"\n")
except (BrokenPipeError, ConnectionResetError):
    pass  # closed by the manager: what it answered is still to be read


def more():
    global buf
    try:
        b = s.recv(65536)
    except ConnectionResetError:
        b = b""
    if not b:
        print("closed")
        sys.exit(0)
    buf += b


while want:
    if fmt == "records":
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            more()
        n = struct.unpack(">H", buf[:2])[0]
        rec, buf = buf[2:2 + n], buf[2 + n:]
        if rec[1] == 0x80:
            print(rec[2:].decode())
            want -= 1
    else:
        while b"\n" not in buf:
            more()
        line, buf = buf.split(b"\n", 1)
        d = json.loads(line)
        if "ok" in d or "error" in d:
            print(line.decode())
            want -= 1
