"""The lab's networks: network namespaces joined by veth pairs and bridges, on documentation ranges.

Theory of operation
-------------------
A :class:`Topology` is data: the namespaces (roles), the veth pairs between them, the bridges, the addresses,
the default routes, which namespaces forward, and where the lab captures. :meth:`Lab.create` builds any of
them the same way. The layouts (``TOPOLOGIES``)::

  internet (default): one router between the client's subnet and the servers' subnet
    client eth0 192.0.2.10 --- eth0 192.0.2.1 [router] br0 198.51.100.1 --- dns 198.51.100.53, web 198.51.100.80
           2001:db8:1::10          2001:db8:1::1         2001:db8:2::1         2001:db8:2::53, 2001:db8:2::80
    captured on the client's eth0

  nat: a home network behind a masquerading router, then the provider's router
    client eth0 10.0.0.10 --- lan0 10.0.0.1 [router, nftables masquerade] wan0 203.0.113.2
        --- eth0 203.0.113.1 [isp] br0 198.51.100.1 --- dns 198.51.100.53, web 198.51.100.80
    captured on the router's lan0 (inside) and wan0 (outside) at the same time: two files

  same-subnet: client and servers on one link (a bridge in the "switch" namespace), no router
    client 192.0.2.10, dns 192.0.2.53, web 192.0.2.80 on 192.0.2.0/24; captured on the client's eth0

  hub / switch: the same link with a fourth host, the observer 192.0.2.99, captured on the observer's eth0
    (promiscuous) and on the client's eth0. hub: the bridge's ageing time is 0, so it never remembers a MAC
    address and floods every frame to every port, as a hub repeats it; switch: a normal learning bridge.

A router forwards (``net.ipv4.ip_forward=1``, ``net.ipv6.conf.all.forwarding=1``, in its own namespace), so
a packet crossing it has its TTL (hop limit) decremented by one. Every link is created *inside* the
namespaces (``ip -n NS link add ... peer name X netns OTHER``) and every sysctl is namespaced: the host
namespace's interfaces, addresses and routes are never touched. Topologies other than ``internet`` have
IPv6 switched off, so their captures hold only what the lesson is about (no router solicitations, MLD).

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
from dataclasses import dataclass, field, replace

PREFIX = "azlab-"
NETNS_ETC = "/etc/netns"
CLIENT4, ROUTER4_C, ROUTER4_S, DNS4, WEB4 = "192.0.2.10", "192.0.2.1", "198.51.100.1", "198.51.100.53", "198.51.100.80"
CLIENT6, ROUTER6_C, ROUTER6_S, DNS6, WEB6 = "2001:db8:1::10", "2001:db8:1::1", "2001:db8:2::1", "2001:db8:2::53", "2001:db8:2::80"
CLIENT_IFACE = "eth0"
NAT_CLIENT4, NAT_INSIDE4, NAT_OUTSIDE4, ISP4 = "10.0.0.10", "10.0.0.1", "203.0.113.2", "203.0.113.1"
LAN_DNS4, LAN_WEB4, OBSERVER4 = "192.0.2.53", "192.0.2.80", "192.0.2.99"


@dataclass(frozen=True)
class Capture:
    """Where the lab captures: in ``role``'s namespace on ``iface``; ``label`` names the file (FILE-label)."""

    role: str
    iface: str
    label: str
    what: str


@dataclass(frozen=True)
class Topology:
    """One layout, as data (see the module docstring)."""

    name: str
    roles: tuple[str, ...]
    veths: tuple[tuple[str, str, str, str], ...]              # (role, iface, peer role, peer iface)
    bridges: tuple[tuple[str, str, tuple[str, ...]], ...]     # (role, bridge, ports)
    addresses: tuple[tuple[str, str, str, str], ...]          # (role, iface, IPv4/len, IPv6/len or "")
    routes: tuple[tuple[str, str, str], ...]                  # (role, IPv4 gateway, IPv6 gateway or "")
    forwarding: tuple[str, ...]                               # the routers
    hosts: dict[str, str]                                     # role -> its IPv4 address (client, dns, web, ...)
    captures: tuple[Capture, ...]
    ipv6: bool = False
    hosts6: dict[str, str] = field(default_factory=dict)
    description: str = ""


def _lan(observer: bool) -> Topology:
    hosts = {"client": CLIENT4, "dns": LAN_DNS4, "web": LAN_WEB4} | ({"observer": OBSERVER4} if observer else {})
    roles = tuple(hosts)
    caps = ((Capture("observer", "eth0", "observer", "the observer's eth0 (promiscuous)"),) if observer else ())
    caps += (Capture("client", "eth0", "client", "the client's eth0"),)
    return Topology(
        name="lan", roles=(*roles, "switch"),
        veths=tuple((r, "eth0", "switch", f"p-{r}") for r in roles),
        bridges=(("switch", "br0", tuple(f"p-{r}" for r in roles)),),
        addresses=tuple((r, "eth0", f"{a}/24", "") for r, a in hosts.items()),
        routes=(), forwarding=(), hosts=hosts, captures=caps)


INTERNET = Topology(
    name="internet", roles=("client", "router", "dns", "web"),
    veths=(("client", "eth0", "router", "eth0"), ("dns", "eth0", "router", "p-dns"), ("web", "eth0", "router", "p-web")),
    bridges=(("router", "br0", ("p-dns", "p-web")),),
    addresses=(("client", "eth0", f"{CLIENT4}/24", f"{CLIENT6}/64"), ("router", "eth0", f"{ROUTER4_C}/24", f"{ROUTER6_C}/64"),
               ("router", "br0", f"{ROUTER4_S}/24", f"{ROUTER6_S}/64"), ("dns", "eth0", f"{DNS4}/24", f"{DNS6}/64"),
               ("web", "eth0", f"{WEB4}/24", f"{WEB6}/64")),
    routes=(("client", ROUTER4_C, ROUTER6_C), ("dns", ROUTER4_S, ROUTER6_S), ("web", ROUTER4_S, ROUTER6_S)),
    forwarding=("router",),
    hosts={"client": CLIENT4, "router": ROUTER4_C, "dns": DNS4, "web": WEB4},
    hosts6={"client": CLIENT6, "router": ROUTER6_C, "dns": DNS6, "web": WEB6},
    captures=(Capture("client", "eth0", "client", "the client's eth0"),), ipv6=True,
    description=f"client {CLIENT4} ({CLIENT6}) -> router {ROUTER4_C} | {ROUTER4_S} -> dns {DNS4}, web {WEB4}")

NAT = Topology(
    name="nat", roles=("client", "router", "isp", "dns", "web"),
    veths=(("client", "eth0", "router", "lan0"), ("router", "wan0", "isp", "eth0"),
           ("dns", "eth0", "isp", "p-dns"), ("web", "eth0", "isp", "p-web")),
    bridges=(("isp", "br0", ("p-dns", "p-web")),),
    addresses=(("client", "eth0", f"{NAT_CLIENT4}/24", ""), ("router", "lan0", f"{NAT_INSIDE4}/24", ""),
               ("router", "wan0", f"{NAT_OUTSIDE4}/24", ""), ("isp", "eth0", f"{ISP4}/24", ""),
               ("isp", "br0", f"{ROUTER4_S}/24", ""), ("dns", "eth0", f"{DNS4}/24", ""), ("web", "eth0", f"{WEB4}/24", "")),
    routes=(("client", NAT_INSIDE4, ""), ("router", ISP4, ""), ("dns", ROUTER4_S, ""), ("web", ROUTER4_S, "")),
    forwarding=("router", "isp"),
    hosts={"client": NAT_CLIENT4, "router": NAT_INSIDE4, "dns": DNS4, "web": WEB4},
    captures=(Capture("router", "lan0", "inside", "the router's inside interface lan0"),
              Capture("router", "wan0", "outside", "the router's outside interface wan0")),
    description=(f"client {NAT_CLIENT4} -> router lan0 {NAT_INSIDE4} | wan0 {NAT_OUTSIDE4} (masquerade) -> "
                 f"isp {ISP4} | {ROUTER4_S} -> dns {DNS4}, web {WEB4}"))

SAME_SUBNET = replace(_lan(False), name="same-subnet", description=(
    f"client {CLIENT4}, dns {LAN_DNS4}, web {LAN_WEB4} on one link (192.0.2.0/24, a bridge), no router"))
HUB = replace(_lan(True), name="hub", description=(
    f"client {CLIENT4}, dns {LAN_DNS4}, web {LAN_WEB4}, observer {OBSERVER4} on a hub "
    "(a bridge with ageing time 0: it floods every frame to every port)"))
SWITCH = replace(_lan(True), name="switch", description=(
    f"client {CLIENT4}, dns {LAN_DNS4}, web {LAN_WEB4}, observer {OBSERVER4} on a switch "
    "(a learning bridge: unicast goes only to the port the MAC address was seen on)"))

TOPOLOGIES = {t.name: t for t in (INTERNET, NAT, SAME_SUBNET, HUB, SWITCH)}
BRIDGE_AGEING_CS = {"hub": 0}          # centiseconds; the kernel's default (300 s) otherwise


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
    topology: Topology = INTERNET
    tag: str = field(default_factory=lambda: str(os.getpid()))
    ipv6: bool = True
    made: list[str] = field(default_factory=list)

    def ns(self, role: str) -> str:
        return f"{PREFIX}{self.tag}-{role}"

    def host(self, role: str, v6: bool = False) -> str:
        """The address of ``role`` (client, router, dns, web, observer) in this topology."""
        return (self.topology.hosts6 if v6 else self.topology.hosts)[role]

    # -- building ----------------------------------------------------------------------------------------
    def create(self) -> Lab:
        topo = self.topology
        if not topo.ipv6 or not os.path.isdir("/proc/sys/net/ipv6"):
            self.ipv6 = False
        for role in topo.roles:
            name = self.ns(role)
            _run(["ip", "netns", "add", name])
            self.made.append(name)
            self.ip(role, "link", "set", "lo", "up")
            if self.ipv6:   # no duplicate address detection, no router solicitations: a quiet, quick link-up
                self.sysctl(role, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                            "net.ipv6.conf.default.router_solicitations=0", "net.ipv6.conf.all.accept_ra=0",
                            "net.ipv6.conf.default.accept_ra=0")
            elif os.path.isdir("/proc/sys/net/ipv6"):    # IPv4 only: nothing on the wire but the lesson
                self.sysctl(role, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        for role, bridge, _ports in topo.bridges:
            self.ip(role, "link", "add", bridge, "type", "bridge",
                    *(["ageing_time", str(BRIDGE_AGEING_CS[topo.name])] if topo.name in BRIDGE_AGEING_CS else []))
        for role, iface, peer, peer_iface in topo.veths:
            self.ip(role, "link", "add", iface, "type", "veth", "peer", "name", peer_iface, "netns", self.ns(peer))
        for role, bridge, ports in topo.bridges:
            for port in ports:
                self.ip(role, "link", "set", port, "master", bridge)
        for role, iface, v4, v6 in topo.addresses:
            self.addr(role, iface, v4, v6)
        links = [(r, i) for r, i, _p, _pi in topo.veths] + [(p, pi) for _r, _i, p, pi in topo.veths]
        links += [(r, b) for r, b, _ports in topo.bridges]
        for role, iface in links:
            # segments as a real NIC puts them on the wire: no 64 KB TSO/GSO super-packets on the veths
            _run(["ip", "-n", self.ns(role), "link", "set", "dev", iface, "gso_max_size", "1500"], check=False)
            self.ip(role, "link", "set", iface, "up")
        for role in topo.forwarding:
            self.sysctl(role, "net.ipv4.ip_forward=1", *(["net.ipv6.conf.all.forwarding=1"] if self.ipv6 else []))
        for role, gw4, gw6 in topo.routes:
            self.route(role, gw4, gw6)
        return self

    def ip(self, role: str, *args: str) -> None:
        _run(["ip", "-n", self.ns(role), *args])

    def addr(self, role: str, iface: str, v4: str, v6: str) -> None:
        self.ip(role, "addr", "add", v4, "dev", iface)
        if self.ipv6 and v6:
            self.ip(role, "-6", "addr", "add", v6, "dev", iface, "nodad")

    def route(self, role: str, gw4: str, gw6: str) -> None:
        self.ip(role, "route", "add", "default", "via", gw4)
        if self.ipv6 and gw6:
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
    # the files ``ip netns exec`` mounts over /etc in this namespace (the HTTPS lab's resolv.conf)
    shutil.rmtree(os.path.join(NETNS_ETC, name), ignore_errors=True)
    return problems


def list_lab_namespaces() -> list[str]:
    r = subprocess.run(["ip", "netns", "list"], check=False, capture_output=True, text=True)
    return [line.split()[0] for line in r.stdout.splitlines() if line.startswith(PREFIX)]


def cleanup_stale() -> list[str]:
    """Delete the namespaces of labs whose process is gone (a lab killed with SIGKILL); the names removed."""
    removed = []
    left = set(os.listdir(NETNS_ETC)) if os.path.isdir(NETNS_ETC) else set()
    for name in sorted(set(list_lab_namespaces()) | {n for n in left if n.startswith(PREFIX)}):
        tag = name[len(PREFIX):].split("-", 1)[0]
        if tag.isdigit() and os.path.exists(f"/proc/{tag}") and int(tag) != os.getpid():
            continue
        destroy_namespace(name)
        removed.append(name)
    return removed
