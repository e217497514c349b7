#!/usr/bin/env python3
"""Network namespaces: each container has a network stack of its own.

We make two network namespaces, A and B, join them with a veth pair (a
virtual cable with one end in each) and ping across. Each namespace has its
own interfaces, addresses, routes, loopback and port numbers; the host's
stay as they were. A VM gets a virtual network card from its hypervisor
instead, and its own kernel runs the network stack.

Run it: sudo python3 scripts/network_namespaces.py
(Linux, Python 3.11+, standard library and `ip` from iproute2)
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator

LAB = "network_namespaces"

CLONE_NEWNET = 0x40000000  # from <sched.h>
# Private addresses, used only inside the two namespaces we make.
ADDRESS = {"A": "10.200.0.1", "B": "10.200.0.2"}
OUTSIDE = "192.0.2.1"  # TEST-NET-1: reserved for documentation, never routed
libc = ctypes.CDLL(None, use_errno=True)


def call(name: str, *args: object) -> None:
    """Call a libc function; turn its -1 and errno into an OSError naming it."""
    if getattr(libc, name)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")


def privileged() -> bool:
    """Linux, and CAP_SYS_ADMIN (bit 21 of CapEff), which creating namespaces
    and mounting need. Root has it, unless it runs in a locked-down
    container (Docker's default set of capabilities leaves it out)."""
    if sys.platform != "linux":
        return False
    with open("/proc/self/status") as f:
        cap_eff = int(f.read().split("CapEff:")[1].split()[0], 16)
    return bool(cap_eff & 1 << 21)


def refuse(why: str) -> int:
    """One line on stderr: what the lab lacks and how to run it; exit code 2."""
    print(f"{LAB}: {why}; run: sudo python3 scripts/{LAB}.py", file=sys.stderr)
    return 2


def checkpoint(name: str) -> None:
    """Tests set LAB_FAIL_AT or LAB_PAUSE_AT to break or pause the lab here,
    then check that it cleaned up."""
    if os.environ.get("LAB_FAIL_AT") == name:
        raise RuntimeError(f"failing on purpose at {name!r} (LAB_FAIL_AT)")
    if os.environ.get("LAB_PAUSE_AT") == name:
        print(f"paused at {name!r} (LAB_PAUSE_AT)", file=sys.stderr, flush=True)
        time.sleep(60)


# --8<-- [start:namespaces]
def new_namespace() -> int:
    """Make a network namespace and return a file descriptor for it.

    unshare moves us into a new namespace; the descriptor keeps it alive
    after we go back. Once nothing refers to it (no process, descriptor,
    socket or bind mount), the kernel deletes it and the virtual devices in
    it. (`ip netns add` keeps a namespace alive with a bind mount in
    /run/netns instead, which outlives the program that made it.)"""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        call("unshare", CLONE_NEWNET)
        return os.open("/proc/self/ns/net", os.O_RDONLY)
    finally:
        call("setns", home, CLONE_NEWNET)  # back to where we were
        os.close(home)


@contextlib.contextmanager
def inside(namespace: int) -> Iterator[None]:
    """Run the block in another network namespace (setns, as `ip netns
    exec` and `docker exec` do), then come back. Sockets made in the block
    stay in that namespace; programs started there start in it."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        call("setns", namespace, CLONE_NEWNET)
        yield
    finally:
        call("setns", home, CLONE_NEWNET)
        os.close(home)


def ip(*args: str, fds: tuple[int, ...] = ()) -> list[dict]:
    """Run `ip -json ARGS` in our current namespace; its parsed output."""
    done = subprocess.run(
        ["ip", "-json", *args], capture_output=True, text=True, pass_fds=fds
    )
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return json.loads(done.stdout) if done.stdout.strip() else []


def connect(a: int, b: int) -> None:
    """A veth pair with one end, eth0, in each namespace; addresses; up."""
    with inside(a):
        # Made in A; its peer is made straight in B, so neither end ever
        # appears in the host's namespace.
        veth = ["link", "add", "eth0", "type", "veth"]
        peer = ["peer", "name", "eth0", "netns", f"/proc/self/fd/{b}"]
        ip(*veth, *peer, fds=(b,))
    for name, namespace in (("A", a), ("B", b)):
        with inside(namespace):
            ip("address", "add", f"{ADDRESS[name]}/24", "dev", "eth0")
            ip("link", "set", "lo", "up")
            ip("link", "set", "eth0", "up")


# --8<-- [end:namespaces]


def describe(name: str, namespace: int) -> None:
    """What the namespace holds, as `ip` lists it from inside."""
    with inside(namespace):
        links = ip("address", "show")
        routes = ip("route", "show")
        ident = os.readlink("/proc/self/ns/net")
    print(f"Namespace {name} ({ident}), as `ip` lists it from inside:")
    other = "B" if name == "A" else "A"
    for link in links:
        v4 = [a for a in link["addr_info"] if a["family"] == "inet"]
        address = ", ".join(f"{a['local']}/{a['prefixlen']}" for a in v4)
        kind = "its own loopback"
        if link["ifname"] != "lo":
            kind = f"veth: the other end is in {other}"
        number, ifname = link["ifindex"], link["ifname"]
        print(f"  interface {number}  {ifname:<5} {address:<14} {kind}")
    for route in routes:
        print(
            f"  route        {route['dst']} dev {route['dev']}  (the only one)"
        )


# --8<-- [start:ping]
def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) that ICMP uses."""
    data += b"\0" * (len(data) % 2)
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF


def ping(target: str, count: int) -> list[float]:
    """ICMP echo requests, as `ping` sends them; the round trips in ms."""
    ident, times = os.getpid() & 0xFFFF, []
    # A raw socket (root only) in the current namespace.
    with socket.socket(
        socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP
    ) as s:
        s.settimeout(2)
        for seq in range(1, count + 1):
            header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)  # 8: request
            payload = b"network-namespaces-lab"
            packet = struct.pack(
                "!BBHHH", 8, 0, checksum(header + payload), ident, seq
            )
            begin = time.perf_counter()
            s.sendto(packet + payload, (target, 0))
            while True:  # the reply: type 0, our identifier and number
                data = s.recv(1024)
                start = (data[0] & 0x0F) * 4  # after the IP header
                kind, _, _, got_id, got_seq = struct.unpack_from(
                    "!BBHHH", data, start
                )
                if (kind, got_id, got_seq) == (0, ident, seq):
                    break
            times.append((time.perf_counter() - begin) * 1000)
    return times


# --8<-- [end:ping]


def host_view() -> tuple[list[str], list[str]]:
    """The host's interfaces and routes, to compare before and after."""
    links = sorted(f"{x['ifindex']}:{x['ifname']}" for x in ip("link", "show"))
    routes = sorted(json.dumps(r, sort_keys=True) for r in ip("route", "show"))
    return links, routes


def main() -> int:
    if not privileged():
        return refuse(
            "needs Linux and root (CAP_SYS_ADMIN) to create namespaces"
        )
    if not shutil.which("ip"):
        return refuse("needs `ip` from iproute2 (apt install iproute2)")
    host_before = host_view()
    namespaces: list[int] = []
    sockets: list[socket.socket] = []
    try:
        a = new_namespace()
        namespaces.append(a)
        b = new_namespace()
        namespaces.append(b)
        connect(a, b)
        host = os.readlink("/proc/self/ns/net")
        print("Made two network namespaces, A and B, and a veth pair between")
        print(f"them. The host's own namespace is {host}.")
        print()
        describe("A", a)
        describe("B", b)
        print("Both call their end eth0; neither sees the host's interfaces.")
        print()
        checkpoint("connected")

        # --8<-- [start:across]
        with inside(a):
            times = ping(ADDRESS["B"], count=3)
        print(
            f"From A, ping {ADDRESS['B']}: {len(times)} replies from B's stack,"
            f" fastest {min(times):.3f} ms."
        )

        # Each namespace has its own port numbers: both listen on port 80.
        for namespace in (a, b):
            with inside(namespace):
                server = socket.create_server(("0.0.0.0", 80))
            sockets.append(server)
        print("A and B each listen on TCP port 80 at once: each namespace has")
        print("its own port numbers, separate from the host's as well.")
        with inside(a):
            client = socket.create_connection((ADDRESS["B"], 80), timeout=2)
        sockets.append(client)
        conn, (peer, _) = sockets[1].accept()  # B's server
        sockets.append(conn)
        print(
            f"From A, connect to {ADDRESS['B']}:80: B accepts it, from {peer}."
        )

        # No route out: the kernel refuses before any packet is sent.
        with inside(a):
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sockets.append(probe)
            try:
                probe.connect((OUTSIDE, 80))
                reach = "reachable (unexpected)"
            except OSError as exc:
                reach = exc.strerror
        print(f"From A, any other address ({OUTSIDE}): {reach}.")
        # --8<-- [end:across]
    finally:  # on success, failure or Ctrl-C: close every handle
        for s in sockets:
            s.close()
        for fd in namespaces:
            os.close(fd)
    print()
    same = host_view() == host_before
    verdict = "the same" if same else "CHANGED"
    print(f"The host's interfaces and routes, before and after: {verdict}.")
    print("Closing our last handles on A and B let the kernel delete them,")
    print("and the veth pair with them. A container's network is such a")
    print("namespace; Docker adds a bridge, a route out and NAT.")
    ok = len(times) == 3 and peer == ADDRESS["A"]
    return 0 if ok and reach == "Network is unreachable" and same else 1


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
