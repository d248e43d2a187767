"""HTTP/2 frame fields and Info lines against tshark (the oracle), frame by frame, on the recorded fixtures
(tests/fixtures/http2, recorded by scripts/record_http2.py) and the crafted captures
(tests/fixtures/http2/craft.py).

Every ``http2.*`` field of the analyzer's vocabulary is compared, tshark run as ``analyzer verify`` runs it
(:data:`analyzer.verify.TSHARK_ARGS`). The recordings are h2c on port 18080, a
port tshark does not take for HTTP/2 by itself (it has no heuristic for HTTP/2 over TCP; the analyzer
recognises the connection preface on any port), so tshark is told with ``-d tcp.port==18080,http2``. The
crafted captures use port 80, where tshark's HTTP dissector hands the preface to HTTP/2 by itself.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fixtures.http2 import craft
from fixtures.http_dns.harness import TSHARK, run_capture

from analyzer.verify import TSHARK_ARGS, field_texts

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (it is the oracle)")

HERE = Path(__file__).resolve().parent / "fixtures" / "http2"
H2C_DECODE = ["-d", "tcp.port==18080,http2"]
RECORDED = ["h2c_page.pcapng", "h2c_curl.pcapng"]
TLS = ["h2_tls13_page", "h2_tls13_curl"]          # HTTP/2 over TLS 1.3 (ALPN h2), each with NAME.keys
# Between the values of a repeated field; not the harness's \x1f: a CONTINUATION's block bytes, shown as
# an ASCII string, may hold that one.
AGGREGATOR = "\x01"


def http2_fields() -> list[str]:
    from analyzer.verify import vocabulary

    return [name for name in vocabulary() if name.startswith("http2.")]


def tshark_fields(path: Path, names: list[str], extra: list[str]) -> dict[int, dict[str, str]]:
    """frame number -> {field: text} as ``tshark -T fields`` prints it (lines split on "\\n" only: a
    header value may hold other line-breaking characters, which tshark prints raw)."""
    cmd = [TSHARK, *TSHARK_ARGS, "-r", str(path), *extra, "-T", "fields", "-E", f"aggregator={AGGREGATOR}",
           "-e", "frame.number"]
    for name in names:
        cmd += ["-e", name]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, errors="surrogateescape").stdout
    rows = {}
    for line in out.split("\n"):
        if line:
            parts = line.split("\t")
            rows[int(parts[0])] = {name: v for name, v in zip(names, parts[1:]) if v != ""}
    return rows


def our_fields(packets, names: list[str]) -> dict[int, dict[str, str]]:
    """frame number -> {field: tshark's text} (analyzer.verify's conversion)."""
    return {pkt.frame.number: {k: AGGREGATOR.join(v) for k, v in field_texts(pkt.fields, names).items()}
            for pkt in packets}


def _run(path: Path, keys: Path | None = None):
    if keys is None:
        return run_capture(path)
    from analyzer.apps.tls.keylog import parse_keylog

    return run_capture(path, keylog=parse_keylog(keys.read_bytes()))


def _compare(path: Path, extra: list[str], keys: Path | None = None) -> list[str]:
    names = http2_fields()
    packets, _tx = _run(path, keys)
    ours = our_fields(packets, names)
    theirs = tshark_fields(path, names, extra)
    problems = []
    for number in sorted(set(ours) | set(theirs)):
        a, b = ours.get(number, {}), theirs.get(number, {})
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                problems.append(f"frame {number} {name}: analyzer {a.get(name)!r:.120}, tshark {b.get(name)!r:.120}")
    return problems


def _columns(path: Path, extra: list[str], keys: Path | None = None) -> tuple[list[str], list[str]]:
    """(ours, tshark's) protocol and info columns of every frame."""
    from analyzer.report.summary import Summary

    packets, _tx = _run(path, keys)
    summary = Summary()
    ours = []
    for pkt in packets:
        _n, _t, _s, _d, protocol, _length, info = summary.columns(pkt)
        ours.append(f"{pkt.frame.number} {protocol} {info}".rstrip())
    out = subprocess.run([TSHARK, *TSHARK_ARGS, "-r", str(path), *extra, "-T", "fields", "-e", "frame.number",
                          "-e", "_ws.col.Protocol", "-e", "_ws.col.Info"], capture_output=True, text=True,
                         check=True).stdout
    theirs = [" ".join(line.split("\t")).rstrip() for line in out.splitlines()]
    return ours, theirs


@pytest.mark.parametrize("name", RECORDED)
def test_recorded_h2c_fields_equal_tshark(name):
    assert _compare(HERE / name, H2C_DECODE) == []


@pytest.mark.parametrize("name", RECORDED)
def test_recorded_h2c_info_lines_equal_tshark(name):
    ours, theirs = _columns(HERE / name, H2C_DECODE)
    h2 = [i for i, line in enumerate(theirs) if " HTTP2 " in line]
    assert len(h2) > 5
    assert [ours[i] for i in h2] == [theirs[i] for i in h2]


@pytest.mark.parametrize("name", TLS)
def test_recorded_h2_over_tls_fields_equal_tshark(name):
    """Decrypted with the recording's key log on both sides (tshark: -o tls.keylog_file)."""
    keys = HERE / f"{name}.keys"
    assert _compare(HERE / f"{name}.pcapng", ["-o", f"tls.keylog_file:{keys}"], keys) == []


@pytest.mark.parametrize("name", TLS)
def test_recorded_h2_over_tls_info_lines_equal_tshark(name):
    """Compared on packets that hold one TLS record: tshark clears the Info column for each piece of
    plaintext it hands to HTTP/2, so with several records it lists only the last piece's frames (the
    analyzer lists every frame the packet completed; the fields of both hold them all)."""
    keys = HERE / f"{name}.keys"
    path = HERE / f"{name}.pcapng"
    ours, theirs = _columns(path, ["-o", f"tls.keylog_file:{keys}"], keys)
    out = subprocess.run([TSHARK, *TSHARK_ARGS, "-o", f"tls.keylog_file:{keys}", "-r", str(path), "-T", "fields",
                          "-e", "tls.record.content_type"], capture_output=True, text=True, check=True).stdout
    one_record = [len(line.split(",")) == 1 for line in out.split("\n")]
    h2 = [i for i, line in enumerate(theirs) if " HTTP2 " in line and one_record[i]]
    assert len(h2) > 5
    assert [ours[i] for i in h2] == [theirs[i] for i in h2]


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    return craft.build(tmp_path_factory.mktemp("h2craft"))


@pytest.mark.parametrize("name", craft.ORACLE_SCENARIOS)
def test_crafted_fields_equal_tshark(crafted, name):
    assert _compare(crafted[name], []) == []


@pytest.mark.parametrize("name", craft.ORACLE_SCENARIOS)
def test_crafted_info_lines_equal_tshark(crafted, name):
    ours, theirs = _columns(crafted[name], [])
    h2 = [i for i, line in enumerate(theirs) if " HTTP2 " in line]
    assert h2
    assert [ours[i] for i in h2] == [theirs[i] for i in h2]
