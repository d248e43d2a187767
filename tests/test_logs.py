"""``analyzer logs`` and the parallel engine: a day of rotated captures gives the rows of the merged file,
in one process, by chunks, and on a 2-worker Dask LocalCluster (also when a worker dies mid-run); DuckDB
reads the Parquet; ``-j 2`` prints what ``-j 1`` prints."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import analyzer
from analyzer.logs import engine
from analyzer.logs.write import LOGS, read_logs, write_logs

REPO = Path(__file__).resolve().parents[1]
CAPTURES = REPO / "captures"
FILES = sorted(str(p) for p in CAPTURES.iterdir() if p.suffix in (".pcap", ".pcapng"))
EDITCAP = shutil.which("editcap")
MERGECAP = shutil.which("mergecap")
TABLES = ("connections", "udp", "icmp", "dns", "http", "files", "tls")

pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> dict[str, Path]:
    """The project's captures merged into one file (mergecap), and that file rotated into pieces of 20
    frames (editcap -c 20), as tcpdump -C / a dumpcap ring buffer leaves a day of capture."""
    if not (EDITCAP and MERGECAP):
        pytest.skip("editcap and mergecap not installed")
    base = tmp_path_factory.mktemp("day")
    merged = base / "merged.pcapng"
    subprocess.run([MERGECAP, "-w", str(merged), *FILES], check=True, capture_output=True, timeout=60)
    rotated = base / "rotated"
    rotated.mkdir()
    subprocess.run([EDITCAP, "-c", "20", str(merged), str(rotated / "ring.pcapng")], check=True,
                   capture_output=True, timeout=60)
    return {"merged": merged, "rotated": rotated}


def _logs(results, tmp_path: Path, name: str, fmt: str = "parquet") -> dict[str, list]:
    out = tmp_path / name
    write_logs(results, str(out), fmt)
    return {log: read_logs(str(out), log) for log in LOGS}


def test_rotated_day_gives_the_merged_file_s_rows_in_one_process(day, tmp_path):
    pieces = sorted(day["rotated"].iterdir())
    assert len(pieces) > 10
    merged = analyzer.open(str(day["merged"])).analyze()
    rotated = analyzer.open(str(day["rotated"])).analyze()
    for table in TABLES:
        assert getattr(rotated, table) == getattr(merged, table), table
    assert len(merged.connections) > 10 and merged.dns and merged.http and merged.files


def test_chunks_and_stitching_give_the_single_process_rows(day, tmp_path):
    """Chunks of ~3 kB: nearly every connection crosses a boundary and is stitched."""
    single = analyzer.open(str(day["merged"])).analyze()
    units = engine.plan_units([str(day["merged"])], 1, 3000)
    assert len(units) > 10 and all(u.chunk is not None for u in units)
    for kind, tables in (("tx", TABLES), ("count", ("connections", "udp"))):
        expected = single if kind == "tx" else analyzer.open(str(day["merged"])).count()
        got = engine.run_parallel([str(day["merged"])], kind, workers=1, chunk_size=3000)
        for table in tables:
            assert getattr(got, table) == getattr(expected, table), (kind, table)
        assert got.frames == expected.frames and got.first_ts_ns == expected.first_ts_ns


def test_overlapping_inputs_are_numbered_as_the_merge(tmp_path):
    """Files whose times interleave (two interfaces captured at once): frame numbers, streams and rows
    as in the merged capture."""
    single = analyzer.open(FILES).analyze()
    got = engine.run_parallel(FILES, "tx", workers=1, chunk_size=2000)
    for table in TABLES:
        assert getattr(got, table) == getattr(single, table), table


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("distributed")
    with engine.Runner(workers=2) as runner:
        yield runner


def test_local_cluster_of_two_workers(day, tmp_path, cluster):
    single = _logs(analyzer.open(str(day["merged"])).analyze(), tmp_path, "single")
    parallel = _logs(engine.run_parallel(str(day["rotated"]), "tx", runner=cluster, chunk_size=3000), tmp_path,
                     "parallel")
    assert parallel == single
    assert len(single["conn"]) > 10 and len(single["http"]) > 10
    # the workers write the logs themselves (a part per task), the same rows
    out = tmp_path / "by-workers"
    counts = engine.write_parallel(str(day["rotated"]), str(out), "parquet", runner=cluster, chunk_size=3000)
    assert {log: read_logs(str(out), log) for log in LOGS} == single
    assert counts == {"frames": counts["frames"], **{log: len(rows) for log, rows in single.items()}}
    assert len({p.name for p in (out / "conn").rglob("part-*")}) > 2


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(day, tmp_path, cluster):
    from fixtures.parallel import maybe_die

    marker = str(tmp_path / "died")
    real = cluster.submit

    def submit_with_a_death(fn, calls, label=""):
        if fn is engine.analyse_unit:
            calls = [("die", marker, fn, *args) if i == 1 else ("run", fn, *args) for i, args in enumerate(calls)]
            return real(maybe_die, [(c,) for c in calls], label)
        return real(fn, calls, label)

    cluster.submit = submit_with_a_death
    try:
        got = engine.run_parallel(str(day["rotated"]), "tx", runner=cluster)
    finally:
        cluster.submit = real
    assert Path(marker).exists()                                    # a worker did die
    single = analyzer.open(str(day["merged"])).analyze()
    for table in TABLES:
        assert getattr(got, table) == getattr(single, table), table


def _run(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", *map(str, args)], capture_output=True, text=True,
                          timeout=300, check=False, **kw)


def test_logs_command_and_duckdb(day, tmp_path):
    out1, out2 = tmp_path / "one", tmp_path / "two"
    r1 = _run("logs", day["merged"], "-o", out1, "-j", "1")
    assert r1.returncode == 0, r1.stderr
    r2 = _run("logs", day["rotated"], "-o", out2, "-j", "2", "--chunk-size", "1")
    assert r2.returncode == 0, r2.stderr
    for log in LOGS:
        assert read_logs(str(out2), log) == read_logs(str(out1), log), log
    assert "conn " in r1.stderr and "rows" in r1.stderr
    # written in a staging folder and moved into place: nothing of it is left
    assert not list(out1.glob(".analyzer-logs-*")) and not list(out2.glob(".analyzer-logs-*"))
    assert sorted(p.name for p in out2.iterdir()) == sorted(log for log in LOGS if read_logs(str(out2), log))
    again = _run("logs", day["merged"], "-o", out1, "-j", "1")
    assert again.returncode == 2 and "already holds logs" in again.stderr
    duckdb = pytest.importorskip("duckdb")
    # the README's query, over the hour-partitioned files
    rows = duckdb.sql(f"SELECT query, qtype_name, round(rtt * 1000, 3) AS rtt_ms FROM "
                      f"'{out1}/dns/**/*.parquet' ORDER BY rtt DESC").fetchall()
    dns = analyzer.open(str(day["merged"])).dns
    assert sorted(rows, key=repr) == sorted(((d.query, d.qtype_name, None if d.rtt is None else round(d.rtt * 1000, 3))
                                            for d in dns), key=repr)
    joined = duckdb.sql(f"SELECT count(*) FROM '{out1}/http/**/*.parquet' h JOIN '{out1}/conn/**/*.parquet' c "
                        f"USING (uid) WHERE c.service = 'http'").fetchall()[0][0]
    assert joined == len(analyzer.open(str(day["merged"])).http)


@pytest.mark.parametrize("fmt", ["jsonl", "tsv"])
def test_text_formats_hold_the_same_rows(fmt, tmp_path):
    results = analyzer.open(FILES).analyze()
    out = tmp_path / fmt
    write_logs(results, str(out), fmt)
    parquet = _logs(results, tmp_path, "pq")
    for log in LOGS:
        rows = read_logs(str(out), log)
        assert [r["uid"] for r in rows] == [r["uid"] for r in parquet[log]]
    first = next((out / "conn").rglob("*" + (".jsonl" if fmt == "jsonl" else ".log")))
    text = first.read_text()
    if fmt == "tsv":
        assert text.startswith("#separator \\x09\n") and "#fields\tts\tuid\tid.orig_h\tid.orig_p" in text
    else:
        row = json.loads(text.splitlines()[0])
        assert isinstance(row["ts"], float) and row["uid"].startswith("C")


def test_jobs_option_prints_what_one_process_prints(day):
    for command in (["dns", "--json"], ["conversations", "--json"]):
        one = _run(*command, day["rotated"], "-j", "1")
        two = _run(*command, day["rotated"], "-j", "2")
        assert one.returncode == two.returncode == 0, two.stderr
        assert two.stdout == one.stdout and len(one.stdout.splitlines()) > 5, command


@pytest.fixture(scope="module")
def big_pcap(tmp_path_factory) -> Path:
    """Every project capture merged and written as one classic pcap (nanosecond): chunks of it are found by
    re-synchronising on record headers."""
    from analyzer.capture.writer import PcapWriter

    out = tmp_path_factory.mktemp("pcap") / "all.pcap"
    with analyzer.open(FILES).open() as reader, PcapWriter(out, nanosecond=True) as writer:
        for frame in reader:
            writer.write(frame)
    return out


def test_pcap_chunks_read_exactly_the_whole_file(big_pcap):
    from analyzer.capture.chunks import ChunkReader, plan_chunks

    chunks = plan_chunks(str(big_pcap), 2500)
    assert len(chunks) > 10
    with analyzer.open_capture(big_pcap) as whole:
        expected = [(f.ts_ns, f.origlen, f.data) for f in whole]
    got = []
    for chunk in chunks:
        with ChunkReader(chunk) as reader:
            got += [(f.ts_ns, f.origlen, f.data) for f in reader]
            assert not reader.warnings and not reader.stopped
    assert got == expected
    single = analyzer.open(str(big_pcap)).analyze()
    parallel = engine.run_parallel(str(big_pcap), "tx", workers=1, chunk_size=2500)
    for table in TABLES:
        assert getattr(parallel, table) == getattr(single, table), table


def test_a_damaged_file_is_read_whole_as_one_process_would(big_pcap, tmp_path):
    """A record header with an absurd length in the middle: the whole-file reader stops there (with a
    warning); the chunked run must give the same rows, not resynchronise past the damage."""
    data = bytearray(big_pcap.read_bytes())
    damaged = tmp_path / "damaged.pcap"
    # the caplen of a record near the middle: walk the records to find one
    pos, n = 24, 0
    while pos < len(data) // 2:
        caplen = int.from_bytes(data[pos + 8:pos + 12], "little")
        pos, n = pos + 16 + caplen, n + 1
    data[pos + 8:pos + 12] = (10**7).to_bytes(4, "little")
    damaged.write_bytes(bytes(data))
    cap = analyzer.open(str(damaged))
    single = cap.analyze()
    assert any("absurd" in str(w) for w in cap.warnings) and single.frames == n
    parallel = engine.run_parallel(str(damaged), "tx", workers=1, chunk_size=2500)
    assert parallel.frames == n
    for table in TABLES:
        assert getattr(parallel, table) == getattr(single, table), table


@pytest.fixture(scope="module")
def other_ports(tmp_path_factory) -> Path:
    """The crafted capture of DNS on port 5300 (UDP and TCP) and HTTP on 8099 (tests/fixtures/parity)."""
    from fixtures.parity import craft

    return craft.build(tmp_path_factory.mktemp("parity"))["other_ports"]


DNS_5300 = ("-d", "udp.port==5300,dns", "-d", "tcp.port==5300,dns")


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_decode_as_on_dns_http_and_conversations(other_ports):
    """-d on dns, http and conversations as on read: DNS on 5300 becomes transactions with tshark's dns.time
    (also with -j 2: the worker processes get the rules), and -Y dns sees it."""
    tshark = subprocess.run([shutil.which("tshark"), "-n", "-r", str(other_ports), "-d", "udp.port==5300,dns", "-d",
                             "tcp.port==5300,dns", "-Y", "dns.flags.response==1", "-T", "fields", "-e",
                             "udp.srcport", "-e", "tcp.srcport", "-e", "dns.qry.name", "-e", "dns.time"],
                            capture_output=True, text=True, check=True, timeout=60).stdout.split("\n")
    theirs = sorted(tuple(line.split("\t")) for line in tshark if line)
    assert len(theirs) == 2
    plain = _run("dns", "--json", other_ports)
    assert plain.returncode == 0 and plain.stdout == ""               # nothing on 5300 without -d
    one = _run("dns", "--json", *DNS_5300, other_ports)
    two = _run("dns", "--json", *DNS_5300, other_ports, "-j", "2")
    assert one.returncode == two.returncode == 0, two.stderr
    assert two.stdout == one.stdout
    rows = [json.loads(line) for line in one.stdout.splitlines()]
    ours = sorted((str(r["id.resp_p"]) if r["proto"] == "udp" else "", str(r["id.resp_p"]) if r["proto"] == "tcp"
                   else "", r["query"], f"{r['rtt']:.9f}") for r in rows)
    assert ours == theirs
    conv = _run("conversations", "--json", "-Y", "dns", *DNS_5300, other_ports)
    assert sorted(json.loads(line)["id.resp_p"] for line in conv.stdout.splitlines()) == [5300, 5300]
    assert _run("conversations", "--json", "-Y", "dns", other_ports).stdout == ""
    http = _run("http", "--json", "-d", "tcp.port==8099,http", other_ports)
    assert http.returncode == 0 and [json.loads(line)["id.resp_p"] for line in http.stdout.splitlines()] == [8099]
    bad = _run("http", "-d", "tcp.port==8099,gopher", other_ports)
    assert bad.returncode == 2 and "bad decode-as rule" in bad.stderr


def test_header_bytes_that_are_not_utf8_in_every_format(tmp_path):
    """A Referer with the byte 0xc7 and NULs in it (a fuzzed capture, kept as
    fuzz/regressions/timeline/logs-non-utf8-referrer): JSON lines and Parquet cannot hold a byte that is not
    UTF-8, and wrote nothing (UnicodeEncodeError); every format now writes Zeek's escape of it, ``\\xc7``, as
    the TSV log always did, and the table converts to Arrow."""
    results = analyzer.open(str(REPO / "fuzz" / "regressions" / "timeline" / "logs-non-utf8-referrer")).analyze()
    referrers = {}
    for fmt in ("parquet", "jsonl", "tsv"):
        write_logs(results, str(tmp_path / fmt), fmt)
        referrers[fmt] = [r.get("referrer") for r in read_logs(str(tmp_path / fmt), "http")]
    want = "http://192.168.57.14:8080\\xc7"
    for fmt in ("parquet", "jsonl"):
        assert sum(1 for r in referrers[fmt] if r and r.startswith(want + "\x00")) == 1, (fmt, referrers[fmt])
    assert sum(1 for r in referrers["tsv"] if r and r.startswith(want + "\\x00")) == 1, referrers["tsv"]
    assert analyzer.open(str(REPO / "fuzz" / "regressions" / "timeline" / "logs-non-utf8-referrer")).http.to_arrow()


CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def test_census_from_columns_equals_frame_by_frame(monkeypatch):
    """A pcap's census reads batches with the columnar header parser: the same counts, times and flow keys of
    every frame as the frame-by-frame census (link types, VLANs, IPv6, fragments, ICMP: the corpus' pcaps)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not here (the shared corpus of real captures)")
    paths = sorted(str(p) for p in CORPUS.glob("*.pcap")) + sorted(str(p) for p in (Path(__file__).resolve().parents[1] / "captures").glob("*.pcap"))
    assert paths
    for path in paths:
        unit = engine.Unit(0, 0, path)
        fast = engine.census(unit)
        monkeypatch.setattr(engine, "_pcap_reader", lambda unit, reader: False)
        slow = engine.census(unit)
        monkeypatch.undo()
        assert (fast.frames, fast.first_ts, fast.last_ts, fast.ordered, fast.keys, fast.groups) == \
            (slow.frames, slow.first_ts, slow.last_ts, slow.ordered, slow.keys, slow.groups), path
        marks = [fast.key_sets[m] if m >= 0 else () for m in memoryview(fast.frame_keys).cast("i")]
        assert marks == [slow.key_sets[m] if m >= 0 else () for m in memoryview(slow.frame_keys).cast("i")], path
