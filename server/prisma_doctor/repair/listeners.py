"""Where a dev server's own processes listen: each port of its process tree, and the loopback address to ask it on.

Only a listener in the server's own tree counts: another program on the same port number (on the other address
family, `127.0.0.1` beside the server's `::1`) proves nothing about the server. And the address asked is the one the
server listens on: Node 17+ resolves `localhost` to `::1` first on some systems and Vite listens there by default,
so a server may answer on `::1` only, or on `127.0.0.1` only.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from prisma_doctor.process_start import started_at

# Where a server of this machine is asked: it may listen on either only (see the module's docstring).
LOOPBACKS = ("127.0.0.1", "::1")
# A connection on the loopback is accepted or refused at once; this bounds one to a listener too busy to accept.
CONNECT_SECONDS = 1.0


@dataclass(frozen=True)
class Listener:
    port: int
    host: str  # the loopback address to ask it on: "127.0.0.1" or "::1"
    pid: int  # the process of the tree that listens
    started: float  # when that process started (epoch seconds)

    def url(self, route: str = "/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{route}"


def tree(pid: int) -> list[psutil.Process]:
    """The process `pid` and every process under it (empty once it is gone)."""
    try:
        process = psutil.Process(pid)
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return []


def listeners(processes: list[psutil.Process]) -> dict[int, Listener]:
    """Each port the processes listen on where this machine can ask them, IPv4 first when they listen on both."""
    found: dict[int, Listener] = {}
    for process in processes:
        try:
            # TCP only: a UDP socket never listens, and each kind is a read of the whole system's table.
            connections = process.net_connections(kind="tcp")
            started = started_at(process)
        except (psutil.Error, OSError):
            continue
        for connection in connections:
            if connection.status != psutil.CONN_LISTEN or not connection.laddr:
                continue
            host = _loopback_for(str(connection.laddr.ip))
            port = int(connection.laddr.port)
            if host is not None and (port not in found or (":" in found[port].host and ":" not in host)):
                found[port] = Listener(port, host, process.pid, started)
    return found


def listener_on(root_pid: int, port: int) -> Listener | None:
    """The listener on `port` in the tree of `root_pid`, or None when no process of it listens there."""
    return listeners(tree(root_pid)).get(port)


def accepts(port: int) -> bool:
    """Whether anything accepts a connection on `port` at a loopback address (whoever it is: `listeners` says)."""
    for host in LOOPBACKS:
        try:
            with socket.create_connection((host, port), timeout=CONNECT_SECONDS):
                return True
        except OSError:
            continue
    return False


def answers(listener: Listener, route: str = "/", timeout: float = 60) -> bool:
    """Whether GET `route` gets any HTTP answer within `timeout`, even an error page or a redirect (not followed,
    `http_get`): the server is up and serving. Its body is not waited for."""
    # Imported here: finding dev servers (every check, `explain`) never asks one, and an HTTP stack is a tenth of
    # those commands' imports.
    from prisma_doctor.repair import http_get

    return http_get.get(listener.host, listener.port, route, timeout=timeout, body_seconds=0.0).status is not None


def port_holder(port: int) -> psutil.Process | None:
    """A process that listens on `port` (TCP, any address), when this user may see which: what took a port that a
    server then failed to bind (`EADDRINUSE`)."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return None
    for connection in connections:
        listens = connection.status == psutil.CONN_LISTEN and connection.laddr and connection.laddr.port == port
        if not listens or not connection.pid:
            continue
        try:
            return psutil.Process(connection.pid)
        except psutil.Error:
            continue
    return None


# A server's output is looked at this often while it is awaited; and a look at its sockets, after one, waits at least
# OUTPUT_FIRST_LOOK_SECONDS: a server that prints all the time (a compile's progress) is not looked at without pause.
OUTPUT_LOOK_SECONDS = 0.02
OUTPUT_FIRST_LOOK_SECONDS = 0.05


def output_grew(output: Path, seconds: float) -> bool:
    """Wait up to `seconds` for a server's output file to grow (a server prints when it starts to listen); whether
    it did."""
    size = _size(output)
    deadline = time.monotonic() + seconds
    pause = OUTPUT_FIRST_LOOK_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(pause, left))
        pause = OUTPUT_LOOK_SECONDS
        if _size(output) != size:
            return True
    return False


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _loopback_for(address: str) -> str | None:
    """The loopback address that reaches a socket bound to `address`: itself when it is a loopback address, that of
    its family for a wildcard (`0.0.0.0`, `::`); None for an address of another interface only."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return "::1" if ip.version == 6 else "127.0.0.1"
    return str(ip) if ip.is_loopback else None
