"""The fuzz targets: each takes one input (bytes) and raises nothing but a failure.

Invariant (issue 14): bad input is normal input. A target may end in a documented way only: a capture that is
not one is a :class:`~analyzer.capture.CaptureError`, a bad display filter a
:class:`~analyzer.filter.FilterError`, a command's user-facing error a ``SystemExit`` with code 1 or 2 (its one
line on stderr); a decoder records a ``DecodeFailure`` on the packet and raises nothing. Every other exception
escapes the target, and atheris reports it as a crash with the input that caused it. Hangs (``-timeout``)
and memory (``-rss_limit_mb``) are bounded by the runner (:mod:`fuzz.run`).

Targets, by name (:data:`TARGETS`):

* ``decode``: one frame (first byte picks the link type, the rest is the frame) through ``decode()``, its
  flat fields, the summary line, the ``-V`` tree, the hex dump and the JSON line of ``analyzer read``; the
  compiled header tuple of a TCP segment (``quick_tcp``) against ``quick_headers``'; the frame's bytes (and
  from the line holding ``HTTP/1.``) as an HTTP/1.x stream, both roles, with the compiled head scanner
  (``http_head``) and without: the same events.
* ``capture``: the bytes as a capture file (pcap, pcapng, gzip) through the reader, every frame, and the batch
  reader with the compiled helper and with its Python twins (a difference is a failure).
* ``pipeline``: the bytes as a capture file through the commands built on the whole analysis (TCP state and
  reassembly, IP defragmentation, HTTP and DNS transactions): ``read`` (text, -V, --json, -Y, -w),
  ``conversations`` (table and JSON), ``follow`` (ascii, hex), ``flow``, ``http``, ``dns`` (table and JSON)
  ``export-objects`` and ``logs`` (Parquet).
* ``timeline``: the bytes as a capture file through ``timeline`` (text, JSON, zh), ``har``, ``report`` and
  ``logs`` (Zeek-style tables as Parquet, JSON lines and TSV, in-process: ``-j 1``).
* ``explain``: the bytes as a program of page fetches (:mod:`fuzz.scenario`: DNS lookups, connections, requests,
  1xx/redirect/chunked/cut responses, time, teardowns, holes, raw bytes) played into a capture of well-formed
  frames, through one of ``timeline`` (text, JSON, zh, two views), ``har``, ``report``, ``export-objects``,
  picked by the input: the explaining side (fetch grouping, redirects, interim answers, pages, the waterfall)
  on inputs that get past the decoders.
* ``filter``: the bytes as a display filter (UTF-8, bad bytes as on a command line), compiled, and when it
  compiles, run on a few packets.
* ``tls``: TLS byte streams (the tls developer's ``decode_stream``): chunks of ``[direction][length, 2 bytes]
  [bytes]``, each direction decoded as records, handshake messages, certificates, with the key log of the
  shipped TLS fixtures (so the decryption paths run on the seeds and their mutations).
* ``keylog``: the bytes as an NSS key log (``parse_keylog``), then looked up.

The ``pipeline`` and ``timeline`` commands also run with ``--keylog`` (the fixtures' keys), so decrypted HTTPS
goes through HTTP, export-objects, the timeline and HAR.

The commands run in-process through click, as ``analyzer CMD ...`` would run them, with stdout and stderr
going to /dev/null through strict UTF-8 writers (what a terminal gets: a string a command cannot encode is
a failure too).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import analyzer.capture as capture_mod
import analyzer.filter as filter_mod
from analyzer.capture.frame import Frame
from analyzer.decode import decode as decode_frame

# Link types a frame of the decode target can have (its first byte picks one).
LINKTYPES = (1, 113, 276, 0, 101, 228, 229, 12, 14, 108, 147)

_work_dir: list[Path] = []


def _work() -> Path:
    """A scratch folder for inputs and outputs: the fuzz runner's (``ANALYZER_FUZZ_SCRATCH``), or one of its
    own in memory where /dev/shm exists, removed at exit."""
    if not _work_dir:
        given = os.environ.get("ANALYZER_FUZZ_SCRATCH")      # the runner's, removed by the runner
        if given:
            Path(given).mkdir(parents=True, exist_ok=True)
            _work_dir.append(Path(given))
        else:
            shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
            _work_dir.append(Path(tempfile.mkdtemp(prefix="analyzer-fuzz-", dir=shm)))
            atexit.register(shutil.rmtree, _work_dir[0], True)
    return _work_dir[0]


class Devnull(io.TextIOWrapper):
    """A text stream to /dev/null that encodes as strictly as a UTF-8 terminal's stdout does."""

    def __init__(self):
        super().__init__(open(os.devnull, "wb"), encoding="utf-8", errors="strict", write_through=True)  # noqa: SIM115

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def _quiet():
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Devnull(), Devnull()
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.close()
        sys.stdout, sys.stderr = out, err


_commands: dict[str, object] = {}


def command(name: str):
    """The click command ``analyzer NAME``, loaded as the CLI loads it."""
    cmd = _commands.get(name)
    if cmd is None:
        import click

        from analyzer.cli.main import main

        cmd = _commands[name] = main.get_command(click.Context(main), name)
    return cmd


def run_command(args: list[str]) -> int:
    """Run ``analyzer ARGS`` in-process; its exit code. Exit codes 0, 1 and 2 are documented endings; any
    exception other than SystemExit propagates (the group's last-resort handler is not in the way: the
    subcommand is run directly)."""
    import click

    cmd = command(args[0])
    try:
        with _quiet():
            result = cmd.main(args[1:], prog_name=f"analyzer {args[0]}", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code not in (0, 1, 2):
            raise AssertionError(f"analyzer {' '.join(args)} exited with {code}") from exc
        return code
    except click.exceptions.UsageError:
        return 2
    if isinstance(result, int) and result not in (0, 1, 2):
        raise AssertionError(f"analyzer {' '.join(args)} exited with {result}")
    return 0


def _as_file(data: bytes) -> str:
    path = _work() / "input.pcap"
    path.write_bytes(data)
    return str(path)


# -- targets -------------------------------------------------------------------------------------------


def decode_target(data: bytes) -> None:
    if not data:
        return
    from analyzer.cli.read import _Output, _print_json, _print_text

    linktype = LINKTYPES[data[0] % len(LINKTYPES)]
    frame = Frame(1, 1_700_000_000_000_000_000, len(data) - 1 + (data[0] >> 7), 0, linktype, data[1:])
    pkt = decode_frame(frame)
    pkt.fields  # noqa: B018 - the flat field dict is built on first use
    with _quiet():
        out = _Output(sys.stdout, 1)
        _print_text(iter([pkt]), out, True, True, None, None)
        _print_json(iter([pkt]), out)
        out.flush()
    _quick_twins(frame)
    _http_head_twins(data[1:])


def _quick_twins(frame: Frame) -> None:
    """The compiled header tuple of a TCP segment (``_speedups.quick_tcp``, read's header path) is the one
    ``quick_headers`` reads, and None exactly where that gives no TCP tuple (tests/test_read_fast_quick.py)."""
    from analyzer.compiled import compiled
    from analyzer.flows import quick

    quick_tcp = compiled("quick_tcp")
    if quick_tcp is None:
        return
    want = quick.quick_headers(frame.data, frame.linktype, True, frame.origlen)
    got = quick_tcp(frame, quick._cache, quick.address_pair)
    if want is not None and want[0] == "tcp":
        if got != want or [type(v) for v in got] != [type(v) for v in want]:
            raise AssertionError(f"quick_tcp gives {got}, quick_headers {want}")
    elif got is not None:
        raise AssertionError(f"quick_tcp gives {got} where quick_headers gives {want}")


def _http_head_twins(data: bytes) -> None:
    """HttpStreamParser with the compiled head scanner (``_speedups.http_head``) gives the events it gives without
    it, on ``data`` as a stream of either role, whole and from the line holding ``HTTP/1.`` on
    (tests/test_http_head_fast.py)."""
    from analyzer.apps.http import parser as http_parser

    scanner = http_parser._http_head
    if scanner is None:
        return
    at = data.find(b"HTTP/1.")
    streams = [data] if at < 0 else [data, data[data.rfind(b"\n", 0, at) + 1:]]
    for stream in streams:
        for role in (http_parser.CLIENT, http_parser.SERVER):
            for lean in (False, True):
                views = []
                for head in (scanner, None):
                    http_parser._http_head = head
                    try:
                        p = http_parser.HttpStreamParser(role)
                        p.lean = lean
                        p.expect_response("GET")
                        p.receive_data(stream, 1, 1)
                        p.receive_eof(2, 2, http_parser.CONNECTION_CLOSED)
                        views.append((list(iter(p.next_event, http_parser.NEED_DATA)), p.state, p.skipped))
                    finally:
                        http_parser._http_head = scanner
                if views[0] != views[1]:
                    raise AssertionError(f"http_head: the parser's events differ with and without it on {stream!r}")


def capture_target(data: bytes) -> None:
    """The reader frame by frame (with what the commands ask of each frame: its interface and time
    precision), the reader in batches with the columnar core's header columns (a second parser of classic
    pcap records, and the header reader ``conversations`` uses), and a copy written back as pcapng keeping
    the source's interfaces and options (the writer on whatever the reader let through). The batch reader runs
    twice, with the compiled helper and with its Python twins, and must give the same."""
    path = _as_file(data)
    secrets: list = []
    try:
        with capture_mod.open_capture(path, on_secrets=lambda kind, data: secrets.append(kind)) as reader, \
                capture_mod.open_writer(_work() / "copy.pcapng", source=reader) as writer:
            for frame in reader:
                reader.time_digits(frame)
                reader.interface(frame)
                writer.write(frame)
            reader.section_options  # noqa: B018 - a property that reads the section header
    except capture_mod.CaptureError:
        pass
    compiled_view = _batch_view(path)
    if _twins_differ():
        # the compiled record walks and header reader against their Python twins: the same frames, columns and
        # ending (a difference is a bug in one of them)
        with _python_twins():
            python_view = _batch_view(path)
        if compiled_view != python_view:
            raise AssertionError("compiled and Python batch readers differ: "
                                 + _first_difference(compiled_view, python_view))


def _batch_view(path: str) -> list:
    """Every frame the batch reader gives (its fields), the header columns of each batch, and how it ended."""
    import numpy as np

    from analyzer.columnar.headers import Columns, parse

    view: list = []
    try:
        with capture_mod.open_capture(path) as reader:
            for batch in reader.batches():
                columns = parse(batch)
                view.append(tuple(np.asarray(getattr(columns, name)).tolist() if name != "n" else columns.n
                                  for name in Columns.__slots__))
                for i in range(len(batch)):
                    f = batch.frame(i)
                    view.append((f.number, f.ts_ns, f.origlen, f.iface, f.linktype, f.data, f.iface_name))
    except capture_mod.CaptureError as err:
        view.append(("CaptureError", str(err)))
    return view


def _first_difference(a: list, b: list) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"item {i}: compiled {str(x)[:400]} python {str(y)[:400]}"
    return f"lengths {len(a)} and {len(b)}"


def _twins_differ() -> bool:
    """Whether the compiled helper is in use (else both runs would be the Python one)."""
    from analyzer.capture import batches

    return batches.walk_records is not batches._walk_py


@contextlib.contextmanager
def _python_twins():
    """The batch reader's compiled functions swapped for their Python twins (what ANALYZER_PURE_PYTHON=1 gives
    at import), restored after."""
    from analyzer.capture import batches
    from analyzer.columnar import headers

    saved = batches.walk_records, batches.record_heads, batches.walk_epbs, headers._headers
    batches.walk_records, batches.record_heads, batches.walk_epbs = batches._walk_py, None, batches._walk_epb_py
    headers._headers = None
    try:
        yield
    finally:
        batches.walk_records, batches.record_heads, batches.walk_epbs, headers._headers = saved


TLS_FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tls"


def _keys() -> str:
    """One key log file with the keys of every TLS fixture (written once into the scratch folder)."""
    path = _work() / "fixtures.keys"
    if not path.exists():
        path.write_bytes(b"".join(p.read_bytes() for p in sorted(TLS_FIXTURES.glob("*.keys"))))
    return str(path)


PIPELINE_COMMANDS = (
    ("read", "{in}", "-V", "-x"), ("read", "{in}", "--json", "-w", "{work}/w.pcapng"),
    ("read", "{in}", "-Y", "tcp.analysis.flags or http or dns.flags.response == 1"),
    ("conversations", "{in}"), ("conversations", "{in}", "--json"),
    ("follow", "{in}", "0"), ("follow", "{in}", "1", "--hex"), ("flow", "{in}"),
    ("http", "{in}"), ("http", "{in}", "--json"), ("dns", "{in}"), ("dns", "{in}", "--json"),
    ("export-objects", "{in}", "{work}/objects"), ("http", "{in}", "--keylog", "{keys}"),
    ("read", "{in}", "-V", "--keylog", "{keys}"), ("export-objects", "{in}", "{work}/objects", "--keylog", "{keys}"),
    ("conversations", "{in}", "-Y", "tcp.port in {{80 443}} or udp.port == 53 or ip.ttl < 64"),
    ("read", "{in}", "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport", "-e", "http.host", "-Y", "tcp or arp"),
    ("logs", "{in}", "-o", "{work}/logs", "-j", "1"),
    # read's text lines (the header path: compiled TCP lines and header tuples, DNS lines without a decode), with
    # keys, and with a filter the header columns decide (conversations left out, the rest on the header path)
    ("read", "{in}"), ("read", "{in}", "--keylog", "{keys}"),
    ("read", "{in}", "-Y", "tcp.port == 80 or udp.port == 53 or ip.ttl < 64"),
)
TIMELINE_COMMANDS = (
    ("timeline", "{in}"), ("timeline", "{in}", "--json"), ("timeline", "{in}", "--lang", "zh"),
    ("har", "{in}", "-o", "{work}/x.har"), ("report", "{in}", "-o", "{work}/x.html"),
    ("timeline", "{in}", "--keylog", "{keys}"), ("har", "{in}", "-o", "{work}/x.har", "--keylog", "{keys}"),
    ("nat", "{in}", "{in}", "--json"), ("timeline", "{in}", "{in}"),     # two views (issue 16): every flow pairs
    ("logs", "{in}", "-o", "{work}/logs", "-j", "1", "--format", "tsv"),
    ("logs", "{in}", "-o", "{work}/logs", "-j", "1", "--format", "jsonl", "--keylog", "{keys}"),
)


EXPLAIN_COMMANDS = (
    ("timeline", "{in}"), ("timeline", "{in}", "--json"), ("timeline", "{in}", "--lang", "zh"),
    ("timeline", "{in}", "{in}", "--json"), ("har", "{in}", "-o", "{work}/x.har"),
    ("report", "{in}", "-o", "{work}/x.html"), ("export-objects", "{in}", "{work}/objects"),
    ("timeline", "{in}", "--width", "40", "--all"),
)


def _one_of(commands: tuple, data: bytes, capture: bytes | None = None) -> None:
    """Run one of ``commands`` on the input (or on ``capture``, made from it), picked by the input itself (a
    mutation may pick another): each input costs one command, and coverage tells the fuzzer which inputs reach
    new code in which command."""
    path = _as_file(data if capture is None else capture)
    args = commands[zlib.crc32(data) % len(commands)]
    run_command([a.format(**{"in": path, "work": _work(), "keys": _keys()}) for a in args])
    _clean()


def _clean() -> None:
    """Remove the folders a command wrote (export-objects, logs), so the next input starts empty."""
    for name in ("objects", "logs"):
        shutil.rmtree(_work() / name, ignore_errors=True)


def pipeline_target(data: bytes) -> None:
    _one_of(PIPELINE_COMMANDS, data)


def timeline_target(data: bytes) -> None:
    _one_of(TIMELINE_COMMANDS, data)


def explain_capture(data: bytes) -> bytes:
    """The capture the ``explain`` target's program ``data`` plays (:mod:`fuzz.scenario`)."""
    from fuzz.adversarial import pcap_bytes
    from fuzz.scenario import build

    return pcap_bytes(build(data))


def explain_target(data: bytes) -> None:
    _one_of(EXPLAIN_COMMANDS, data, explain_capture(data))


def every_command(data: bytes) -> None:
    """Every command of the capture targets on one input: for replaying regression inputs."""
    path = _as_file(data)
    for args in PIPELINE_COMMANDS + TIMELINE_COMMANDS + EXPLAIN_COMMANDS:
        run_command([a.format(**{"in": path, "work": _work(), "keys": _keys()}) for a in args])
        _clean()


_packets: list = []


def _sample_packets() -> list:
    """A few decoded packets of the shipped captures, for filters to run on."""
    if not _packets:
        from analyzer.pipeline import Pipeline
        from fuzz.seeds import CAPTURES

        for name in ("lab_page_fetch.pcapng", "lab_dns_mix.pcapng", "lab_ipv6_page_fetch.pcapng"):
            with capture_mod.open_capture(CAPTURES / name) as reader:
                _packets.extend(list(Pipeline().run(reader))[:40])
    return _packets


def filter_target(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    try:
        keep = filter_mod.compile_filter.__wrapped__(text)
    except filter_mod.FilterError as err:
        err.render()
        return
    for pkt in _sample_packets():
        keep(pkt)
    # the same filter compiled to column masks (conversations, -T fields) and to the conversations it rules out
    # (read -Y): declining is fine, raising is not
    from analyzer.filter._vector import conversation_filter, vector_filter

    vector, never = vector_filter(text), conversation_filter(text)
    for batch, columns in _sample_batches():
        if vector is not None:
            vector.mask(batch, columns)
        if never is not None:
            never.never(batch, columns)


_batches: list = []


def _sample_batches() -> list:
    if not _batches:
        from analyzer.columnar.headers import parse
        from fuzz.seeds import CAPTURES

        for name in ("lab_page_fetch.pcapng", "lab_ipv6_page_fetch.pcapng"):
            with capture_mod.open_capture(CAPTURES / name) as reader:
                _batches.extend((batch, parse(batch)) for batch in reader.batches())
    return _batches


def tls_chunks(data: bytes) -> list[tuple[int, bytes]]:
    """``[direction][length, 2 bytes][bytes]`` chunks (a short last one taken as it is)."""
    chunks, i = [], 0
    while i + 3 <= len(data):
        n = int.from_bytes(data[i + 1:i + 3], "big")
        chunks.append((data[i] & 1, data[i + 3:i + 3 + n]))
        i += 3 + n
    return chunks


_keylog: list = []


def tls_target(data: bytes) -> None:
    from analyzer.apps.tls.keylog import parse_keylog
    from analyzer.apps.tls.session import decode_stream

    if not _keylog:
        _keylog.append(parse_keylog(Path(_keys()).read_bytes()))
    decode_stream(tls_chunks(data), _keylog[0])


_streams: list = []


def keylog_target(data: bytes) -> None:
    """The key log parsed (its problems as the CLI prints them), looked up, merged as a pcapng Decryption
    Secrets Block is, and then used: one of the TLS fixtures' streams (picked by the input) decoded with it,
    so mutated secrets (of an allowed length but wrong, for the fixtures' own client randoms) go through key
    derivation and decryption, where a key log's values are read."""
    from analyzer.apps.tls.keylog import SECRETS_TLS_KEY_LOG, KeyLog, parse_keylog, secrets_receiver
    from analyzer.apps.tls.session import decode_stream

    log = parse_keylog(data)
    len(log)
    for problem in log.problems:
        str(problem).encode("utf-8")            # what a terminal gets (strict)
    for line in data.split(b"\n")[:8]:
        parts = line.split()
        if len(parts) == 3:
            try:
                random = bytes.fromhex(parts[1].decode("ascii", "replace"))
                log.lookup(parts[0].decode("ascii", "replace"), random)
                log.has_random(random)
            except ValueError:          # not hex: no client random to look up
                pass
    merged = KeyLog()
    secrets_receiver(merged)(SECRETS_TLS_KEY_LOG, data)
    if not _streams:
        from fuzz.seeds import _tls_streams

        _streams.extend(_tls_streams())
    if _streams:
        decode_stream(tls_chunks(_streams[zlib.crc32(data) % len(_streams)]), merged.merge(log))


TARGETS: dict[str, Callable[[bytes], None]] = {
    "decode": decode_target,
    "capture": capture_target,
    "pipeline": pipeline_target,
    "timeline": timeline_target,
    "explain": explain_target,
    "filter": filter_target,
    "tls": tls_target,
    "keylog": keylog_target,
}
