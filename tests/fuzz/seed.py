#!/usr/bin/env python3
"""seed.py - (re)build the seed corpora of the packet and probe harnesses
from the unit-test fixtures (tests/unit/fixtures/*.pcap).

    tests/fuzz/seed.py

corpus/packet/: every captured packet as raw IP bytes (link layer cut).
corpus/probe/:  op scripts for fuzz_probe.c: add the probe a captured
request was, then match each captured reply against it.
Crash regressions (crash-*) in the corpora are left alone.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "unit", "fixtures")


def pcap_packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        cut = {1: 14, 113: 16, 0: 4}.get(linktype, 0)
        if linktype == 1 and frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
            continue
        out.append(frame[cut:])
    return out


def fields(ip):
    """(proto, v6, dst last byte, l4 bytes) of a v4/v6 packet, or None."""
    if ip[0] >> 4 == 4:
        ihl = (ip[0] & 15) * 4
        return ip[9], False, ip[19], ip[ihl:], ip[4:6]
    if ip[0] >> 4 == 6:
        return ip[6], True, ip[39], ip[40:], b"\0\0"
    return None


def add_op(ip):
    """The 'A' op recording the probe this packet is, or None."""
    f = fields(ip)
    if not f:
        return None
    proto, v6, last, l4, ipid = f
    dst = (0x80 if v6 else 0) | ((last - 1) & 3)
    if proto in (1, 58) and l4[0] in (8, 128):
        return b"A" + bytes([0, dst]) + l4[4:8] + b"\0" * 6 + b"\x05"
    if proto == 17:
        return b"A" + bytes([1, dst]) + l4[0:4] + l4[6:8] + b"\0" * 4 + b"\x05"
    if proto == 6 and l4[13] == 2:
        return b"A" + bytes([2, dst]) + l4[0:4] + b"\0\0" + l4[4:8] + b"\x05"
    return None


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(proto, payload, src=b"\xc6\x12\x00\x01", dst=b"\xc6\x12\x09\x09",
        opts=b"", ttl=64):
    ihl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(payload),
                    7, 0x4000, ttl, proto, 0, src, dst) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def icmp4(t, code, rest, data):
    m = struct.pack("!BBHI", t, code, 0, rest) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def crafted():
    """Inputs the captures lack: RFC 4884/4950 MPLS extensions, IP options,
    IPv6 extension headers, TCP with every option."""
    udp = struct.pack("!HHHH", 40001, 33434, 12, 0) + b"abcd"
    probe = ip4(17, udp, ttl=1)
    quote = (probe + b"\0" * 128)[:128]
    ext_obj = struct.pack("!HBB", 12, 1, 1) + struct.pack("!II",
        (16005 << 12) | (3 << 9) | 254, (42 << 12) | (1 << 8) | 1)
    ext = bytearray(struct.pack("!BBH", 0x20, 0, 0) + ext_obj)
    ext[2:4] = struct.pack("!H", csum(bytes(ext)))
    out = {
        "mpls_rfc4884": ip4(1, icmp4(11, 0, 32 << 16, quote + bytes(ext)),
                            src=b"\xc6\x12\x02\x01"),
        "mpls_legacy": ip4(1, icmp4(11, 0, 0, quote + bytes(ext)),
                           src=b"\xc6\x12\x02\x01"),
        "ipopts_rr": ip4(1, icmp4(8, 0, 0x00010001, b"ping"),
                         opts=bytes([7, 11, 4]) + b"\0" * 8 + b"\0"),
    }
    tcp_opts = (bytes([2, 4, 5, 0xb4, 4, 2, 8, 10]) + b"\0\0\0\1\0\0\0\0" +
                bytes([1, 3, 3, 7]))
    tcp = struct.pack("!HHIIBBHHH", 43210, 80, 1, 0, (5 + len(tcp_opts) // 4) << 4,
                      2, 64240, 0, 0) + tcp_opts
    out["tcp_all_options"] = ip4(6, tcp)
    v6udp = struct.pack("!HHHH", 53, 40125, 8, 0)
    hbh = bytes([17, 0, 1, 4, 0, 0, 0, 0])
    out["ip6_hopbyhop"] = (struct.pack("!IHBB", 0x60000000, len(hbh) + 8, 0, 64) +
                           b"\x20\x01\0\x02" + b"\0" * 11 + b"\1" +
                           b"\x20\x01\0\x02" + b"\0" * 11 + b"\2" + hbh + v6udp)
    return out


def build_seeds():
    """fuzz_build.c inputs: 48 bytes of probe fields, then the payload."""
    out = {}
    for proto, pname in ((0, "icmp"), (1, "udp"), (2, "tcp")):
        for v6 in (0, 1):
            for force in (0, 1):
                flags = v6 | (proto << 1) | 8 | 16 | 32 | 64 | 128
                src = (b"\x20\x01\0\x02" + b"\0" * 11 + b"\1") if v6 else \
                    (b"\xc6\x12\0\x01" + b"\0" * 12)
                dst = (b"\x20\x01\0\x02" + b"\0" * 11 + b"\2") if v6 else \
                    (b"\xc6\x12\x09\x09" + b"\0" * 12)
                hdr = bytearray(48)
                hdr[0] = flags
                hdr[1:17], hdr[17:33] = src, dst
                hdr[33], hdr[34] = 5, 0
                hdr[35:39] = struct.pack("!I", 0x12345)
                hdr[39:43] = struct.pack("!HH", 33434, 40001)
                hdr[43] = 2
                hdr[44:46] = struct.pack("!H", 1460)
                hdr[46], hdr[47] = 200, force | 4
                hdr = bytes(hdr)
                assert len(hdr) == 48
                out["%s%s%s" % (pname, "6" if v6 else "4",
                                "-paris" if force else "")] = hdr + b"payload!"
    return out


def main():
    pdir = os.path.join(HERE, "corpus", "packet")
    rdir = os.path.join(HERE, "corpus", "probe")
    os.makedirs(pdir, exist_ok=True)
    os.makedirs(rdir, exist_ok=True)
    for name in sorted(os.listdir(FIX)):
        if not name.endswith(".pcap"):
            continue
        base = name[:-5]
        pkts = pcap_packets(os.path.join(FIX, name))
        for i, ip in enumerate(pkts):
            with open(os.path.join(pdir, "%s-%02d" % (base, i)), "wb") as f:
                f.write(ip)
        ops = b""
        for ip in pkts:
            a = add_op(ip)
            if a:
                ops += a
            else:
                ops += b"M" + struct.pack(">H", len(ip)) + ip
        if ops:
            cfg = b"\x02"  # UDP keyed by checksum, as Paris traceroute
            with open(os.path.join(rdir, base), "wb") as f:
                f.write(cfg + ops + b"E\x06")
    bdir = os.path.join(HERE, "corpus", "build")
    os.makedirs(bdir, exist_ok=True)
    for name, seed in build_seeds().items():
        with open(os.path.join(bdir, name), "wb") as f:
            f.write(seed)
    for name, pkt in crafted().items():
        with open(os.path.join(pdir, "crafted-" + name), "wb") as f:
            f.write(pkt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
