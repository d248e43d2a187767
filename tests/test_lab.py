"""``analyzer lab`` in network namespaces (root, ``ip netns``): skipped with the reason where it cannot run.

Each run builds four namespaces, so each test takes a few seconds; all of them check that no namespace of
the run is left behind.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.lab.topology import PREFIX, ip_netns_works, list_lab_namespaces

ROOT = Path(__file__).resolve().parent.parent
_ok, _why = ip_netns_works() if shutil.which("ip") else (False, "the ip command is missing")
pytestmark = pytest.mark.skipif(not _ok, reason=f"the lab cannot run here: {_why}")


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return e


def lab(*args: str, timeout: float = 150) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", "lab", "--servers", "project", *args], env=env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


def namespaces_of(output: str) -> list[str]:
    line = next((ln for ln in output.splitlines() if ln.startswith("namespaces: ")), "")
    return [n.strip() for n in line.removeprefix("namespaces: ").split(",") if n.strip()]


def tshark(path: Path, fields: list[str], display_filter: str = "") -> list[list[str]]:
    argv = ["tshark", "-r", str(path), "-T", "fields", "-E", "separator=|"]
    if display_filter:
        argv += ["-Y", display_filter]
    for f in fields:
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout
    return [line.split("|") for line in out.splitlines()]


def frames(path: Path) -> list:
    with open_capture(path) as reader:
        got = list(reader)
        assert not reader.warnings
    return got


def test_lab_page_fetch(tmp_path):
    save = tmp_path / "lab.pcapng"
    r = lab("--save", str(save))
    assert r.returncode == 0, r.stdout + r.stderr
    made = namespaces_of(r.stdout)
    assert len(made) == 4 and all(n.startswith(PREFIX) for n in made)
    assert not set(made) & set(list_lab_namespaces())          # every namespace it made is gone
    assert "client: www.example.test -> 198.51.100.80" in r.stdout
    assert "== timeline" in r.stdout
    got = frames(save)
    arp = [f for f in got if f.data[12:14] == b"\x08\x06"]
    assert arp and arp[0].data[38:42] == bytes([192, 0, 2, 1])   # who has the gateway?
    if shutil.which("tshark"):
        rows = tshark(save, ["ip.src", "ip.ttl", "dns.qry.name", "http.request.uri", "tcp.flags.fin"], "ip")
        ttl_from = {(row[0], row[1]) for row in rows}
        assert ("198.51.100.80", "63") in ttl_from and ("192.0.2.10", "64") in ttl_from   # one hop: TTL - 1
        first_web = tshark(save, ["frame.number"], "ip.src==198.51.100.80")[0][0]
        assert (f"TTL: the web server 198.51.100.80 sends with 64 (its net.ipv4.ip_default_ttl); its packets reach "
                f"the client with 63 (frame {first_web},") in r.stdout
        assert "1 router on the way, it took 1" in r.stdout
        assert any(row[2] == "www.example.test" for row in rows)
        assert [row[3] for row in rows if row[3]] == ["/", "/style.css", "/app.js", "/logo.png"]
        assert {row[0] for row in rows if row[4] in ("1", "True")} == {"192.0.2.10", "198.51.100.80"}


def test_lab_ipv6_and_refused(tmp_path):
    v6 = tmp_path / "v6.pcapng"
    r = lab("-6", "--save", str(v6), "--no-timeline")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "-> 2001:db8:2::80" in r.stdout
    assert any(f.data[12:14] == b"\x86\xdd" and f.data[20] == 6 for f in frames(v6))     # TCP over IPv6
    if shutil.which("tshark"):
        hlim = tshark(v6, ["frame.number", "ipv6.hlim"], "ipv6.src==2001:db8:2::80")[0]
        assert f"its packets reach the client with {hlim[1]} (frame {hlim[0]}," in r.stdout
    refused = tmp_path / "refused.pcap"
    r = lab("--what", "refused", "--save", str(refused), "--no-timeline")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "refused" in r.stdout
    rst = [f for f in frames(refused) if f.data[12:14] == b"\x08\x00" and f.data[23] == 6 and f.data[47] & 0x04]
    assert rst


@pytest.mark.skipif(not (shutil.which("nft") or shutil.which("iptables")),
                    reason="--loss needs nftables or iptables on this machine (Debian: apt-get install nftables)")
def test_lab_loss_shows_retransmissions(tmp_path):
    save = tmp_path / "lossy.pcapng"
    for _attempt in range(3):                  # random loss: a run may, rarely, lose nothing
        r = lab("--loss", "25", "--save", str(save), "--no-timeline", timeout=240)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "loss: " in r.stdout
        if not shutil.which("tshark"):
            return
        if tshark(save, ["frame.number"], "tcp.analysis.retransmission"):
            return
    pytest.fail("three lossy runs and not one retransmission")


@pytest.mark.parametrize(("topology", "sig"), [((), signal.SIGTERM), (("--nat",), signal.SIGINT)])
def test_lab_removes_namespaces_on_sigterm(tmp_path, topology, sig):
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "lab", *topology, "--servers", "project", "--save",
                             str(tmp_path / "x.pcapng")], env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    made: list[str] = []
    try:
        seen = b""
        deadline = time.monotonic() + 60
        while b"servers:" not in seen and time.monotonic() < deadline:
            if select.select([proc.stdout], [], [], 0.2)[0]:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
        made = namespaces_of(seen.decode())
        assert made, seen
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode in (0, 130), err
    assert not set(made) & set(list_lab_namespaces())


def test_cleanup_removes_namespaces_of_dead_labs():
    name = f"{PREFIX}999999999-client"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    etc = Path("/etc/netns") / name             # what a killed --https lab leaves for ip netns exec
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "resolv.conf").write_text("nameserver 198.51.100.53\n")
    try:
        r = subprocess.run([sys.executable, "-m", "analyzer", "lab", "--cleanup"], env=env(), capture_output=True,
                           text=True, timeout=60, check=False)
        assert r.returncode == 0
        assert name in r.stdout
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)
    assert name not in list_lab_namespaces()
    assert not etc.exists()


@pytest.mark.skipif(not shutil.which("nft"), reason="--nat needs nftables (Debian: apt-get install nftables)")
@pytest.mark.skipif(not shutil.which("tshark"), reason="tshark is not installed (the oracle for the captures)")
def test_lab_nat_random_two_sides(tmp_path):
    r = lab("--nat-random", "--save", str(tmp_path / "nat.pcapng"))
    assert r.returncode == 0, r.stdout + r.stderr
    made = namespaces_of(r.stdout)
    assert len(made) == 5 and not set(made) & set(list_lab_namespaces())
    inside, outside = tmp_path / "nat-inside.pcapng", tmp_path / "nat-outside.pcapng"
    fields = ["frame.interface_name", "ip.src", "ip.ttl", "tcp.srcport", "tcp.seq_raw", "tcp.flags.syn",
              "tcp.flags.ack"]
    rows_in = tshark(inside, fields, "ip.src==10.0.0.10")
    rows_out = tshark(outside, fields, "ip.src==203.0.113.2")
    assert rows_in and len(rows_in) == len(rows_out)
    assert {row[0] for row in rows_in} == {"lan0"} and {row[0] for row in rows_out} == {"wan0"}
    assert not tshark(outside, ["frame.number"], "ip.addr==10.0.0.10")       # never leaves the home network
    syn_in = next(row for row in rows_in if row[5] in ("1", "True") and row[6] in ("0", "False"))
    syn_out = next(row for row in rows_out if row[5] in ("1", "True") and row[6] in ("0", "False"))
    assert syn_in[4] == syn_out[4] and syn_in[3] != syn_out[3]         # same ISN, a new source port
    ttl_in, ttl_out = syn_in[2], syn_out[2]
    assert f"TTL, client -> web: {ttl_in} on the router's inside" in r.stdout
    assert f"{ttl_out} on its outside (wan0" in r.stdout and f"the router took {int(ttl_in) - int(ttl_out)}" in r.stdout
    assert f"next: analyzer nat {inside} {outside}" in r.stdout
    timeline = r.stdout.split(f"== timeline (analyzer timeline {inside} {outside})\n", 1)[1]
    assert f"203.0.113.2:{syn_out[3]}" in timeline.replace("\n", " ")      # the fetch told with its outside view


SYSTEM = shutil.which("dnsmasq") and shutil.which("nginx")
needs_system = pytest.mark.skipif(not SYSTEM, reason="dnsmasq and nginx are not installed (Debian: apt-get install "
                                                     "dnsmasq-base nginx-light); the project's own servers are "
                                                     "tested above")


def system_lab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", "lab", "--servers", "system", *args], env=env(),
                          capture_output=True, text=True, timeout=150, check=False)


@needs_system
@pytest.mark.skipif(not shutil.which("tshark"), reason="tshark is not installed (the oracle for the captures)")
def test_lab_dnsmasq_and_nginx(tmp_path):
    save = tmp_path / "system.pcapng"
    r = system_lab("--save", str(save), "--no-timeline")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "servers: dnsmasq and nginx" in r.stdout
    assert not set(namespaces_of(r.stdout)) & set(list_lab_namespaces())
    rows = tshark(save, ["dns.a", "dns.flags.authoritative", "http.request.uri", "http.server", "ip.src", "ip.ttl"])
    assert any(row[0] == "198.51.100.80" and row[1] in ("1", "True") for row in rows)    # dnsmasq, authoritative
    assert [row[2] for row in rows if row[2]] == ["/", "/style.css", "/app.js", "/logo.png"]
    assert {row[3].split("/")[0] for row in rows if row[3]} == {"nginx"}
    web_ttl = {row[5] for row in rows if row[4] == "198.51.100.80"}
    assert len(web_ttl) == 1
    ttl = web_ttl.pop()
    assert f"reach the client with {ttl} " in r.stdout and f"sends with {int(ttl) + 1} " in r.stdout


@needs_system
@pytest.mark.skipif(not shutil.which("tshark"), reason="tshark is not installed (the oracle for the captures)")
def test_lab_dns_mix_on_dnsmasq(tmp_path):
    save = tmp_path / "mix.pcapng"
    r = system_lab("--what", "dns-mix", "--save", str(save), "--no-timeline")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = tshark(save, ["dns.qry.name", "dns.flags.rcode", "dns.flags.truncated", "tcp.stream"], "dns.flags.response==1")
    assert any(row[0] == "nosuch.example.test" and row[1] == "3" for row in rows)           # NXDOMAIN
    assert any(row[0] == "big.example.test" and row[2] in ("1", "True") for row in rows)   # truncated over UDP
    assert any(row[0] == "big.example.test" and row[3] for row in rows)                     # asked again over TCP


@pytest.mark.parametrize("servers", ["project", pytest.param("system", marks=needs_system)])
@pytest.mark.skipif(not shutil.which("tshark"), reason="tshark is not installed (the oracle for the captures)")
def test_lab_https_with_keylog(tmp_path, servers):
    save = tmp_path / "tls.pcapng"
    r = subprocess.run([sys.executable, "-m", "analyzer", "lab", "--https", "--servers", servers, "--save", str(save)],
                       env=env(), capture_output=True, text=True, timeout=150, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    keys = tmp_path / "tls.keys"
    assert keys.exists() and b"CLIENT_HANDSHAKE_TRAFFIC_SECRET" in keys.read_bytes()
    assert not list(Path("/etc/netns").glob(f"{PREFIX}*"))           # the client's resolv.conf is gone
    argv = ["tshark", "-r", str(save), "-o", f"tls.keylog_file:{keys}", "-T", "fields",
            "-e", "tls.handshake.extensions_server_name", "-e", "http.request.uri", "-e", "tcp.dstport"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    assert any(row[0] == "www.example.test" for row in rows)
    assert [row[1] for row in rows if row[1]] == ["/", "/style.css", "/app.js", "/logo.png"]
    assert {row[2] for row in rows if row[1]} == {"443"}
    assert "/style.css" in r.stdout.split("== timeline", 1)[1]            # the timeline decrypted it too


@pytest.mark.skipif(not shutil.which("dnsmasq"), reason="dnsmasq is not installed (Debian: apt-get install dnsmasq-base)")
def test_a_failing_server_is_reported_in_its_own_words(tmp_path):
    from analyzer.lab.run import Server

    log = tmp_path / "dnsmasq.stderr"
    with log.open("wb") as err:
        proc = subprocess.Popen(["dnsmasq", "--keep-in-foreground", "--no-such-option"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
    proc.wait(10)
    said = log.read_text().strip().splitlines()[-1]
    assert said and proc.returncode != 0
    assert Server("dnsmasq", proc, log).failure() == f"dnsmasq exited ({proc.returncode}): {said}"


def _frames_of(path: Path, display_filter: str) -> list[str]:
    return [row[0] for row in tshark(path, ["frame.number"], display_filter)]


@pytest.mark.skipif(not shutil.which("tshark"), reason="tshark is not installed (the oracle for the captures)")
def test_lab_same_subnet_asks_arp_for_the_server_itself(tmp_path):
    save = tmp_path / "lan.pcapng"
    r = lab("--same-subnet", "--save", str(save), "--no-timeline")
    assert r.returncode == 0, r.stdout + r.stderr
    made = namespaces_of(r.stdout)
    assert len(made) == 4 and not set(made) & set(list_lab_namespaces())
    asked = tshark(save, ["frame.number", "arp.dst.proto_ipv4"], "arp.opcode==1 and arp.src.proto_ipv4==192.0.2.10")
    assert [row[1] for row in asked] == ["192.0.2.53", "192.0.2.80"]       # the servers, no gateway
    said = ", ".join(f"{row[1]} ({role}, frame {row[0]})" for row, role in zip(asked, ("dns", "web")))
    assert f"ARP: the client asked who has {said}: the servers are on the client's own subnet" in r.stdout
    ttl = {row[0] for row in tshark(save, ["ip.ttl"], "ip.src==192.0.2.80")}
    assert ttl == {"64"} and "reach the client with 64 " in r.stdout and "no router on the way" in r.stdout


@pytest.mark.skipif(not shutil.which("tshark"), reason="tshark is not installed (the oracle for the captures)")
@pytest.mark.parametrize("kind", ["hub", "switch"])
def test_lab_hub_floods_switch_does_not(tmp_path, kind):
    r = lab(f"--{kind}", "--save", str(tmp_path / f"{kind}.pcapng"), "--no-timeline")
    assert r.returncode == 0, r.stdout + r.stderr
    made = namespaces_of(r.stdout)
    assert len(made) == 5 and not set(made) & set(list_lab_namespaces())
    observer, client = tmp_path / f"{kind}-observer.pcapng", tmp_path / f"{kind}-client.pcapng"
    others = "eth.dst.ig==0 and not ip.addr==192.0.2.99"
    seen = _frames_of(observer, others)
    sent = _frames_of(client, "eth.dst.ig==0")
    broadcast = _frames_of(observer, "eth.dst==ff:ff:ff:ff:ff:ff")
    arp = _frames_of(observer, "eth.dst==ff:ff:ff:ff:ff:ff and arp.opcode==1")
    multicast = _frames_of(observer, "eth.dst.ig==1 and not eth.dst==ff:ff:ff:ff:ff:ff")
    assert broadcast
    # IPv6 link-up traffic (MLD reports, DAD) is multicast; whether it falls inside the capture depends on timing
    flooded = f"{len(broadcast)} broadcast frames" + (" (ARP requests)" if arp == broadcast else "") + \
        (f" and {len(multicast)} multicast frame" if multicast else "")
    if kind == "hub":
        assert len(seen) == len(sent) > 20
        assert f"observer: its eth0 captured {len(seen)} unicast frames between other hosts (first: frame {seen[0]};" \
            in r.stdout
        assert f") and {flooded}" in r.stdout
    else:
        assert seen == [] and len(sent) > 20
        assert f"observer: its eth0 captured no unicast frame between other hosts, only {flooded}" in r.stdout


def test_lab_topology_flags_are_exclusive():
    r = lab("--hub", "--switch")
    assert r.returncode == 2 and "choose one topology: --hub, --switch" in r.stderr
    r = lab("--nat", "--loss", "10")
    assert r.returncode == 2 and "-6 and --loss work with the default topology only" in r.stderr
