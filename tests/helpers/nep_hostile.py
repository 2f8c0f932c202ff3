#!/usr/bin/env python3
"""nep_hostile.py - misbehaving NEP clients for tests/net/nep.bats.

  nep_hostile.py HOST crypto     against a crypto server: garbage, a length
                                 beyond any message, a bad MAC, a header cut
                                 short, a slowloris handshake
  nep_hostile.py HOST nocrypto   against a --no-crypto server: a replayed
                                 sequence number in PACKET_SPEC, a spec with
                                 too few items, and one good handshake
  nep_hostile.py HOST idle N S   holds N connections open for S seconds
  nep_hostile.py HOST ready S    one good --no-crypto handshake, then
                                 silence: the server must close within S s

Each hostile case must end with the server closing the connection; the
exit status is the number of cases where it did not.
"""
import os
import socket
import struct
import sys
import time

PORT = 9929


def connect(host):
    s = socket.create_connection((host, PORT), timeout=5)
    s.settimeout(5)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def closed_by_server(s, wait=5.0):
    """True when the server ends the connection within `wait` seconds."""
    s.settimeout(wait)
    try:
        while True:
            data = s.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def header(typ, words, seq):
    return struct.pack(">BBHIII", 1, typ, words, seq, int(time.time()), 0)


def hs_client(ns, seq, mac=b"\0" * 32):
    nc = os.urandom(32)
    body = ns + nc + socket.inet_aton("127.0.0.1") + b"\0" * 12 + b"\x04" + b"\0" * 15
    return header(2, 36, seq) + body + mac


def case(name, ok, failures):
    print("%s: %s" % (name, "closed by server" if ok else "NOT closed"))
    if not ok:
        failures.append(name)


def crypto_cases(host, failures):
    s = connect(host)
    recv_exact(s, 96)
    s.sendall(os.urandom(144))
    case("garbage", closed_by_server(s), failures)

    s = connect(host)
    hs = recv_exact(s, 96)
    s.sendall(header(2, 0xFFFF, 1) + hs[16:48])
    case("length beyond any message", closed_by_server(s), failures)

    s = connect(host)
    hs = recv_exact(s, 96)
    s.sendall(hs_client(hs[16:48], 7, os.urandom(32)))
    case("bad MAC", closed_by_server(s), failures)

    s = connect(host)
    recv_exact(s, 96)
    s.sendall(b"\x01\x02\x00")
    # nothing more: the handshake timeout must end it
    case("truncated header", closed_by_server(s), failures)

    s = connect(host)
    hs = recv_exact(s, 96)
    msg = hs_client(hs[16:48], 7)
    start = time.time()
    closed = False
    try:
        for b in msg[:-1]:
            s.sendall(bytes([b]))
            time.sleep(0.25)
            if time.time() - start > 8:
                break
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    case("slowloris", closed or closed_by_server(s), failures)


def nocrypto_session(host, seq_step, items):
    s = connect(host)
    hs = recv_exact(s, 96)
    s.sendall(hs_client(hs[16:48], 100))
    final = recv_exact(s, 112)
    if len(final) != 112:
        return s, None
    spec = struct.pack(">BBH", 4, 17, 1) + items
    spec += b"\0" * (108 - len(items))
    s.sendall(header(4, 40, 100 + seq_step) + spec + b"\0" * 32)
    return s, recv_exact(s, 48) if seq_step == 1 else b""


GOOD_ITEMS = bytes([0xA1, 0x12, 0x34, 0xA0, 0, 0xE0, 0, 53, 0xE1, 0x9C, 0xBD, 0xA3, 17])


def nocrypto_cases(host, failures):
    s, _ = nocrypto_session(host, 0, GOOD_ITEMS)
    case("replayed sequence number", closed_by_server(s), failures)
    s, _ = nocrypto_session(host, 1, bytes([0xA1, 0x12, 0x34, 0xA0, 0]))
    case("spec with two items", closed_by_server(s), failures)
    s, ready = nocrypto_session(host, 1, GOOD_ITEMS)
    ok = ready is not None and len(ready) == 48 and ready[1] == 5
    print("good handshake: %s" % ("READY" if ok else "no READY"))
    if not ok:
        failures.append("good handshake")


def main():
    host, mode = sys.argv[1], sys.argv[2]
    failures = []
    if mode == "crypto":
        crypto_cases(host, failures)
    elif mode == "nocrypto":
        nocrypto_cases(host, failures)
    elif mode == "ready":
        s, ready = nocrypto_session(host, 1, GOOD_ITEMS)
        if not ready or len(ready) != 48:
            failures.append("handshake")
        else:
            start = time.time()
            ok = closed_by_server(s, float(sys.argv[3]))
            print("READY client closed by server after %.1fs: %s" % (time.time() - start, ok))
            if not ok:
                failures.append("idle READY client")
    elif mode == "idle":
        n, secs = int(sys.argv[3]), float(sys.argv[4])
        socks = [connect(host) for _ in range(n)]
        print("holding %d connections" % len(socks), flush=True)
        time.sleep(secs)
    sys.exit(len(failures))


if __name__ == "__main__":
    main()
