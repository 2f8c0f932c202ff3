#!/usr/bin/env python3
"""icmp_inject.py - forged and broken ICMPv4 for tests/net/hostile.bats.

Run inside a topo.sh router namespace (root, raw socket). Every mode sends
COUNT packets to DST, one every GAP seconds, then exits 0.

  icmp_inject.py forged-echo DST FROM QSRC QDST ID COUNT GAP
      "time exceeded" from FROM quoting an ICMP echo request QSRC -> QDST
      with identifier ID and sequence numbers 1..10, round and round
      (someone else's ping when ID is not the victim's).
  icmp_inject.py forged-udp DST FROM QSRC QDST SPORT COUNT GAP
      "time exceeded" from FROM quoting UDP datagrams QSRC:SPORT -> QDST
      with destination ports 33434.. (a traceroute from another host).
  icmp_inject.py broken-reply DST FROM ID COUNT GAP
      echo replies from FROM with identifier ID, sequence 1..COUNT, cycling
      through: only the 8-byte ICMP header, a 3-byte ICMP message, a bad
      checksum, a payload cut to 4 bytes, a reply whose IP header claims
      options it does not have.
"""
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ip_hdr(src, dst, proto, plen, ihl=5, ttl=64):
    h = struct.pack("!BBHHHBBH4s4s", (4 << 4) | ihl, 0, ihl * 4 + plen,
                    0x4242, 0, ttl, proto, 0, socket.inet_aton(src),
                    socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def icmp(typ, code, rest, body, good=True):
    m = struct.pack("!BBH", typ, code, 0) + rest + body
    c = csum(m) if good else (csum(m) ^ 0x5A5A)
    return m[:2] + struct.pack("!H", c) + m[4:]


def echo_request(qsrc, qdst, ident, seq):
    body = icmp(8, 0, struct.pack("!HH", ident, seq), b"\x11" * 56)
    return ip_hdr(qsrc, qdst, 1, len(body), ttl=1) + body


def udp_probe(qsrc, qdst, sport, dport):
    udp = struct.pack("!HHHH", sport, dport, 8 + 32, 0) + b"\x22" * 32
    return ip_hdr(qsrc, qdst, 17, len(udp), ttl=1) + udp


def time_exceeded(frm, dst, quoted):
    m = icmp(11, 0, b"\0\0\0\0", quoted[:28 + 32])
    return ip_hdr(frm, dst, 1, len(m)) + m


def broken_reply(frm, dst, ident, seq):
    kind = seq % 5
    rest = struct.pack("!HH", ident, seq)
    if kind == 0:
        m = icmp(0, 0, rest, b"")
    elif kind == 1:
        m = b"\x00\x00\xff"
    elif kind == 2:
        m = icmp(0, 0, rest, b"\x33" * 56, good=False)
    elif kind == 3:
        m = icmp(0, 0, rest, b"\x44" * 4)
    else:
        # IHL 15 (60-byte header) on a 20-byte header: the ICMP part the
        # length claims starts inside the real ICMP message or past it
        m = icmp(0, 0, rest, b"\x55" * 8)
        return ip_hdr(frm, dst, 1, len(m), ihl=15)[:20] + m
    return ip_hdr(frm, dst, 1, len(m)) + m


def main(argv):
    mode, dst = argv[1], argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    if mode == "forged-echo":
        frm, qsrc, qdst, ident = argv[3], argv[4], argv[5], int(argv[6])
        count, gap = int(argv[7]), float(argv[8])
        pkts = [time_exceeded(frm, dst,
                              echo_request(qsrc, qdst, ident, 1 + i % 10))
                for i in range(count)]
    elif mode == "forged-udp":
        frm, qsrc, qdst, sport = argv[3], argv[4], argv[5], int(argv[6])
        count, gap = int(argv[7]), float(argv[8])
        pkts = [time_exceeded(frm, dst,
                              udp_probe(qsrc, qdst, sport, 33434 + i % 90))
                for i in range(count)]
    elif mode == "broken-reply":
        frm, ident = argv[3], int(argv[4])
        count, gap = int(argv[5]), float(argv[6])
        pkts = [broken_reply(frm, dst, ident, i) for i in range(1, count + 1)]
    else:
        sys.exit("icmp_inject.py: unknown mode " + mode)
    for p in pkts:
        try:
            s.sendto(p, (dst, 0))
        except OSError as e:
            # the kernel refuses some broken headers: that one is skipped
            print("skipped:", e, file=sys.stderr)
        time.sleep(gap)
    print("sent", len(pkts))


if __name__ == "__main__":
    main(sys.argv)
