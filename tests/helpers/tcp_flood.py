#!/usr/bin/env python3
"""tcp_flood.py - a bounded flood of TCP connections for tests/net/hostile.bats.

  tcp_flood.py HOST PORT N HOLD [--sources K] [--send HEX]

Opens N connections to HOST:PORT (loopback or 198.18.0.0/15 in a test
namespace); to loopback from K source addresses 127.0.0.2 .. 127.0.0.(K+1)
(default 1), sends the bytes HEX on
each (default nothing: idle connections), prints "holding N" once they are
all open, holds them HOLD seconds (at most 30) and then prints
"open K of N": how many the server had not closed by then.
Kill it with SIGKILL to play a client that dies mid-session.
"""
import select
import socket
import sys
import time


def main(argv):
    host, port, n, hold = argv[1], int(argv[2]), int(argv[3]), float(argv[4])
    if not (host.startswith("127.") or host.startswith("198.18.")) \
            or n > 2000:
        sys.exit("tcp_flood: loopback or test namespaces only, "
                 "at most 2000 connections")
    hold = min(hold, 30.0)
    sources, data = 1, b""
    rest = argv[5:]
    while rest:
        if rest[0] == "--sources":
            sources = int(rest[1])
        elif rest[0] == "--send":
            data = bytes.fromhex(rest[1])
        rest = rest[2:]
    conns = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if host.startswith("127."):
            s.bind(("127.0.0.%d" % (2 + i % sources), 0))
        s.settimeout(2)
        try:
            s.connect((host, port))
            if data:
                s.sendall(data)
        except OSError:
            s.close()
            continue
        s.setblocking(False)
        conns.append(s)
    print("holding %d" % len(conns), flush=True)
    end = time.monotonic() + hold
    closed = set()
    while time.monotonic() < end and len(closed) < len(conns):
        live = [s for s in conns if s not in closed]
        r, _, _ = select.select(live, [], [], max(0, end - time.monotonic()))
        for s in r:
            try:
                if not s.recv(65536):
                    closed.add(s)
            except OSError:
                closed.add(s)
    print("open %d of %d" % (len(conns) - len(closed), n), flush=True)


if __name__ == "__main__":
    main(sys.argv)
