"""Record the timeline's failure and multi-run captures in the lab's namespaces with real clients (root).

    sudo python scripts/record_timeline_captures.py                 # all of them, into captures/
    sudo python scripts/record_timeline_captures.py --only silent --dest /tmp/x

Each recording builds the lab's mini-internet (:class:`analyzer.lab.topology.Lab`: client 192.0.2.10, router,
DNS server 198.51.100.53, web server 198.51.100.80), starts the lab's servers (dnsmasq and nginx when
installed, else the project's own), captures on the client's ``eth0`` with ``analyzer capture``, and runs a
real client inside the client namespace: ``curl`` or ``wget``, resolving through the lab's DNS server
(``/etc/netns/<client>/resolv.conf``, which ``ip netns exec`` puts in place of ``/etc/resolv.conf``).

* ``silent``: ``curl -4`` (IPv4 only: one A lookup, one address to try); the router silently drops every
  TCP segment to the web server's port 80 (nftables). The client's ``net.ipv4.tcp_syn_retries`` is 2: its
  kernel gives up after the time three SYNs with a doubling timeout would take (1 + 2 + 4 = 7 s); with
  Linux 6.5+'s default ``tcp_syn_linear_timeouts=4`` the first retransmissions come every second, so it sends
  six SYNs 1 s apart, then curl fails ("Failed to connect ... after 7 s").
* ``synloss``: the router drops the first two SYNs (nftables ``numgen inc``), the third gets through; the
  client's ``net.ipv4.tcp_syn_linear_timeouts`` is 0, so the retransmission timeout doubles as in RFC 6298
  (1 s, then 2 s); then curl fetches the page.
* ``two_curls``: ``curl http://www.example.test/``, one second later ``curl .../style.css``: two separate
  runs, each with its own DNS lookups (A and AAAA over IPv4) and connection (over IPv6, which curl prefers:
  so the client asks for the IPv6 gateway with Neighbor Discovery), no Referer.
* ``post_continue``: ``curl -H 'Expect: 100-continue' --data-binary @-`` posts 20,000 bytes to ``/upload``:
  the request head alone, the server's interim ``100 Continue``, then the body and the final ``200``.
* ``expect_ignored``: the same POST to a second instance of the lab's server on port 8080 that ignores
  ``Expect: 100-continue`` (``--no-continue``): curl waits 1 s for a ``100 Continue`` that never comes, then
  sends the body anyway.
* ``dns_failover``: the client's resolv.conf names a first resolver the router silently drops everything to
  (``SILENT_RESOLVER``), then the lab's; ``timeout:2 attempts:1``: glibc waits 2 s for the first, then asks the
  second the same question (same ID), and curl fetches the page 2 s late.
* ``wget_robots``: ``wget -p http://www.example.test/``: ``/`` then ``/robots.txt`` (404) then the page's
  requisites on the same keep-alive connection (over IPv6, like curl above).

The file is checked with tshark for what it is meant to show and only then copied to ``--dest``. Needs root,
``ip netns``, nftables, curl, wget, tshark.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from analyzer.lab.run import python_env, start_servers, stop_process, wait_for_line
from analyzer.lab.topology import CLIENT_IFACE, DNS4, WEB4, Lab, ip_netns_works

SILENT_RESOLVER = "198.51.100.99"      # no host: the router drops all to it (dns_failover)

URL = "http://www.example.test/"


def nft(lab: Lab, rules: str) -> None:
    r = subprocess.run(lab.argv("router", ["nft", "-f", "-"]), input=rules, capture_output=True, text=True,
                       check=False)
    if r.returncode != 0:
        raise SystemExit(f"nft on the router failed: {r.stderr.strip()}")


def forward_rule(rule: str) -> str:
    return ("table inet aztl {\n chain forward {\n  type filter hook forward priority 0; policy accept;\n"
            f"  {rule}\n }}\n}}\n")


def silent(lab: Lab) -> list[list[str]]:
    lab.sysctl("client", "net.ipv4.tcp_syn_retries=2")
    nft(lab, forward_rule(f"ip daddr {WEB4} tcp dport 80 drop"))
    return [["curl", "-4", "-sS", "-o", "/dev/null", URL]]


def synloss(lab: Lab) -> list[list[str]]:
    lab.sysctl("client", "net.ipv4.tcp_syn_linear_timeouts=0")
    nft(lab, forward_rule(f"ip daddr {WEB4} tcp flags & (syn | ack) == syn numgen inc mod 3 < 2 drop"))
    return [["curl", "-4", "-sS", "-o", "/dev/null", URL]]


def two_curls(lab: Lab) -> list[list[str]]:
    return [["curl", "-sS", "-o", "/dev/null", URL], ["sleep", "1"],
            ["curl", "-sS", "-o", "/dev/null", URL + "style.css"]]


def post_continue(lab: Lab) -> list[list[str]]:
    return [["sh", "-c", ("head -c 20000 /dev/zero | tr '\\0' x | curl -4 -sS -o /dev/null "
                          f"-H 'Expect: 100-continue' --data-binary @- {URL}upload")]]


def expect_ignored(lab: Lab) -> list[list[str]]:
    # a second web server in the web namespace (lab.destroy() ends it with the namespace)
    lab.popen("web", [sys.executable, "-m", "analyzer.demo.server", "--http", f"{WEB4}:8080", "--no-continue"],
              env=python_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return [["sh", "-c", ("head -c 20000 /dev/zero | tr '\\0' x | curl -4 -sS -o /dev/null "
                          "-H 'Expect: 100-continue' --data-binary @- http://www.example.test:8080/upload")]]


def dns_failover(lab: Lab) -> list[list[str]]:
    # the client's first resolver is an address the router silently drops everything to; the second is the lab's
    (Path("/etc/netns") / lab.ns("client") / "resolv.conf").write_text(
        f"nameserver {SILENT_RESOLVER}\nnameserver {DNS4}\noptions attempts:1 timeout:2\n")
    nft(lab, forward_rule(f"ip daddr {SILENT_RESOLVER} drop"))
    return [["curl", "-4", "-sS", "-o", "/dev/null", URL]]


def wget_robots(lab: Lab) -> list[list[str]]:
    return [["wget", "-q", "-p", "--no-dns-cache", "-P", "/tmp/aztl-wget", URL]]


SCENARIOS: dict[str, tuple[str, Callable[[Lab], list[list[str]]]]] = {
    "silent": ("lab_silent_host_syn_timeout.pcapng", silent),
    "synloss": ("lab_syn_loss_rto_doubling.pcapng", synloss),
    "two_curls": ("lab_two_curl_runs.pcapng", two_curls),
    "wget_robots": ("lab_wget_page_robots.pcapng", wget_robots),
    "dns_failover": ("lab_dns_failover_next_resolver.pcapng", dns_failover),
    "post_continue": ("lab_post_100_continue.pcapng", post_continue),
    "expect_ignored": ("lab_post_expect_ignored.pcapng", expect_ignored),
}


def tshark(path: Path, display_filter: str, *fields: str) -> list[list[str]]:
    argv = ["tshark", "-r", str(path), "-Y", display_filter, "-T", "fields", "-E", "separator=|"]
    for f in ("frame.number", *fields):
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return [line.split("|") for line in out.splitlines()]


def check(name: str, path: Path) -> list[str]:
    """What the recording is for, as tshark sees it; the problems (empty: install it)."""
    problems = []
    syn = "tcp.flags.syn == 1 && tcp.flags.ack == 0"
    if not tshark(path, "dns.flags.response == 1 && dns.a == 198.51.100.80"):
        problems.append("no DNS answer A 198.51.100.80")
    if name == "silent":
        syns = tshark(path, syn, "frame.time_relative")
        if len(syns) < 3 or tshark(path, "tcp.flags.syn == 1 && tcp.flags.ack == 1"):
            problems.append(f"{len(syns)} SYNs (expected 3 or more) or a SYN-ACK")
        if tshark(path, "tcp.flags.reset == 1"):
            problems.append("a RST: the host was not silent")
    elif name == "synloss":
        syns = tshark(path, syn, "frame.time_relative")
        if len(syns) != 3 or len(tshark(path, "tcp.flags.syn == 1 && tcp.flags.ack == 1")) != 1:
            problems.append(f"{len(syns)} SYNs (expected 3) and not one SYN-ACK")
        if [r[1] for r in tshark(path, "http.response", "http.response.code")] != ["200"]:
            problems.append("not one 200 response")
    elif name == "two_curls":
        if [r[1] for r in tshark(path, "http.request", "http.request.uri")] != ["/", "/style.css"]:
            problems.append("not GET / then GET /style.css")
        if len(tshark(path, syn)) != 2:
            problems.append("not two connections")
        if tshark(path, "http.referer"):
            problems.append("a Referer")
    elif name == "post_continue":
        codes = [r[1] for r in tshark(path, "http.response", "http.response.code")]
        if codes != ["100", "200"] or len(tshark(path, "http.request.method == POST")) != 1:
            problems.append(f"responses {codes}: expected 100 then 200 to one POST")
    elif name == "expect_ignored":
        codes = [r[1] for r in tshark(path, "http.response", "http.response.code")]
        if codes != ["200"] or len(tshark(path, "http.request.method == POST")) != 1:
            problems.append(f"responses {codes}: expected only a 200 to one POST")
    elif name == "dns_failover":
        queries = tshark(path, "dns.flags.response == 0", "ip.dst", "dns.id")
        if [q[1] for q in queries] != [SILENT_RESOLVER, DNS4] or len({q[2] for q in queries}) != 1:
            problems.append(f"queries {queries}: expected one to {SILENT_RESOLVER}, then the same ID to {DNS4}")
        if [r[1] for r in tshark(path, "http.response", "http.response.code")] != ["200"]:
            problems.append("not one 200 response")
    elif name == "wget_robots":
        uris = [r[1] for r in tshark(path, "http.request", "http.request.uri")]
        if uris[:2] != ["/", "/robots.txt"] or len(uris) != 5:
            problems.append(f"requests {uris}: expected /, /robots.txt, then three requisites")
        if len(tshark(path, syn)) != 1:
            problems.append("not one connection")
    return problems


def record(name: str, dest: Path, servers: str) -> bool:
    filename, scenario = SCENARIOS[name]
    ok, why = ip_netns_works()
    if not ok:
        raise SystemExit(why)
    env = python_env()
    lab = Lab()
    procs: list = []       # analyzer.lab.run.Server
    cap = None
    workdir = Path(tempfile.mkdtemp(prefix="aztl-"))
    tmp = workdir / filename
    netns_etc = None
    try:
        lab.create()
        netns_etc = Path("/etc/netns") / lab.ns("client")
        netns_etc.mkdir(parents=True, exist_ok=True)
        (netns_etc / "resolv.conf").write_text(f"nameserver {DNS4}\noptions attempts:2 timeout:1\n")
        (netns_etc / "hosts").write_text("127.0.0.1 localhost\n")
        procs, what = start_servers(lab, servers, workdir, env)
        print(f"{name}: servers {what}")
        commands = scenario(lab)
        # the servers' readiness probes filled the router's neighbour cache; flush the client's so that the
        # capture starts with the client's ARP for its gateway, as in the other lab recordings
        lab.run("client", ["ip", "neigh", "flush", "all"])
        cap = lab.popen("client", [sys.executable, "-m", "analyzer", "capture", "-i", CLIENT_IFACE, "-w", str(tmp)],
                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_line(cap, cap.stderr, "capturing on", 20, "the capture")
        for argv in commands:
            r = lab.run("client", argv, timeout=60, env=env)
            print(f"{name}: {' '.join(argv)} -> exit {r.returncode} {(r.stdout + r.stderr).strip()[:200]}")
        time.sleep(0.5)
    finally:
        if cap is not None:
            stop_process(cap, signal.SIGINT, 10)
            if cap.stderr:
                cap.stderr.close()
        for server in reversed(procs):
            stop_process(server.proc)
            if server.proc.stdout:
                server.proc.stdout.close()
        lab.destroy()
        if netns_etc is not None:
            shutil.rmtree(netns_etc, ignore_errors=True)
    problems = check(name, tmp)
    for p in problems:
        print(f"{name}: NOT INSTALLED: {p}")
    if problems:
        kept = Path(tempfile.gettempdir()) / f"failed-{filename}"
        shutil.copyfile(tmp, kept)
        print(f"{name}: the recording is kept in {kept}")
    if not problems:
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp, dest / filename)
        print(f"{name}: installed {dest / filename}")
    shutil.rmtree(workdir, ignore_errors=True)
    return not problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", choices=sorted(SCENARIOS))
    ap.add_argument("--dest", type=Path, default=REPO / "captures")
    ap.add_argument("--servers", choices=("auto", "project", "system"), default="project")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 2
    ok = [record(n, args.dest, args.servers) for n in (args.only or sorted(SCENARIOS))]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    raise SystemExit(main())
