"""Where a dev server's own processes listen: each port of its process tree, and the loopback address to ask it on.

Only a listener in the server's own tree counts: another program on the same port number (on the other address
family, `127.0.0.1` beside the server's `::1`) proves nothing about the server. And the address asked is the one the
server listens on: Node 17+ resolves `localhost` to `::1` first on some systems and Vite listens there by default,
so a server may answer on `::1` only, or on `127.0.0.1` only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import psutil

from prisma_doctor.process_start import started_at
from prisma_doctor.repair import http_get


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
            connections = process.net_connections(kind="inet")
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


def answers(listener: Listener, timeout: float = 60) -> bool:
    """Any HTTP answer counts, even an error page or a redirect (not followed, `http_get`): the server is up and
    serving. Its body is not waited for."""
    return http_get.get(listener.host, listener.port, "/", timeout=timeout, body_seconds=0.0).status is not None


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
