"""Local networks (Zeek's Site::local_nets) drive conn's local_orig/local_resp: by default the private address
space (Zeek's default); ``local_nets=`` / ``analyzer logs --local-nets`` replace it (``private`` adds it back,
``none`` leaves the columns empty as Zeek does without local nets), in one process and on the parallel path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import analyzer
from analyzer.api.iplevel import LocalNets
from analyzer.logs import engine

ROOT = Path(__file__).resolve().parents[1]
# the lab's page fetch: a client in 192.0.2.0/24 (TEST-NET-1, in Zeek's private address space), servers in
# 198.51.100.0/24 (TEST-NET-2, also in it): addresses tshark shows as ip.src/ip.dst
PAGE = ROOT / "captures" / "lab_page_fetch.pcapng"


def _flags(conns) -> set[tuple[str, str, bool | None, bool | None]]:
    return {(c.orig_h, c.resp_h, c.local_orig, c.local_resp) for c in conns}


def test_default_is_zeeks_private_address_space():
    cap = analyzer.open(PAGE)
    conns = list(cap.connections) + list(cap.udp)
    assert conns and all(c.local_orig is True and c.local_resp is True for c in conns)


@pytest.mark.parametrize("nets", ["192.0.2.0/24", ["192.0.2.0/24"], LocalNets(["192.0.2.10"])])
def test_given_nets_replace_the_default(nets):
    cap = analyzer.open(PAGE, local_nets=nets)
    conns = list(cap.connections) + list(cap.udp)
    assert conns
    for c in conns:
        assert c.local_orig == c.orig_h.startswith("192.0.2."), c
        assert c.local_resp == c.resp_h.startswith("192.0.2."), c
    assert any(c.local_resp is False for c in conns)        # the servers are outside 192.0.2.0/24


def test_private_word_and_none():
    assert _flags(analyzer.open(PAGE, local_nets="private, 203.0.113.0/24").connections) == \
        _flags(analyzer.open(PAGE).connections)
    conns = list(analyzer.open(PAGE, local_nets="none").connections)
    assert conns and all(c.local_orig is None and c.local_resp is None for c in conns)


def test_a_bad_network_is_named():
    with pytest.raises(ValueError, match="10.0.0.0/33"):
        analyzer.open(PAGE, local_nets="10.0.0.0/8,10.0.0.0/33")
    assert LocalNets.parse("2001:db8::/32")("2001:db8::1") is True
    assert LocalNets.parse("2001:db8::/32")("192.0.2.1") is False


def test_parallel_path_applies_the_same_nets():
    nets = LocalNets.parse("198.51.100.0/24")
    one = analyzer.open(PAGE, local_nets=nets)
    parallel = engine.run_parallel([str(PAGE)], "tx", workers=1, chunk_size=4096, local_nets=nets)
    assert _flags(parallel.connections) == _flags(one.connections)
    assert _flags(parallel.udp) == _flags(one.udp)
    assert any(c.local_orig is False and c.local_resp is True for c in parallel.connections)


def _logs(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", "logs", *map(str, args)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, check=False)


def test_logs_command_option(tmp_path):
    out = tmp_path / "logs"
    done = _logs(PAGE, "-o", out, "--format", "jsonl", "-j", "1", "--local-nets", "192.0.2.0/24")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for f in sorted((out / "conn").rglob("*.jsonl")) for line in f.read_text().splitlines()]
    assert rows
    for r in rows:
        assert r["local_orig"] == r["id.orig_h"].startswith("192.0.2.")
        assert r["local_resp"] == r["id.resp_h"].startswith("192.0.2.")
    bad = _logs(PAGE, "-o", tmp_path / "bad", "--local-nets", "ten.0.0.0/8")
    assert bad.returncode == 2 and "--local-nets" in bad.stderr and "ten.0.0.0/8" in bad.stderr
    assert "Traceback" not in bad.stderr
