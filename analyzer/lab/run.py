"""``analyzer lab``: build the namespaces, start the servers, capture on the client, fetch, tear everything down.

Order of events, each undone in ``finally`` in reverse whatever happens (an error, Ctrl-C, SIGTERM):

1. the namespaces and links (:class:`~analyzer.lab.topology.Lab`);
2. loss on the router when asked (nftables ``numgen random`` on forwarded TCP; else ``tc netem``; else
   iptables ``statistic``; else a clear error naming what to install);
3. the servers: dnsmasq and nginx when installed (and ``servers`` allows), else the project's own
   (``python -m analyzer.demo.server`` inside the dns and web namespaces); each is waited for;
4. the capture: ``python -m analyzer capture -i eth0 -w FILE`` inside the client namespace, waited for
   until it says it is capturing — the client's neighbour cache is empty, so its first packet to the
   servers makes it ask for the gateway's MAC (ARP, or neighbour solicitation over IPv6);
5. the client: ``python -m analyzer.demo.client`` (resolve through the DNS server, fetch the page);
6. a short settle, SIGINT to the capture (it closes the file and prints its count), the servers stop,
   the namespaces are deleted.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.lab.topology import CLIENT_IFACE, DNS4, DNS6, WEB4, WEB6, Lab, LabError, ip_netns_works

SETTLE_S = 0.5
WHAT = ("page", "dns-mix", "refused")


@dataclass
class LabResult:
    capture_path: str
    client_output: str = ""
    client_ok: bool = False
    capture_summary: str = ""
    servers: str = ""
    loss_method: str = ""
    namespaces: list[str] = field(default_factory=list)


def python_env() -> dict[str, str]:
    """The environment for ``python -m analyzer...`` inside a namespace: this checkout first on the path."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def wait_for_line(proc: subprocess.Popen, stream, needle: str, timeout: float, what: str) -> str:
    """Read ``stream`` until a line holds ``needle``; LabError (with what was said) if it exits or times out."""
    fd = stream.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while needle.encode() not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise LabError(f"{what} did not start within {timeout:.0f} s: {seen.decode(errors='replace').strip()}")
        ready, _, _ = select.select([fd], [], [], min(left, 0.2))
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                proc.wait(2)
                raise LabError(f"{what} exited ({proc.returncode}): {seen.decode(errors='replace').strip()}")
            seen += chunk
    return seen.decode(errors="replace")


def stop_process(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 5) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(2)
    except ProcessLookupError:
        pass


# -- loss on the router -------------------------------------------------------------------------------------

def add_loss(lab: Lab, percent: float) -> str:
    """Drop ``percent`` % of forwarded TCP segments on the router; the method used."""
    pct = max(0.0, min(100.0, percent))
    if shutil.which("nft"):
        rules = ("table inet azlab_loss {\n chain forward {\n  type filter hook forward priority 0; policy accept;\n"
                 f"  meta l4proto tcp numgen random mod 1000 < {int(pct * 10)} drop\n }}\n}}\n")
        r = subprocess.run(lab.argv("router", ["nft", "-f", "-"]), input=rules, capture_output=True, text=True,
                           check=False)
        if r.returncode == 0:
            return f"nftables: {pct:g}% of forwarded TCP segments dropped on the router"
        nft_error = r.stderr.strip()
    else:
        nft_error = "nft is not installed"
    if shutil.which("tc"):
        r = lab.run("router", ["tc", "qdisc", "add", "dev", "eth0", "root", "netem", "loss", f"{pct:g}%"])
        if r.returncode == 0:
            return f"tc netem: {pct:g}% of the packets the router sends to the client dropped"
    if shutil.which("iptables"):
        r = lab.run("router", ["iptables", "-A", "FORWARD", "-p", "tcp", "-m", "statistic", "--mode", "random",
                               "--probability", f"{pct / 100:.4f}", "-j", "DROP"])
        if r.returncode == 0:
            return f"iptables statistic: {pct:g}% of forwarded TCP segments dropped on the router"
    raise LabError(f"--loss needs nftables on the router ({nft_error}; Debian: apt-get install nftables), "
                   f"or tc with the netem qdisc (kernel module sch_netem), or iptables")


# -- servers -----------------------------------------------------------------------------------------------

def _system_servers_available() -> bool:
    return bool(shutil.which("dnsmasq") and shutil.which("nginx"))


def start_servers(lab: Lab, which: str, workdir: Path, env: dict) -> tuple[list[subprocess.Popen], str]:
    use_system = which == "system" or (which == "auto" and _system_servers_available())
    if which == "system" and not _system_servers_available():
        raise LabError("--servers system needs dnsmasq and nginx (Debian: apt-get install dnsmasq nginx)")
    procs: list[subprocess.Popen] = []
    if use_system:
        procs.append(_dnsmasq(lab, workdir))
        procs.append(_nginx(lab, workdir))
        _wait_tcp(lab, "web", WEB4, 80, procs[-1], "nginx")
        _wait_dns(lab, procs[0], env)
        return procs, "dnsmasq and nginx"
    py = sys.executable
    dns_args = ["--dns", f"{DNS4}:53", "--a", WEB4, "--aaaa", WEB6 if lab.ipv6 else ""]
    if lab.ipv6:
        dns_args += ["--dns", f"[{DNS6}]:53"]
    web_args = ["--http", f"{WEB4}:80"] + (["--http", f"[{WEB6}]:80"] if lab.ipv6 else [])
    for role, args in (("dns", dns_args), ("web", web_args)):
        proc = lab.popen(role, [py, "-m", "analyzer.demo.server", *args], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
        procs.append(proc)
        wait_for_line(proc, proc.stdout, "ready", 20, f"the {role} server")
    return procs, "the project's own (python -m analyzer.demo.server)"


def _dnsmasq(lab: Lab, workdir: Path) -> subprocess.Popen:
    argv = ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
            f"--listen-address={DNS4}", "--except-interface=lo", "--user=root", "--group=root",
            f"--pid-file={workdir / 'dnsmasq.pid'}", "--log-facility=-",
            f"--host-record=www.example.test,{WEB4}" + (f",{WEB6}" if lab.ipv6 else ""),
            f"--host-record=mail.example.test,{WEB4}", "--cname=web.example.test,www.example.test",
            "--mx-host=example.test,mail.example.test,10", "--auth-zone=example.test",
            "--txt-record=big.example.test," + ",".join(f"v=demo{i} this record is long so the answer does not "
                                                          f"fit 512 bytes of UDP" for i in range(8))]
    if lab.ipv6:
        argv.append(f"--listen-address={DNS6}")
    return lab.popen("dns", argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _nginx(lab: Lab, workdir: Path) -> subprocess.Popen:
    from analyzer.demo.site import write_site

    root = workdir / "site"
    root.mkdir(exist_ok=True)
    write_site(root)
    listen = f"listen {WEB4}:80;" + (f" listen [{WEB6}]:80;" if lab.ipv6 else "")
    conf = workdir / "nginx.conf"
    conf.write_text(f"""daemon off;
master_process off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/body; proxy_temp_path {workdir}/proxy; fastcgi_temp_path {workdir}/fcgi;
  uwsgi_temp_path {workdir}/uwsgi; scgi_temp_path {workdir}/scgi;
  types {{ text/html html; text/css css; text/javascript js; image/png png; }}
  server {{ {listen} root {root}; index index.html; keepalive_timeout 15; }}
}}
""")
    return lab.popen("web", ["nginx", "-c", str(conf), "-p", str(workdir)], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)


def _wait_tcp(lab: Lab, role: str, addr: str, port: int, proc: subprocess.Popen, what: str) -> None:
    probe = f"import socket; socket.create_connection(('{addr}', {port}), timeout=0.5).close()"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LabError(f"{what} exited at once ({proc.returncode})")
        if lab.run(role, [sys.executable, "-c", probe]).returncode == 0:
            return
        time.sleep(0.1)
    raise LabError(f"{what} did not start listening on {addr}:{port}")


def _wait_dns(lab: Lab, proc: subprocess.Popen, env: dict) -> None:
    probe = (f"from analyzer.demo.dns import query; import sys; "
             f"sys.exit(0 if query('{DNS4}', 'www.example.test', 'A', timeout=0.3, retries=0).rcode == 0 else 1)")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LabError(f"dnsmasq exited at once ({proc.returncode})")
        if lab.run("dns", [sys.executable, "-c", probe], env=env).returncode == 0:
            return
        time.sleep(0.1)
    raise LabError("dnsmasq did not answer")


# -- the run -------------------------------------------------------------------------------------------------

def run_lab(save: str | None = None, loss: float | None = None, short: bool = False, ipv6: bool = False,
            what: str = "page", servers: str = "auto", log: Callable[[str], None] = print,
            capture_backend: str = "scapy") -> LabResult:
    ok, why = ip_netns_works()
    if not ok:
        raise LabError(why)
    path = save
    if path is None:
        fd, path = tempfile.mkstemp(prefix="analyzer-lab-", suffix=".pcapng")
        os.close(fd)
    path = os.path.abspath(path)
    res = LabResult(path)
    env = python_env()
    lab = Lab()
    procs: list[subprocess.Popen] = []
    cap = None
    workdir = Path(tempfile.mkdtemp(prefix="analyzer-lab-"))
    try:
        lab.create()
        res.namespaces = list(lab.made)
        if ipv6 and not lab.ipv6:
            raise LabError("IPv6 is disabled in this kernel")
        log(f"namespaces: {', '.join(lab.made)}")
        log(f"client 192.0.2.10 (2001:db8:1::10) -> router 192.0.2.1 | 198.51.100.1 -> dns {DNS4}, web {WEB4}")
        if loss:
            res.loss_method = add_loss(lab, loss)
            log(f"loss: {res.loss_method}")
        procs, res.servers = start_servers(lab, servers, workdir, env)
        log(f"servers: {res.servers}")
        cap = lab.popen("client", [sys.executable, "-m", "analyzer", "capture", "-i", CLIENT_IFACE,
                                   "--backend", capture_backend, "-w", path],
                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_line(cap, cap.stderr, "capturing on", 20, "the capture")
        log(f"capturing on the client's {CLIENT_IFACE} -> {path}")
        client = [sys.executable, "-m", "analyzer.demo.client", "--dns", DNS6 if ipv6 else DNS4]
        if what == "dns-mix":
            client.append("--dns-mix")
        elif what == "refused":
            client += ["--port", "81"]          # nothing listens there: the server's kernel answers RST
        else:
            client += ["--port", "80"] + (["--short"] if short else []) + (["-6"] if ipv6 else [])
        r = lab.run("client", client, timeout=90, env=env)
        res.client_output = (r.stdout + r.stderr).strip()
        res.client_ok = r.returncode == 0
        for line in res.client_output.splitlines():
            log(f"client: {line}")
        time.sleep(SETTLE_S)
    finally:
        try:
            if cap is not None:
                stop_process(cap, signal.SIGINT, 10)
                tail = cap.stderr.read().decode(errors="replace") if cap.stderr else ""
                res.capture_summary = next((ln for ln in reversed(tail.splitlines()) if "captured" in ln), "")
                if cap.stderr:
                    cap.stderr.close()
            for p in reversed(procs):
                stop_process(p)
                if p.stdout:
                    p.stdout.close()
        finally:
            problems = lab.destroy()
            shutil.rmtree(workdir, ignore_errors=True)
            for p in problems:
                log(f"warning: {p}")
    return res
