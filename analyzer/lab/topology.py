"""The lab's mini-internet: four network namespaces joined by veth pairs and a bridge, on documentation ranges.

Theory of operation
-------------------
::

    client (ns)                    router (ns)                         dns (ns)  198.51.100.53
    eth0 192.0.2.10/24   <---->   eth0 192.0.2.1/24                   eth0      2001:db8:2::53
         2001:db8:1::10/64             2001:db8:1::1/64
    default via 192.0.2.1         br0  198.51.100.1/24   <---- p-dns  web (ns)  198.51.100.80
                                       2001:db8:2::1/64  <---- p-web  eth0      2001:db8:2::80

The router forwards (``net.ipv4.ip_forward=1``, ``net.ipv6.conf.all.forwarding=1``, in its own namespace),
so a packet from the client to the servers crosses one hop and its TTL (hop limit) drops by one. Every
link is created *inside* the namespaces (``ip -n NS link add ... peer name X netns OTHER``) and every
sysctl is namespaced: the host namespace's interfaces, addresses and routes are never touched.

Namespace names start with ``azlab-<pid>-`` so several labs can run at once and ``analyzer lab
--cleanup`` can find what a killed lab left behind. :meth:`Lab.destroy` kills every process still in
the namespaces and deletes them; it runs from ``finally`` whatever happened, and is idempotent.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field

PREFIX = "azlab-"
ROLES = ("client", "router", "dns", "web")
CLIENT4, ROUTER4_C, ROUTER4_S, DNS4, WEB4 = "192.0.2.10", "192.0.2.1", "198.51.100.1", "198.51.100.53", "198.51.100.80"
CLIENT6, ROUTER6_C, ROUTER6_S, DNS6, WEB6 = "2001:db8:1::10", "2001:db8:1::1", "2001:db8:2::1", "2001:db8:2::53", "2001:db8:2::80"
CLIENT_IFACE = "eth0"


class LabError(Exception):
    """The lab cannot be built or run; one line saying why and what to do."""


def ip_netns_works() -> tuple[bool, str]:
    """(True, "") when namespaces can be made here, else (False, why)."""
    if not shutil.which("ip"):
        return False, "the ip command is missing (Debian: apt-get install iproute2)"
    if os.geteuid() != 0:
        return False, "the lab needs root (network namespaces): run it with sudo"
    name = f"{PREFIX}probe-{os.getpid()}"
    r = subprocess.run(["ip", "netns", "add", name], check=False, capture_output=True, text=True)
    if r.returncode != 0:
        return False, f"ip netns add failed: {r.stderr.strip() or r.returncode}"
    subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)
    return True, ""


def _run(argv: list[str], check: bool = True, timeout: float = 20) -> subprocess.CompletedProcess:
    r = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise LabError(f"{' '.join(argv)}: {r.stderr.strip() or f'exit code {r.returncode}'}")
    return r


@dataclass
class Lab:
    tag: str = field(default_factory=lambda: str(os.getpid()))
    ipv6: bool = True
    made: list[str] = field(default_factory=list)

    def ns(self, role: str) -> str:
        return f"{PREFIX}{self.tag}-{role}"

    # -- building ----------------------------------------------------------------------------------------
    def create(self) -> Lab:
        if not os.path.isdir("/proc/sys/net/ipv6"):
            self.ipv6 = False
        for role in ROLES:
            name = self.ns(role)
            _run(["ip", "netns", "add", name])
            self.made.append(name)
            self.ip(role, "link", "set", "lo", "up")
            if self.ipv6:   # no duplicate address detection, no router solicitations: a quiet, quick link-up
                self.sysctl(role, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                            "net.ipv6.conf.default.router_solicitations=0", "net.ipv6.conf.all.accept_ra=0",
                            "net.ipv6.conf.default.accept_ra=0")
        _c, r = self.ns("client"), self.ns("router")
        # client <-> router
        self.ip("client", "link", "add", CLIENT_IFACE, "type", "veth", "peer", "name", "eth0", "netns", r)
        # servers' subnet: a bridge in the router namespace, a veth to each server
        self.ip("router", "link", "add", "br0", "type", "bridge")
        for role in ("dns", "web"):
            self.ip(role, "link", "add", "eth0", "type", "veth", "peer", "name", f"p-{role}", "netns", r)
            self.ip("router", "link", "set", f"p-{role}", "master", "br0", "up")
        self.addr("client", CLIENT_IFACE, f"{CLIENT4}/24", f"{CLIENT6}/64")
        self.addr("router", "eth0", f"{ROUTER4_C}/24", f"{ROUTER6_C}/64")
        self.addr("router", "br0", f"{ROUTER4_S}/24", f"{ROUTER6_S}/64")
        self.addr("dns", "eth0", f"{DNS4}/24", f"{DNS6}/64")
        self.addr("web", "eth0", f"{WEB4}/24", f"{WEB6}/64")
        links = (("client", CLIENT_IFACE), ("router", "eth0"), ("router", "p-dns"), ("router", "p-web"),
                 ("router", "br0"), ("dns", "eth0"), ("web", "eth0"))
        for role, iface in links:
            # segments as a real NIC puts them on the wire: no 64 KB TSO/GSO super-packets on the veths
            _run(["ip", "-n", self.ns(role), "link", "set", "dev", iface, "gso_max_size", "1500"], check=False)
            self.ip(role, "link", "set", iface, "up")
        self.sysctl("router", "net.ipv4.ip_forward=1", *(["net.ipv6.conf.all.forwarding=1"] if self.ipv6 else []))
        self.route("client", ROUTER4_C, ROUTER6_C)
        self.route("dns", ROUTER4_S, ROUTER6_S)
        self.route("web", ROUTER4_S, ROUTER6_S)
        return self

    def ip(self, role: str, *args: str) -> None:
        _run(["ip", "-n", self.ns(role), *args])

    def addr(self, role: str, iface: str, v4: str, v6: str) -> None:
        self.ip(role, "addr", "add", v4, "dev", iface)
        if self.ipv6:
            self.ip(role, "-6", "addr", "add", v6, "dev", iface, "nodad")

    def route(self, role: str, gw4: str, gw6: str) -> None:
        self.ip(role, "route", "add", "default", "via", gw4)
        if self.ipv6:
            self.ip(role, "-6", "route", "add", "default", "via", gw6)

    def sysctl(self, role: str, *settings: str) -> None:
        for s in settings:
            key, _, value = s.partition("=")
            path = "/proc/sys/" + key.replace(".", "/")
            _run(["ip", "netns", "exec", self.ns(role), "sh", "-c", f"echo {value} > {path}"])

    # -- running things inside -----------------------------------------------------------------------
    def argv(self, role: str, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.ns(role), *argv]

    def run(self, role: str, argv: list[str], timeout: float = 60, check: bool = False,
            env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(role, argv), capture_output=True, text=True, timeout=timeout,
                              check=check, env=env)

    def popen(self, role: str, argv: list[str], env: dict | None = None, **kw) -> subprocess.Popen:
        return subprocess.Popen(self.argv(role, argv), stdin=subprocess.DEVNULL, env=env, **kw)

    # -- tearing down --------------------------------------------------------------------------------
    def destroy(self) -> list[str]:
        """Kill what runs inside, delete every namespace this lab made; the problems, if any."""
        problems = []
        for name in reversed(self.made):
            problems += destroy_namespace(name)
        self.made.clear()
        return problems


def _pids(name: str) -> list[int]:
    r = subprocess.run(["ip", "netns", "pids", name], check=False, capture_output=True, text=True)
    return [int(p) for p in r.stdout.split() if p.isdigit()]


def destroy_namespace(name: str) -> list[str]:
    problems = []
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
        pids = _pids(name)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while _pids(name) and time.monotonic() < deadline:
            time.sleep(0.05)
    r = subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True, text=True)
    if r.returncode != 0 and name in list_lab_namespaces():
        problems.append(f"could not delete namespace {name}: {r.stderr.strip()}")
    return problems


def list_lab_namespaces() -> list[str]:
    r = subprocess.run(["ip", "netns", "list"], check=False, capture_output=True, text=True)
    return [line.split()[0] for line in r.stdout.splitlines() if line.startswith(PREFIX)]


def cleanup_stale() -> list[str]:
    """Delete the namespaces of labs whose process is gone (a lab killed with SIGKILL); the names removed."""
    removed = []
    for name in list_lab_namespaces():
        tag = name[len(PREFIX):].split("-", 1)[0]
        if tag.isdigit() and os.path.exists(f"/proc/{tag}") and int(tag) != os.getpid():
            continue
        destroy_namespace(name)
        removed.append(name)
    return removed
