"""The demo's own servers and client (no privilege needed), and ``analyzer demo`` end to end (root)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.demo import dns
from analyzer.demo.client import FetchError, fetch, fetch_page, get, subresources
from analyzer.demo.dns import DnsResponder, Zone
from analyzer.demo.http_server import HttpServer

ROOT = Path(__file__).resolve().parent.parent
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="capturing on lo needs root or CAP_NET_RAW")


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["COLUMNS"] = "200"    # the side-by-side tables take their width from here (xdist's workers set 80)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return e


@pytest.fixture
def servers():
    d = DnsResponder(Zone.demo("127.0.0.1", "::1"), "127.0.0.1", 0).start()
    h = HttpServer("127.0.0.1", 0).start()
    yield d, h
    h.stop()
    d.stop()


def port_is_free(port: int) -> bool:
    """No listener holds the port (TIME_WAIT remains of connections the server closed are allowed)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# -- DNS ---------------------------------------------------------------------------------------------------


def test_dns_answers_each_kind(servers):
    d, _h = servers
    a = dns.query("127.0.0.1", "www.example.test", "A", d.port)
    assert a.rcode == 0 and a.values("A") == ["127.0.0.1"]
    assert dns.query("127.0.0.1", "www.example.test", "AAAA", d.port).values("AAAA") == ["::1"]
    cname = dns.query("127.0.0.1", "web.example.test", "A", d.port)
    assert [t for _n, t, _v in cname.records] == ["CNAME", "A"]
    assert cname.values("CNAME") == ["www.example.test"]
    assert dns.query("127.0.0.1", "example.test", "MX", d.port).values("MX") == [(10, "mail.example.test")]
    assert dns.query("127.0.0.1", "nosuch.example.test", "A", d.port).rcode == dns.RCODE_NXDOMAIN
    big = dns.query("127.0.0.1", "big.example.test", "TXT", d.port)   # truncated over UDP, whole over TCP
    assert not big.truncated and len(big.records) == 8


def test_dns_truncates_big_udp_answers():
    zone = Zone.demo()
    reply = zone.answer(dns.build_query(7, "big.example.test", dns.TYPE_TXT), over_udp=True)
    qid, flags, _qd, ancount, _ns, _ar = struct.unpack_from("!6H", reply)
    assert qid == 7 and flags & 0x0200 and ancount == 0 and len(reply) <= 512
    assert zone.answer(reply, over_udp=True) is None          # responses are never answered
    assert zone.answer(b"\x00\x01", over_udp=True) is None


def test_dns_name_pointers_must_point_backwards():
    msg = struct.pack("!6H", 1, 0x8100, 1, 0, 0, 0) + b"\xc0\x0c"      # a pointer to itself
    with pytest.raises(dns.DnsError):
        dns.read_name(msg, 12)


# -- HTTP server and client --------------------------------------------------------------------------------


def test_keepalive_fetch_uses_one_connection(servers):
    d, h = servers
    addr, results = fetch("www.example.test", "127.0.0.1", d.port, h.port)
    assert addr == "127.0.0.1"
    assert [(r.path, r.status, r.connection) for r in results] == [
        ("/", 200, 1), ("/style.css", 200, 1), ("/app.js", 200, 1), ("/logo.png", 200, 1)]
    assert results[3].length > 1000


def test_short_fetch_uses_one_connection_per_request(servers):
    _d, h = servers
    results = fetch_page("127.0.0.1", h.port, short=True)
    assert [r.connection for r in results] == [1, 2, 3, 4]
    assert all(r.status == 200 for r in results)


def test_server_speaks_http11_and_http10(servers):
    _d, h = servers
    with socket.create_connection(("127.0.0.1", h.port), timeout=5) as s:
        # two pipelined requests, then a 404, on one connection; the last asks to close
        s.sendall(b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    text = data.decode("latin-1")
    assert text.count("HTTP/1.1 200 OK") == 2 and "HTTP/1.1 404 Not Found" in text
    assert text.rstrip().endswith("not found")
    assert get("127.0.0.1", h.port, "/app.js").status == 200     # HTTP/1.0: the server closes
    assert h.requests[-1] == ("GET", "/app.js", 200)


@pytest.mark.parametrize("expect_continue", [True, False])
def test_upload_with_expect_100_continue(expect_continue):
    """POST /upload: a head with Expect: 100-continue and no body yet gets 100 Continue first (RFC 9110
    10.1.1), unless the server is told to ignore the expectation; the body then gets 200 with its size."""
    h = HttpServer("127.0.0.1", 0, expect_continue=expect_continue).start()
    try:
        with socket.create_connection(("127.0.0.1", h.port), timeout=5) as s:
            s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
                      b"Connection: close\r\n\r\n")
            s.settimeout(0.5)
            try:
                first = s.recv(65536)
            except TimeoutError:
                first = b""
            s.settimeout(5)
            s.sendall(b"hello")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
    finally:
        h.stop()
    assert first == (b"HTTP/1.1 100 Continue\r\n\r\n" if expect_continue else b"")
    assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"received 5 bytes\n")
    assert h.requests == [("POST", "/upload", 200)]


def test_referer_and_subresources(servers):
    _d, h = servers
    page = get("127.0.0.1", h.port, "/")
    assert page.status == 200
    assert subresources(h.pages["/"][1]) == ["/style.css", "/app.js", "/logo.png"]


def test_refused_connection_is_one_line():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]           # bound, not listening: connecting is refused
        with pytest.raises(FetchError, match="refused"):
            fetch_page("127.0.0.1", port)


def test_servers_stop_and_free_their_ports():
    d = DnsResponder(Zone.demo(), "127.0.0.1", 0).start()
    h = HttpServer("127.0.0.1", 0).start()
    ports = d.port, h.port
    with socket.create_connection(("127.0.0.1", h.port), timeout=5):
        h.stop()
        d.stop()
    assert port_is_free(ports[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind(("127.0.0.1", ports[0]))


def test_server_module_runs_in_foreground_and_stops_on_sigterm():
    proc = subprocess.Popen([sys.executable, "-m", "analyzer.demo.server", "--dns", "127.0.0.1:0", "--http",
                             "127.0.0.1:0"], env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("ready dns=127.0.0.1:") and " http=127.0.0.1:" in line
        http_port = int(line.split("http=127.0.0.1:")[1])
        dns_port = int(line.split("dns=127.0.0.1:")[1].split()[0])
        _addr, results = fetch("www.example.test", "127.0.0.1", dns_port, http_port)
        assert len(results) == 4
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        proc.stdout.close()
        proc.stderr.close()


# -- analyzer demo end to end ------------------------------------------------------------------------------


def run_demo(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", "demo", "--dns-port", "0", "--http-port", "0", *args],
                          env=env(), capture_output=True, text=True, timeout=timeout, check=False)


def tshark_fields(path: Path, fields: list[str], decode_as: list[str]) -> list[list[str]]:
    argv = ["tshark", "-r", str(path), "-T", "fields", "-E", "separator=|"]
    for d in decode_as:
        argv += ["-d", d]
    for f in fields:
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout
    return [line.split("|") for line in out.splitlines()]


def ports_from(output: str) -> tuple[int, int]:
    line = next(ln for ln in output.splitlines() if ln.startswith("DNS responder on"))
    dns_port = int(line.split("port ")[1].split()[0])
    http_port = int(line.rsplit("port ", 1)[1].split()[0])
    return dns_port, http_port


@needs_root
def test_demo_end_to_end(tmp_path):
    save = tmp_path / "demo.pcapng"
    r = run_demo("--save", str(save))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for path in ("/", "/style.css", "/app.js", "/logo.png"):
        assert f"GET {path} 200" in out
    assert "bytes, tcp.stream 0)" in out and "tcp.stream 1)" not in out      # as the timeline numbers it
    assert "== timeline" in out
    with open_capture(save) as reader:
        frames = list(reader)
        assert reader.format == "pcapng" and not reader.warnings
    assert len(frames) >= 3 + 2 + 8 + 3
    assert f"{len(frames)} packets captured on lo, 0 dropped by the kernel; saved to {save}" in out
    if shutil.which("tshark"):
        dns_port, http_port = ports_from(out)
        rows = tshark_fields(save, ["dns.qry.name", "dns.a", "tcp.flags.syn", "http.request.uri", "http.referer",
                                    "tcp.stream"],
                             [f"udp.port=={dns_port},dns", f"tcp.port=={http_port},http"])
        assert any(row[0] == "www.example.test" and row[1] == "127.0.0.1" for row in rows)
        assert [row[3] for row in rows if row[3]] == ["/", "/style.css", "/app.js", "/logo.png"]
        assert [row[4] for row in rows if row[3]][1:] == [f"http://www.example.test:{http_port}/"] * 3
        assert {row[5] for row in rows if row[5]} == {"0"}


@needs_root
def test_demo_short_connections(tmp_path):
    save = tmp_path / "short.pcap"
    r = run_demo("--short", "--save", str(save), "--no-timeline")
    assert r.returncode == 0, r.stderr
    # each request on its own connection, numbered as tcp.stream (as the timeline numbers them)
    assert [f"tcp.stream {n})" in r.stdout for n in range(5)] == [True, True, True, True, False]
    with open_capture(save) as reader:
        assert reader.format == "pcap"
        frames = list(reader)
    syns = [f for f in frames if len(f.data) > 47 and f.data[23] == 6 and f.data[47] == 0x02]
    assert len(syns) == 4


@needs_root
def test_demo_reuse_addr_shows_bind_error_and_capture():
    r = run_demo("--reuse-addr")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "what the programs did" in out and "what the capture saw" in out
    assert "EADDRINUSE (Address already in use)" in out
    assert "with SO_REUSEADDR succeeded while TIME_WAIT" in out
    assert "kernel: TIME_WAIT 127.0.0.1:" in out
    assert "[SYN]" in out and "[FIN, ACK]" in out


@needs_root
def test_demo_stops_everything_on_error(tmp_path, monkeypatch):
    """A failing fetch: the capture is closed (a valid file) and both servers have released their ports."""
    from analyzer.demo import run

    seen = {}
    real = run.HttpServer

    def boom(*args, **kwargs):
        raise run.FetchError("simulated failure")

    def spy(*args, **kwargs):
        server = real(*args, **kwargs)
        seen["http"] = server.port
        return server

    monkeypatch.setattr(run, "fetch", boom)
    monkeypatch.setattr(run, "HttpServer", spy)
    save = tmp_path / "err.pcapng"
    with pytest.raises(run.DemoError, match="simulated failure"):
        run.run_demo(save=str(save), dns_port=0, http_port=0, log=lambda s: None)
    assert port_is_free(seen["http"])
    with open_capture(save) as reader:
        assert list(reader) == [] and not reader.warnings


@needs_root
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_demo_interrupted_stops_servers_and_capture(tmp_path, sig):
    save = tmp_path / "interrupted.pcapng"
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "demo", "--dns-port", "0", "--http-port", "0",
                             "--pause", "5", "--save", str(save)], env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if line.startswith("fetching") or not line:
                break
        time.sleep(1.0)                        # inside the pause between the page and its resources
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "servers and capture stopped" in err
    _dns_port, http_port = ports_from("".join(lines))
    assert port_is_free(http_port)
    with open_capture(save) as reader:
        frames = list(reader)
        assert not reader.warnings
    assert len(frames) >= 5                    # DNS and the first request were captured and written
