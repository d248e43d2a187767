"""``analyzer lab``: build the namespaces, start the servers, capture, fetch, tear everything down.

Order of events, each undone in ``finally`` in reverse whatever happens (an error, Ctrl-C, SIGTERM):

1. the namespaces and links of the chosen topology (:mod:`analyzer.lab.topology`);
2. on the router: masquerade (``--nat``: nftables ``masquerade``, ``masquerade random`` with ``nat_random``)
   and loss when asked (nftables ``numgen random`` on forwarded TCP; else ``tc netem``; else iptables
   ``statistic``; else a clear error naming what to install);
3. the servers: dnsmasq and nginx when installed (and ``servers`` allows), else the project's own
   (``python -m analyzer.demo.server``, ``python -m analyzer.lab.https_server``); each is waited for, and
   one that fails is reported with its own error output;
4. the captures: ``python -m analyzer capture -i IFACE -w FILE`` in each namespace the topology captures
   in (the client; the router's inside and outside; the observer), all started and waited for before the
   client runs — the neighbour caches are empty, so the first packet asks for the next hop's MAC;
5. the client: ``python -m analyzer.demo.client`` (resolve through the DNS server, fetch the page), or
   curl with ``SSLKEYLOGFILE`` for ``--https``; with ``--nat`` two ICMP echoes too (:mod:`analyzer.lab.ping`);
6. a short settle, SIGINT to the captures (each closes its file and prints its count), the servers stop,
   the namespaces are deleted; then what the captures show about the path (:mod:`analyzer.lab.path`).
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

from analyzer.lab.topology import NAT_OUTSIDE4, TOPOLOGIES, Lab, LabError, ip_netns_works

SETTLE_S = 0.5
WHAT = ("page", "dns-mix", "refused")
NAME = "www.example.test"


@dataclass
class LabResult:
    capture_path: str                                     # the first capture (the client's, or the inside)
    captures: dict[str, str] = field(default_factory=dict)   # label -> path, in the topology's order
    client_output: str = ""
    client_ok: bool = False
    capture_summary: str = ""
    capture_summaries: dict[str, str] = field(default_factory=dict)
    servers: str = ""
    loss_method: str = ""
    nat: str = ""
    keylog_path: str = ""
    namespaces: list[str] = field(default_factory=list)
    path_lines: list[str] = field(default_factory=list)   # what the captures show about the path (TTL, ...)


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


def capture_paths(save: str | None, labels: list[str], suffix: str = ".pcapng") -> dict[str, str]:
    """Where each capture goes: ``save`` itself for one capture; FILE-label.ext for several
    (``nat.pcapng`` -> ``nat-inside.pcapng``, ``nat-outside.pcapng``); temporary files without ``save``."""
    if save is None:
        out = {}
        for label in labels:
            fd, path = tempfile.mkstemp(prefix=f"analyzer-lab-{label}-", suffix=suffix)
            os.close(fd)
            out[label] = path
        return out
    save = os.path.abspath(save)
    if len(labels) == 1:
        return {labels[0]: save}
    stem, ext = os.path.splitext(save)
    return {label: f"{stem}-{label}{ext or suffix}" for label in labels}


# -- the router: masquerade and loss ------------------------------------------------------------------------

def add_nat(lab: Lab, random_ports: bool) -> str:
    """Masquerade what leaves the home router's outside interface; the rule, as nft lists it."""
    if not shutil.which("nft"):
        raise LabError("--nat needs nftables on the router (Debian: apt-get install nftables)")
    rule = 'oifname "wan0" masquerade' + (" random" if random_ports else "")
    rules = ("table ip azlab_nat {\n chain postrouting {\n  type nat hook postrouting priority srcnat; "
             f"policy accept;\n  {rule}\n }}\n}}\n")
    r = subprocess.run(lab.argv("router", ["nft", "-f", "-"]), input=rules, capture_output=True, text=True,
                       check=False)
    if r.returncode != 0:
        raise LabError(f"nft could not add the masquerade rule: {r.stderr.strip()} (the kernel needs nf_nat "
                       "and nft_masq)")
    return (f"nftables on the router: {rule} (source {NAT_OUTSIDE4}, "
            + ("a random source port for every new flow)" if random_ports else "source ports kept when free)"))


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


@dataclass
class Server:
    """A server the lab started: its process and the file its error output goes to (shown if it fails)."""

    name: str
    proc: subprocess.Popen
    log: Path | None = None

    def failure(self) -> str:
        """``name exited (code): what it said``, the server's own words."""
        said = ""
        if self.log is not None and self.log.exists():
            said = self.log.read_text(errors="replace").strip()
        elif self.proc.stdout is not None and self.proc.poll() is not None:
            said = self.proc.stdout.read().decode(errors="replace").strip()
        said = " | ".join(line.strip() for line in said.splitlines()[-6:] if line.strip())
        return f"{self.name} exited ({self.proc.returncode})" + (f": {said}" if said else " and said nothing")


def start_servers(lab: Lab, which: str, workdir: Path, env: dict, https: bool = False) -> tuple[list[Server], str]:
    use_system = which == "system" or (which == "auto" and _system_servers_available())
    if which == "system" and not _system_servers_available():
        missing = " and ".join(n for n in ("dnsmasq", "nginx") if not shutil.which(n))
        raise LabError(f"--servers system needs {missing} (Debian: apt-get install dnsmasq-base nginx-light)")
    servers: list[Server] = []
    web4 = lab.host("web")
    if https:
        from analyzer.lab.tls import write_certificate

        write_certificate(workdir, NAME)
    if use_system:
        servers.append(_dnsmasq(lab, workdir))
        _wait_dns(lab, servers[-1], env)
        servers.append(_nginx(lab, workdir, https))
        _wait_tcp(lab, "web", web4, 443 if https else 80, servers[-1])
        return servers, "dnsmasq and nginx" + (" (TLS, a self-signed certificate)" if https else "")
    py = sys.executable
    dns_args = ["--dns", f"{lab.host('dns')}:53", "--a", web4, "--aaaa", lab.host("web", True) if lab.ipv6 else ""]
    if lab.ipv6:
        dns_args += ["--dns", f"[{lab.host('dns', True)}]:53"]
    web_args = ["--http", f"{web4}:80"] + (["--http", f"[{lab.host('web', True)}]:80"] if lab.ipv6 else [])
    for role, module, args in (("dns", "analyzer.demo.server", dns_args), ("web", "analyzer.demo.server", web_args)):
        proc = lab.popen(role, [py, "-m", module, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        servers.append(Server(f"the {role} server", proc))
        wait_for_line(proc, proc.stdout, "ready", 20, f"the {role} server")
    if https:
        listen = ["--listen", f"{web4}:443"] + (["--listen", f"[{lab.host('web', True)}]:443"] if lab.ipv6 else [])
        proc = lab.popen("web", [py, "-m", "analyzer.lab.https_server", *listen,
                                 "--cert", str(workdir / "cert.pem"), "--key", str(workdir / "key.pem")],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        servers.append(Server("the HTTPS server", proc))
        wait_for_line(proc, proc.stdout, "ready", 20, "the HTTPS server")
    return servers, "the project's own (python -m analyzer.demo.server" + (
        ", python -m analyzer.lab.https_server)" if https else ")")


def _dnsmasq(lab: Lab, workdir: Path) -> Server:
    """dnsmasq as the zone's authoritative server: ``--auth-zone`` makes it answer NXDOMAIN with the SOA for
    a name it does not have, and dnsmasq (2.90) requires ``--auth-server`` beside it (the zone's NS name and
    the address it answers authoritatively on)."""
    dns4, web4 = lab.host("dns"), lab.host("web")
    argv = ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
            f"--listen-address={dns4}", "--except-interface=lo", "--user=root", "--group=root",
            f"--pid-file={workdir / 'dnsmasq.pid'}", "--log-facility=-",
            f"--host-record={NAME},{web4}" + (f",{lab.host('web', True)}" if lab.ipv6 else ""),
            f"--host-record=mail.example.test,{web4}", f"--cname=web.example.test,{NAME}",
            "--mx-host=example.test,mail.example.test,10", "--auth-zone=example.test",
            f"--auth-server=ns.example.test,{dns4}" + (f",{lab.host('dns', True)}" if lab.ipv6 else ""),
            "--txt-record=big.example.test," + ",".join(f"v=demo{i} this record is long so the answer does not "
                                                          f"fit 512 bytes of UDP" for i in range(8))]
    if lab.ipv6:
        argv.append(f"--listen-address={lab.host('dns', True)}")
    log = workdir / "dnsmasq.stderr"
    with log.open("wb") as err:
        proc = lab.popen("dns", argv, stdout=subprocess.DEVNULL, stderr=err)
    return Server("dnsmasq", proc, log)


def _nginx(lab: Lab, workdir: Path, https: bool) -> Server:
    from analyzer.demo.site import write_site

    root = workdir / "site"
    root.mkdir(exist_ok=True)
    write_site(root)
    web4 = lab.host("web")
    listen = f"listen {web4}:80;" + (f" listen [{lab.host('web', True)}]:80;" if lab.ipv6 else "")
    if https:
        listen += f" listen {web4}:443 ssl;" + (f" listen [{lab.host('web', True)}]:443 ssl;" if lab.ipv6 else "")
        listen += (f" ssl_certificate {workdir}/cert.pem; ssl_certificate_key {workdir}/key.pem;"
                   " ssl_protocols TLSv1.2 TLSv1.3;")
    conf = workdir / "nginx.conf"
    conf.write_text(f"""daemon off;
master_process off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log stderr;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/body; proxy_temp_path {workdir}/proxy; fastcgi_temp_path {workdir}/fcgi;
  uwsgi_temp_path {workdir}/uwsgi; scgi_temp_path {workdir}/scgi;
  types {{ text/html html; text/css css; text/javascript js; image/png png; }}
  server {{ {listen} server_name {NAME}; root {root}; index index.html; keepalive_timeout 15; }}
}}
""")
    log = workdir / "nginx.stderr"
    with log.open("wb") as err:
        # -e: the error log before the configuration is read (nginx 1.19.5+) goes to stderr too
        proc = lab.popen("web", ["nginx", "-e", "stderr", "-c", str(conf), "-p", str(workdir)],
                         stdout=subprocess.DEVNULL, stderr=err)
    return Server("nginx", proc, log)


def _wait_tcp(lab: Lab, role: str, addr: str, port: int, server: Server) -> None:
    probe = f"import socket; socket.create_connection(('{addr}', {port}), timeout=0.5).close()"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise LabError(server.failure())
        if lab.run(role, [sys.executable, "-c", probe]).returncode == 0:
            return
        time.sleep(0.1)
    raise LabError(f"{server.name} did not start listening on {addr}:{port}")


def _wait_dns(lab: Lab, server: Server, env: dict) -> None:
    probe = (f"from analyzer.demo.dns import query; import sys; "
             f"sys.exit(0 if query('{lab.host('dns')}', '{NAME}', 'A', timeout=0.3, retries=0).rcode == 0 else 1)")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise LabError(server.failure())
        if lab.run("dns", [sys.executable, "-c", probe], env=env).returncode == 0:
            return
        time.sleep(0.1)
    raise LabError(f"{server.name} did not answer")


# -- the client ----------------------------------------------------------------------------------------------

def _client_argv(lab: Lab, what: str, short: bool, ipv6: bool, lossy: bool = False) -> list[str]:
    client = [sys.executable, "-m", "analyzer.demo.client", "--dns", lab.host("dns", ipv6)]
    if lossy:
        # a dropped SYN waits 1, 2, 4 s before each retry and a dropped segment doubles its RTO: a few losses
        # in a row outlast the usual 10 s, which is not the failure the lab is there to show
        client += ["--timeout", "40"]
    if what == "dns-mix":
        client.append("--dns-mix")
    elif what == "refused":
        client += ["--port", "81"]          # nothing listens there: the server's kernel answers RST
    else:
        client += ["--port", "80"] + (["--short"] if short else []) + (["-6"] if ipv6 else [])
    return client


def _https_client(lab: Lab, workdir: Path, keylog: str, env: dict, ipv6: bool) -> subprocess.CompletedProcess:
    """curl (or, without it, Python's ssl) fetches the page and its three resources over one TLS connection,
    writing its TLS secrets to ``keylog`` (SSLKEYLOGFILE); the name is resolved through the lab's DNS server
    (``/etc/netns/NS/resolv.conf``, which ``ip netns exec`` puts in place of /etc/resolv.conf)."""
    client_env = dict(env, SSLKEYLOGFILE=keylog)
    cafile = str(workdir / "cert.pem")
    urls = [f"https://{NAME}{p}" for p in ("/", "/style.css", "/app.js", "/logo.png")]
    if shutil.which("curl"):
        argv = ["curl", "-sS", "-6" if ipv6 else "-4", "--http1.1", "--cacert", cafile, "--max-time", "20",
                "-w", "%{url_effective} %{http_code} %{size_download} bytes\n"]
        for url in urls:
            argv += [url, "-o", "/dev/null"]
        return lab.run("client", argv, timeout=60, env=client_env)
    return lab.run("client", [sys.executable, "-m", "analyzer.lab.https_client", "--cafile", cafile,
                              *(["-6"] if ipv6 else []), *urls],
                   timeout=60, env=client_env)


# -- the run -------------------------------------------------------------------------------------------------

def run_lab(save: str | None = None, loss: float | None = None, short: bool = False, ipv6: bool = False,
            what: str = "page", servers: str = "auto", log: Callable[[str], None] = print,
            capture_backend: str = "scapy", topology: str = "internet", nat_random: bool = False,
            https: bool = False) -> LabResult:
    """Build ``topology`` (see :data:`analyzer.lab.topology.TOPOLOGIES`), run the fetch, capture it; the result
    (capture files, what the client said, the path as the captures show it). Nothing is left behind."""
    ok, why = ip_netns_works()
    if not ok:
        raise LabError(why)
    topo = TOPOLOGIES[topology]
    if ipv6 and not topo.ipv6:
        raise LabError(f"-6 works with the default topology only (the {topology} lab is IPv4)")
    if https and what != "page":
        raise LabError("--https fetches the page; it does not combine with --what")
    if save and not os.path.isdir(os.path.dirname(os.path.abspath(save))):
        raise LabError(f"{save}: cannot save there: the folder {os.path.dirname(os.path.abspath(save))} does not exist")
    suffix = os.path.splitext(save)[1] if save else ".pcapng"
    paths = capture_paths(save, [c.label for c in topo.captures], suffix or ".pcapng")
    # the capture the timeline is printed from: the client's view (the inside, with --nat)
    res = LabResult(capture_path=paths.get("client") or next(iter(paths.values())), captures=paths)
    if https:
        if save:
            res.keylog_path = os.path.splitext(os.path.abspath(save))[0] + ".keys"
        else:
            fd, res.keylog_path = tempfile.mkstemp(prefix="analyzer-lab-", suffix=".keys")
            os.close(fd)
        Path(res.keylog_path).write_bytes(b"")       # curl appends: start from an empty file
    env = python_env()
    lab = Lab(topology=topo)
    started: list[Server] = []
    caps: dict[str, subprocess.Popen] = {}
    workdir = Path(tempfile.mkdtemp(prefix="analyzer-lab-"))
    netns_etc: Path | None = None
    sent_ttl: dict[str, int] = {}
    macs: dict[str, str] = {}
    completed = False
    try:
        lab.create()
        res.namespaces = list(lab.made)
        if ipv6 and not lab.ipv6:
            raise LabError("IPv6 is disabled in this kernel")
        log(f"namespaces: {', '.join(lab.made)}")
        log(f"topology: {topo.name}: {topo.description}")
        if topology == "nat":
            res.nat = add_nat(lab, nat_random)
            log(f"nat: {res.nat}")
        if loss:
            res.loss_method = add_loss(lab, loss)
            log(f"loss: {res.loss_method}")
        started, res.servers = start_servers(lab, servers, workdir, env, https=https)
        log(f"servers: {res.servers}")
        for cap in topo.captures:
            proc = lab.popen(cap.role, [sys.executable, "-m", "analyzer", "capture", "-i", cap.iface,
                                        "--backend", capture_backend, "-w", paths[cap.label]],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            caps[cap.label] = proc
        for cap in topo.captures:
            wait_for_line(caps[cap.label], caps[cap.label].stderr, "capturing on", 20, f"the capture on {cap.what}")
            log(f"capturing on {cap.what} -> {paths[cap.label]}")
        if https:
            netns_etc = Path("/etc/netns") / lab.ns("client")
            netns_etc.mkdir(parents=True, exist_ok=True)
            (netns_etc / "resolv.conf").write_text(f"nameserver {lab.host('dns')}\noptions timeout:2 attempts:2\n")
            r = _https_client(lab, workdir, res.keylog_path, env, ipv6)
        else:
            r = lab.run("client", _client_argv(lab, what, short, ipv6, bool(loss)),
                        timeout=180 if loss else 90, env=env)
        res.client_output = (r.stdout + r.stderr).strip()
        res.client_ok = r.returncode == 0
        if topology == "nat":
            p = lab.run("client", [sys.executable, "-m", "analyzer.lab.ping", lab.host("web"), "--count", "2"],
                        timeout=20, env=env)
            res.client_output += "\n" + (p.stdout + p.stderr).strip()
            res.client_ok = res.client_ok and p.returncode == 0
        for line in res.client_output.splitlines():
            log(f"client: {line}")
        for role in topo.roles:           # what each host sends with, for the TTL sentences
            t = lab.run(role, ["cat", "/proc/sys/net/ipv4/ip_default_ttl"])
            if t.stdout.strip().isdigit():
                sent_ttl[role] = int(t.stdout)
            if lab.ipv6:
                t = lab.run(role, ["cat", "/proc/sys/net/ipv6/conf/eth0/hop_limit"])
                if t.stdout.strip().isdigit():
                    sent_ttl[f"{role}6"] = int(t.stdout)
            m = lab.run(role, ["cat", "/sys/class/net/eth0/address"])
            if m.returncode == 0:
                macs[role] = m.stdout.strip()
        time.sleep(SETTLE_S)
        completed = True
    finally:
        try:
            for label, proc in caps.items():
                stop_process(proc, signal.SIGINT, 10)
                tail = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                res.capture_summaries[label] = next((ln for ln in reversed(tail.splitlines()) if "captured" in ln), "")
                if proc.stderr:
                    proc.stderr.close()
            res.capture_summary = next(iter(res.capture_summaries.values()), "")
            for server in reversed(started):
                stop_process(server.proc)
                if server.proc.stdout:
                    server.proc.stdout.close()
        finally:
            problems = lab.destroy()
            if netns_etc is not None:
                shutil.rmtree(netns_etc, ignore_errors=True)
            shutil.rmtree(workdir, ignore_errors=True)
            for p in problems:
                log(f"warning: {p}")
            if not completed and save is None:      # failed or interrupted: no temporary file stays behind
                for path in [*paths.values(), res.keylog_path]:
                    if path and os.path.exists(path):
                        os.unlink(path)
    from analyzer.lab.path import describe_path

    try:
        res.path_lines = describe_path(topo, res.captures, sent_ttl, macs, ipv6=ipv6)
    except Exception as exc:  # noqa: BLE001 - the captures are kept; the summary is a courtesy
        res.path_lines = [f"(the path could not be read from the captures: {type(exc).__name__}: {exc})"]
    return res
