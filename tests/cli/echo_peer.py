#!/usr/bin/env python3
"""echo_peer.py - the other end for tests/cli/echo.bats: sends datagrams
from chosen source ports or addresses, floods (bounded), opens many TCP
connections, holds a connection without reading, spoofs a source with a
raw socket, and runs a corrupting echo. Every loop is bounded in count and
time; traffic goes to loopback only.

Each command prints one line of figures that the test asserts on.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time


def loopback_only(host):
    """Loopback, or the test namespaces' 198.18.0.0/15."""
    if not (host.startswith("127.") or host == "::1" or
            host.startswith("198.18.") or host.startswith("198.19.")):
        sys.exit("echo_peer: only loopback or 198.18.0.0/15 targets (%s)"
                 % host)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def udp(args):
    """N datagrams of SIZE bytes from SRC:SPORT; prints 'replies R intact I'."""
    loopback_only(args.host)
    s = socket.socket(family(args.host), socket.SOCK_DGRAM)
    if args.broadcast:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    if args.sport or args.src:
        s.bind((args.src or ("::1" if ":" in args.host else "127.0.0.1"),
                args.sport))
    s.setblocking(False)
    sent = []
    replies = intact = 0
    for i in range(args.count):
        payload = os.urandom(args.size) if args.size else b""
        sent.append(payload)
        s.sendto(payload, (args.host, args.port))
    end = time.monotonic() + args.wait
    while time.monotonic() < end and replies < 100000:
        r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
        if not r:
            break
        try:
            data, _ = s.recvfrom(70000)
        except BlockingIOError:
            continue
        replies += 1
        if data in sent:
            intact += 1
    print("replies %d intact %d" % (replies, intact))


def tcp_many(args):
    """N connections at once, each sends its own bytes; prints 'ok K of N'."""
    loopback_only(args.host)
    conns = []
    for i in range(args.count):
        c = socket.create_connection((args.host, args.port), timeout=5)
        conns.append((c, os.urandom(args.size)))
    for c, data in conns:
        c.sendall(data)
    ok = 0
    deadline = time.monotonic() + 20
    for c, data in conns:
        got = b""
        c.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            while len(got) < len(data):
                chunk = c.recv(65536)
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            pass
        ok += got == data
        c.close()
    print("ok %d of %d" % (ok, args.count))


def tcp_open(args):
    """Opens N connections; prints for each whether the server kept it
    ('kept') or closed it at once ('closed'), and holds them for WAIT s."""
    loopback_only(args.host)
    conns, states = [], []
    for i in range(args.count):
        c = socket.create_connection((args.host, args.port), timeout=5)
        conns.append(c)
    time.sleep(0.2)
    for c in conns:
        c.setblocking(False)
        try:
            data = c.recv(1)
            states.append("closed" if data == b"" else "data")
        except BlockingIOError:
            states.append("kept")
        except ConnectionResetError:
            states.append("closed")
    print(" ".join(states))
    sys.stdout.flush()
    time.sleep(args.wait)
    for c in conns:
        c.close()


def tcp_idle(args):
    """Connects, sends nothing; prints the seconds until the server
    closes (or 'open' after WAIT s)."""
    loopback_only(args.host)
    c = socket.create_connection((args.host, args.port), timeout=5)
    t0 = time.monotonic()
    c.settimeout(args.wait)
    try:
        data = c.recv(1)
        print("closed %.2f" % (time.monotonic() - t0) if data == b""
              else "data")
    except socket.timeout:
        print("open")
    except ConnectionResetError:
        print("closed %.2f" % (time.monotonic() - t0))


def tcp_noread(args):
    """Sends up to SIZE bytes without ever reading, for at most WAIT s;
    prints 'sent N' (what the kernel took before it pushed back)."""
    loopback_only(args.host)
    c = socket.create_connection((args.host, args.port), timeout=5)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.setblocking(False)
    chunk = b"x" * 65536
    sent = 0
    end = time.monotonic() + args.wait
    while sent < args.size and time.monotonic() < end:
        try:
            sent += c.send(chunk)
        except BlockingIOError:
            select.select([], [c], [], 0.05)
    print("sent %d" % sent)
    sys.stdout.flush()
    if args.hold:
        time.sleep(args.hold)
    c.close()


def spoof(args):
    """One UDP datagram to HOST:PORT with source 127.0.0.1:SPORT, built
    by hand on a raw socket (the kernel adds the IPv4 header)."""
    loopback_only(args.host)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.bind(("127.0.0.1", 0))
    payload = b"loop?" * 4
    hdr = struct.pack("!HHHH", args.sport, args.port, 8 + len(payload), 0)
    s.sendto(hdr + payload, (args.host, 0))
    print("spoofed 1")


def corrupt(args):
    """A UDP echo on 127.0.0.1:PORT that flips byte OFFSET of each reply;
    serves COUNT datagrams or WAIT s."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", args.port))
    print("ready")
    sys.stdout.flush()
    end = time.monotonic() + args.wait
    n = 0
    while n < args.count and time.monotonic() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
        if not r:
            break
        data, peer = s.recvfrom(70000)
        b = bytearray(data)
        if len(b) > args.offset:
            b[args.offset] ^= 0x01
        s.sendto(bytes(b), peer)
        n += 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--src", default="")
    p.add_argument("--sport", type=int, default=0)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--wait", type=float, default=0.5)
    p.add_argument("--hold", type=float, default=0)
    p.add_argument("--offset", type=int, default=5)
    p.add_argument("--broadcast", action="store_true")
    a = p.parse_args()
    {"udp": udp, "tcp-many": tcp_many, "tcp-open": tcp_open,
     "tcp-idle": tcp_idle, "tcp-noread": tcp_noread, "spoof": spoof,
     "corrupt": corrupt}[a.cmd](a)


if __name__ == "__main__":
    main()
