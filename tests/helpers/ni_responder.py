#!/usr/bin/env python3
"""ni_responder.py - an RFC 4620 Node Information responder for tests.

Linux never answers Node Information queries (ICMPv6 type 139), so
tests/net/ping.bats runs this in a topo.sh namespace (root, raw ICMPv6
socket) to test `ping -N`. It answers every query until it has answered
COUNT of them or TIMEOUT seconds passed, then exits 0. Before the first
query it prints "ready PID" on stdout, then a line per query it answers:
"query code=C qtype=Q flags=0xFFFF subject=HEX" (what the sender put on
the wire, the nonce left out).

  ni_responder.py [options] COUNT TIMEOUT
    --name NAME       a node name (repeatable; default "server.example.test";
                      a name without a dot is sent as a single-component
                      name)
    --addr6 ADDR      an IPv6 address of the node (repeatable); its scope
                      from the prefix: fe80::/10 link-local, fec0::/10
                      site-local, else global
    --other6 ADDR     an IPv6 address on another interface (only with the
                      A flag)
    --addr4 ADDR      an IPv4 address (repeatable)
    --other4 ADDR     an IPv4 address on another interface (A flag only)
    --refuse          answer every query with code 1 (refused)
    --bad-nonce       answer with a nonce the query did not carry
    --truncate N      cut every reply's data to N bytes (malformed replies)
    --code N          answer with this code and no data (2: unknown qtype)

Reply data (RFC 4620 section 6.3): qtype 0 (NOOP) none; 2 (Node Name) a
32-bit TTL (0) and the name in DNS wire format; 3 (Node Addresses) a
32-bit TTL and an IPv6 address per address the G/S/L flags (all scopes when
none is set) and A select; 4 (IPv4 Addresses) TTL and IPv4 address pairs;
other qtypes: code 2 (unknown qtype), no data.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

NI_QUERY, NI_REPLY = 139, 140
FLAG_A, FLAG_C, FLAG_L, FLAG_S, FLAG_G = 0x2, 0x4, 0x8, 0x10, 0x20


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    # a single-component name ends in two zero-length labels
    return out + (b"\0" if "." in name else b"\0\0")


def scope(addr):
    first = socket.inet_pton(socket.AF_INET6, addr)[:2]
    if first[0] == 0xFE and first[1] & 0xC0 == 0x80:
        return FLAG_L
    if first[0] == 0xFE and first[1] & 0xC0 == 0xC0:
        return FLAG_S
    return FLAG_G


def node_addresses(opt, flags):
    want = flags & (FLAG_G | FLAG_S | FLAG_L) or FLAG_G | FLAG_S | FLAG_L
    addrs = list(opt.addr6)
    if flags & FLAG_A:
        addrs += opt.other6
    return b"".join(struct.pack("!I", 0) +
                    socket.inet_pton(socket.AF_INET6, a)
                    for a in addrs if scope(a) & want)


def ipv4_addresses(opt, flags):
    addrs = list(opt.addr4) + (opt.other4 if flags & FLAG_A else [])
    return b"".join(struct.pack("!I", 0) + socket.inet_aton(a)
                    for a in addrs)


def answer(opt, query):
    qtype, flags = struct.unpack("!HH", query[4:8])
    nonce = query[8:16]
    if opt.bad_nonce:
        nonce = bytes(b ^ 0xFF for b in nonce)
    code, data = 0, b""
    if opt.refuse:
        code = 1
    elif opt.code is not None:
        code = opt.code
    elif qtype == 0:
        pass
    elif qtype == 2:
        data = struct.pack("!I", 0) + b"".join(
            dns_name(n) for n in opt.name or ["server.example.test"])
    elif qtype == 3:
        data = node_addresses(opt, flags)
    elif qtype == 4:
        data = ipv4_addresses(opt, flags)
    else:
        code = 2
    if opt.truncate is not None:
        data = data[:opt.truncate]
    # the kernel fills the checksum of raw ICMPv6 sockets
    return struct.pack("!BBHHH", NI_REPLY, code, 0, qtype, flags) + \
        nonce + data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", action="append", default=[])
    ap.add_argument("--addr6", action="append", default=[])
    ap.add_argument("--other6", action="append", default=[])
    ap.add_argument("--addr4", action="append", default=[])
    ap.add_argument("--other4", action="append", default=[])
    ap.add_argument("--refuse", action="store_true")
    ap.add_argument("--bad-nonce", action="store_true")
    ap.add_argument("--truncate", type=int)
    ap.add_argument("--code", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("timeout", type=float)
    opt = ap.parse_args()

    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    print("ready %d" % os.getpid(), flush=True)
    end = time.monotonic() + opt.timeout
    answered = 0
    while answered < opt.count:
        left = end - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            break
        pkt, src = s.recvfrom(65535)
        if len(pkt) < 16 or pkt[0] != NI_QUERY:
            continue
        code, qtype, flags = pkt[1], *struct.unpack("!HH", pkt[4:8])
        print("query code=%d qtype=%d flags=0x%04x subject=%s" %
              (code, qtype, flags, pkt[16:].hex()), flush=True)
        s.sendto(answer(opt, pkt), src)
        answered += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
