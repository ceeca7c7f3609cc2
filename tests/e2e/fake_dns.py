#!/usr/bin/python3
"""fake_dns.py - a DNS server for one test: every A query is answered ADDR.

SPDX-License-Identifier: Apache-2.0

Usage: fake_dns.py ADDR PORT LOGFILE
Listens on UDP ADDR:PORT.  A queries (class IN) get one A record with the
address ADDR and TTL 5; every other type gets an empty NOERROR answer (so
glibc's parallel AAAA query ends at once).  Each query is logged as
"NAME TYPE".  Enough for a resolver test inside a private network namespace:
it lets a program under a seccomp profile resolve an upstream by name over
real UDP DNS.
"""
import socket
import struct
import sys

addr, port, logfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
log = open(logfile, "a", buffering=1)
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12:
        continue
    qid, flags, qd = struct.unpack(">HHH", q[:6])
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    qtype, qclass = struct.unpack(">HH", q[i + 1:i + 5])
    question = q[12:i + 5]
    log.write(f"{'.'.join(labels)} {qtype}\n")
    answer = b""
    if qtype == 1 and qclass == 1:
        answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 5, 4) + socket.inet_aton(addr)
    hdr = struct.pack(">HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, 1 if answer else 0, 0, 0)
    s.sendto(hdr + question + answer, peer)
