"""``analyzer.open(...)``: several captures merged by time, typed tables, the README's notebook examples.

Values are checked against tshark on the same frames (``mergecap`` merges the files for tshark, in the same
order as ours), never against numbers copied from our own output.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import analyzer
from analyzer.api import MissingDependency
from analyzer.capture.merge import open_inputs

REPO = Path(__file__).resolve().parents[1]
CAPTURES = REPO / "captures"
FILES = sorted(str(p) for p in CAPTURES.iterdir() if p.suffix in (".pcap", ".pcapng"))
TSHARK = shutil.which("tshark")
MERGECAP = shutil.which("mergecap")
needs_wireshark = pytest.mark.skipif(not (TSHARK and MERGECAP), reason="tshark and mergecap not installed")


@pytest.fixture(scope="module")
def merged(tmp_path_factory) -> Path:
    """The captures folder merged by mergecap, for tshark."""
    if not MERGECAP:
        pytest.skip("mergecap not installed")
    out = tmp_path_factory.mktemp("merged") / "all.pcapng"
    subprocess.run([MERGECAP, "-w", str(out), *FILES], check=True, capture_output=True, timeout=60)
    return out


def tshark(path: Path, *fields: str, display_filter: str | None = None) -> list[list[str]]:
    args = [TSHARK, "-r", str(path), "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]
    if display_filter:
        args += ["-Y", display_filter]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout
    return [line.split("\t") for line in out.splitlines()]


# -- several inputs ---------------------------------------------------------------------------------------------
@needs_wireshark
def test_merge_order_and_numbers_are_mergecap_s(merged):
    ours = []
    with open_inputs(FILES) as reader:
        for frame in reader:
            ours.append([str(frame.number), f"{frame.ts_ns // 10**9}.{frame.ts_ns % 10**9:09d}", str(frame.origlen)])
    theirs = tshark(merged, "frame.number", "frame.time_epoch", "frame.len")
    assert len(ours) == len(theirs) > 200
    assert ours == theirs


@needs_wireshark
def test_merged_packets_carry_the_pipeline_fields_tshark_gives(merged):
    fields = ("frame.number", "ip.src", "tcp.stream", "udp.stream", "dns.qry.name", "dns.time", "http.request.uri")
    theirs = tshark(merged, *fields)
    ours = []
    for pkt in analyzer.packets(FILES):
        row = []
        for f in fields:
            v = pkt.get(f)
            row.append("" if v is None else ",".join(map(str, v)) if isinstance(v, list) else str(v))
        ours.append(row)
    assert ours == theirs


def test_each_frame_keeps_its_input(tmp_path):
    a, b = CAPTURES / "lab_page_fetch.pcapng", CAPTURES / "http10_short_connections_loopback.pcap"
    with open_inputs([str(a), str(b)]) as reader:
        frames = list(reader)
        interfaces = reader.interfaces
    assert [i.name for i in interfaces] == ["lab_page_fetch.pcapng", "http10_short_connections_loopback.pcap"]
    assert [i.path for i in interfaces] == [str(a), str(b)]
    with analyzer.open_capture(a) as r:
        own_a = len(list(r))
    assert sum(1 for f in frames if f.iface == 0) == own_a
    assert {f.iface_name for f in frames if f.iface == 1} == {"http10_short_connections_loopback.pcap"}
    pkt = next(iter(analyzer.open([str(a), str(b)]).packets()))
    assert pkt["frame.interface_name"] in ("lab_page_fetch.pcapng", "http10_short_connections_loopback.pcap")


def test_two_files_naming_the_same_interface_stay_apart(tmp_path):
    """Captures of two machines both name their interface; each keeps its own id (mergecap would merge)."""
    from analyzer.capture import open_writer

    src = CAPTURES / "http_page_fetch_loopback.pcapng"          # its interface is called "lo"
    with analyzer.open_capture(src) as r:
        frames = list(r)
    half = len(frames) // 2
    for name, part in (("one.pcapng", frames[:half]), ("two.pcapng", frames[half:])):
        with open_writer(tmp_path / name) as w:
            for f in part:
                w.write(f)
    with open_inputs([str(tmp_path / "one.pcapng"), str(tmp_path / "two.pcapng")]) as reader:
        got = {(f.iface, f.iface_name) for f in reader}
    assert got == {(0, "one.pcapng:lo"), (1, "two.pcapng:lo")}


def test_directory_and_glob_inputs():
    cap = analyzer.open(str(CAPTURES))
    assert cap.paths == FILES
    assert any("README.md" in str(w) for w in cap.warnings)       # not a capture: skipped, said
    assert analyzer.open(str(CAPTURES / "lab_*.pcap*")).paths == [f for f in FILES if "/lab_" in f]
    with pytest.raises(analyzer.CaptureError, match="no file matches"):
        analyzer.open(str(CAPTURES / "nothing-*.pcap"))


def test_standard_input_is_a_capture():
    data = (CAPTURES / "lab_page_fetch.pcapng").read_bytes()
    run = subprocess.run([sys.executable, "-m", "analyzer", "read", "-"], input=data, capture_output=True,
                         timeout=60, check=False)
    direct = subprocess.run([sys.executable, "-m", "analyzer", "read", str(CAPTURES / "lab_page_fetch.pcapng")],
                            capture_output=True, timeout=60, check=False)
    assert run.returncode == 0 and run.stdout == direct.stdout and run.stdout.count(b"\n") == 24
    bad = subprocess.run([sys.executable, "-m", "analyzer", "dns", "-"], input=b"nonsense", capture_output=True,
                         timeout=60, check=False)
    assert bad.returncode == 2 and b"standard input: not a capture file" in bad.stderr


# -- typed tables ------------------------------------------------------------------------------------------------
def test_tables_are_typed():
    pd = pytest.importorskip("pandas")
    cap = analyzer.open(FILES)
    conns = cap.connections.to_pandas()
    assert str(conns["ts"].dtype) == "datetime64[ns, UTC]"
    assert conns["orig_bytes"].dtype == pd.Int64Dtype() and conns["id.orig_p"].dtype == pd.Int64Dtype()
    assert conns["duration"].dtype == "float64"
    assert conns["id.orig_h"].map(type).eq(str).all()
    dns = cap.dns.to_pandas()
    assert dns["answers"].dtype == pd.ArrowDtype(__import__("pyarrow").list_(__import__("pyarrow").string()))
    assert dns["AA"].dtype == pd.BooleanDtype()
    pkts = cap.packets().to_pandas(["frame.time", "ip.id", "tcp.stream", "dns.time", "tcp.option_kind"])
    assert str(pkts["frame.time"].dtype) == "datetime64[ns, UTC]"
    assert pkts["ip.id"].dtype == pd.Int64Dtype() and pkts["ip.id"].dropna().gt(0).any()   # tshark's hex: ints
    # a response's dns.time for each answered transaction (captures/ holds queries no server answered)
    assert pkts["dns.time"].dtype == "float64" and pkts["dns.time"].notna().sum() == dns["rtt"].notna().sum() > 0
    assert isinstance(pkts["tcp.option_kind"].dtype, pd.ArrowDtype)      # repeated in a packet: a list column


def test_uid_joins_the_tables():
    cap = analyzer.open(FILES)
    conn_uids = {c.uid for c in cap.connections} | {c.uid for c in cap.udp}
    assert len(conn_uids) == len(cap.connections) + len(cap.udp)
    assert {d.uid for d in cap.dns} <= conn_uids and {h.uid for h in cap.http} <= conn_uids
    assert {f.fuid for f in cap.files} == {u for h in cap.http for u in h.resp_fuids + h.orig_fuids}
    http = {c.uid for c in cap.connections if c.service == "http"}
    assert http == {h.uid for h in cap.http}


@needs_wireshark
def test_file_hashes_are_the_bodies_tshark_exports(tmp_path, merged):
    out = tmp_path / "objects"
    subprocess.run([TSHARK, "-r", str(CAPTURES / "lab_page_fetch.pcapng"), "--export-objects", f"http,{out}"],
                   check=True, capture_output=True, timeout=60)
    import hashlib

    theirs = sorted(hashlib.sha1(p.read_bytes()).hexdigest() for p in out.iterdir())
    ours = sorted(f.sha1 for f in analyzer.open(str(CAPTURES / "lab_page_fetch.pcapng")).files if not f.is_orig)
    assert ours == theirs and len(ours) == 4


def test_missing_optional_dependency_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependency, match=r"pip install 'analyzer\[data\]'"):
        analyzer.open(FILES[0]).dns.to_arrow()
    assert len(analyzer.open(str(CAPTURES / "lab_dns_mix.pcapng")).dns) == 7      # iterating needs neither


@pytest.mark.parametrize("missing", ["pandas", "pyarrow"])
def test_to_pandas_names_itself_and_what_is_missing(monkeypatch, missing):
    """to_pandas() goes through Arrow; the message names the call the user made and the package missing."""
    monkeypatch.setitem(sys.modules, missing, None)
    capture = analyzer.open(str(CAPTURES / "lab_dns_mix.pcapng"))
    for table in (capture.dns, capture.packets()):
        with pytest.raises(MissingDependency, match=rf"^to_pandas\(\) needs the {missing} package.*analyzer\[data\]"):
            table.to_pandas()


# -- the README's notebook examples ----------------------------------------------------------------------------
def _readme_examples() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```python\n(.*?)```", section, re.DOTALL))


@needs_wireshark
def test_readme_notebook_examples(merged, monkeypatch):
    pytest.importorskip("pandas")
    code = _readme_examples()
    questions = re.split(r"\n(?=# )", code)
    for q in questions[1:]:
        lines = [ln for ln in q.splitlines() if ln.strip() and not ln.startswith("#")]
        assert len(lines) <= 5, q                                   # each question in five lines at most
    monkeypatch.chdir(REPO)
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)                   # noqa: S102 - the README's own code
    dns, conns = ns["dns"], ns["conns"]
    # names and how long each took: tshark's dns.time on the responses, by query name
    theirs = defaultdict(list)
    for name, t in tshark(merged, "dns.qry.name", "dns.time", display_filter="dns.flags.response == 1 && dns.time"):
        theirs[name].append(round(float(t), 9))
    ours = defaultdict(list)
    for name, rtt in zip(dns["query"], dns["rtt"]):
        if not math.isnan(rtt):                                     # answered
            ours[name].append(round(rtt, 9))
    assert {k: sorted(v) for k, v in ours.items()} == {k: sorted(v) for k, v in theirs.items()}
    # bytes per TCP connection: the payload bytes tshark shows, each byte counted once (the union of the
    # segments' [seq, seq + len) ranges per direction: a retransmitted byte once, a byte resent after a loss
    # before the capture point once too)
    ranges = defaultdict(list)
    for stream, src, sport, seq, length in tshark(merged, "tcp.stream", "ip.src", "tcp.srcport", "tcp.seq",
                                                  "tcp.len", display_filter="tcp"):
        ranges[(int(stream), src, sport)].append((int(seq), int(seq) + int(length)))
    per_stream = defaultdict(int)
    for (stream, _src, _sport), spans in ranges.items():
        end = None
        for a, b in sorted(spans):
            if end is None or a > end:
                per_stream[stream] += b - a
                end = b
            elif b > end:
                per_stream[stream] += b - end
                end = b
    assert dict(zip(conns["stream"].astype(int), conns["bytes"].astype(int))) == dict(per_stream)


def test_commands_print_the_same_uids():
    path = str(CAPTURES / "lab_dns_mix.pcapng")
    cap = analyzer.open(path)

    def uids(*args):
        run = subprocess.run([sys.executable, "-m", "analyzer", *args, path, "--json"], capture_output=True,
                             text=True, timeout=60, check=True)
        return {json.loads(line)["uid"] for line in run.stdout.splitlines()}

    assert uids("conversations") == {c.uid for c in cap.connections} | {c.uid for c in cap.udp}
    assert uids("dns") == {d.uid for d in cap.dns} and len(uids("dns")) > 3


def test_fetches_table_is_the_timeline_s():
    cap = analyzer.open(str(CAPTURES / "lab_page_fetch.pcapng"))
    timeline = cap.timeline()
    table = cap.fetches
    assert [f.url for f in table] == [f.url for f in timeline.fetches] == ["http://www.example.test/"]
    if pytest.importorskip("pandas"):
        df = table.to_pandas()
        assert list(df["url"]) == ["http://www.example.test/"] and int(df["requests"][0]) == 4
        assert str(df["start"].dtype) == "datetime64[ns, UTC]"


def test_keylog_decrypts_https():
    tls = REPO / "tests" / "fixtures" / "tls"
    capture, keys = tls / "tls12_gcm.pcap", tls / "tls12_gcm.keys"
    if not capture.exists():
        pytest.skip("TLS fixtures absent")
    assert len(analyzer.open(str(capture)).http) == 0                   # encrypted: no HTTP seen
    (http,) = analyzer.open(str(capture), keylog=str(keys)).http
    assert (http.method, http.uri, http.status_code) == ("GET", "/", 200)
    assert http.details["full_uri"].startswith("https://")
