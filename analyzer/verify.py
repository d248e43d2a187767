"""The analyzer against Wireshark: the same capture decoded by both, compared field by field, frame by frame.

Theory of operation
-------------------
The comparison is sans-IO: :class:`Comparer` is fed, frame by frame, two dicts ``field name -> list of
values as text`` (ours and tshark's) and keeps the counts and the first differences; :meth:`Comparer.summary`
gives a :class:`Summary`. It never reads a file or runs a program, so tests feed it dicts directly.

Both sides are turned into the same text first: tshark's own ``-T fields`` text (which is what
:class:`analyzer.decode.packet.Packet` field values follow: hex-shown fields as ``"0x0012"``, ints in decimal,
booleans 0/1, bytes as hex, and in strings ``\\b \\f \\n \\r \\t`` written as escapes). :func:`tshark_text` does
that to our values.

The two readers around it:

* :func:`analyzer_frames` runs the capture through :class:`analyzer.pipeline.Pipeline` with the HTTP/DNS
  transaction stage (:class:`analyzer.apps.transactions.Transactions`) and takes each packet's fields as the
  pipeline hands it out. That is single-pass, as tshark without ``-2`` is: fields a later frame adds to an
  earlier one (``http.response_in``, ``dns.response_in``) are on neither side.
* :func:`tshark_frames` runs ``tshark -n -r FILE -T fields -E occurrence=a`` with one ``-e`` per field. pyshark
  finds the tshark binary and its version (``pyshark.tshark.tshark``, which honours pyshark's config.ini);
  the values come from ``-T fields`` rather than from ``pyshark.FileCapture(use_json=True)`` because
  ``-T fields`` prints exactly the text the analyzer's field contract is written against, whereas tshark's
  JSON gives nested trees with different text for the same value (bytes as ``47:45:54`` instead of
  ``474554``, strings unescaped, ``Label`` fields as ``""``), which would have to be translated back before
  comparing, and the JSON route costs an order of magnitude more time per packet.

Which fields: by default every field of the analyzer's JSON vocabulary — the names the decoders and stages
put on packets (:func:`vocabulary`, from the field table of :mod:`analyzer.filter`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from analyzer.decode.packet import EMPTY_BYTES

AGGREGATOR = "\x1f"       # between the occurrences of one field in tshark's output
# No name resolution; dissection preferences are tshark's defaults but one: the analyzer reassembles TCP
# segments that arrive out of order (a retransmission filling a hole), which Wireshark 4.0 does only with
# tcp.reassemble_out_of_order on (docs/DIFFERENCES.md).
TSHARK_ARGS = ("-n", "-o", "tcp.reassemble_out_of_order:TRUE")
# The analyzer always verifies IP/TCP/UDP checksums; tshark's default leaves them "unverified". Their status
# fields come from a second tshark run that verifies them: not the main run, because tshark then refuses to
# reassemble TCP segments with bad checksums (offloaded ones, on the sending host), and HTTP would differ.
VERIFIED_CHECKSUMS = {"ip.checksum.status": "ip", "tcp.checksum.status": "tcp", "udp.checksum.status": "udp"}
# The analyzer names a checksum's status; tshark -T fields prints Wireshark's number for it.
CHECKSUM_STATUS = {"Bad": "0", "Good": "1", "Unverified": "2", "Not present": "3", "Illegal": "4"}
_ESCAPES = str.maketrans({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


class TsharkMissing(Exception):
    """tshark (Wireshark's command-line tool) is not installed, or not where pyshark looks for it."""


class TsharkFailed(Exception):
    """tshark ran but could not read the capture (its message)."""


# -- values as text --------------------------------------------------------------------------------------
def tshark_text(value: Any) -> str:
    """One field value as ``tshark -T fields`` prints it."""
    if type(value) is str:
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex() or EMPTY_BYTES
    return str(value)


def field_texts(fields: dict[str, Any], names: Iterable[str] | None = None) -> dict[str, list[str]]:
    """``Packet.fields`` (or a subset) as ``name -> [text, ...]``; fields tshark would print empty (an empty
    string) are left out, as tshark's output cannot tell them from absent ones."""
    out: dict[str, list[str]] = {}
    items = fields.items() if names is None else ((n, fields.get(n)) for n in names)
    for name, value in items:
        if value is None:
            continue
        texts = [tshark_text(v) for v in value] if type(value) is list else [tshark_text(value)]
        if name.endswith(".checksum.status"):
            texts = [CHECKSUM_STATUS.get(t, t) for t in texts]
        if any(texts):
            out[name] = texts
    return out


# -- the comparison (sans-IO) ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Difference:
    """One field of one frame that differs; ``ours``/``theirs`` are None when that side lacks the field
    (both None: the frame itself is missing on one side, see ``note``)."""
    frame: int
    field: str
    ours: tuple[str, ...] | None
    theirs: tuple[str, ...] | None
    note: str = ""

    def describe(self) -> str:
        if self.note:
            return f"frame {self.frame}: {self.note}"
        return (f"frame {self.frame} {self.field}: analyzer {_show(self.ours)}, "
                f"tshark {_show(self.theirs)}")


def _show(values: tuple[str, ...] | None) -> str:
    if values is None:
        return "(absent)"
    text = ", ".join(f'"{v}"' if len(v) <= 60 else f'"{v[:57]}..."' for v in values[:4])
    return text + (f", ... ({len(values)} values)" if len(values) > 4 else "")


@dataclass
class FieldTally:
    compared: int = 0
    equal: int = 0
    missing: int = 0        # tshark has it, we do not
    extra: int = 0          # we have it, tshark does not
    differ: int = 0         # both have it, other values

    @property
    def different(self) -> int:
        return self.missing + self.extra + self.differ


@dataclass
class Summary:
    """What :class:`Comparer` found. ``ok`` when every compared field of every frame is equal and both sides
    have the same frames."""
    fields: tuple[str, ...]
    frames_ours: int = 0
    frames_tshark: int = 0
    frames_compared: int = 0
    frames_only_ours: int = 0
    frames_only_tshark: int = 0
    compared: int = 0
    equal: int = 0
    missing: int = 0
    extra: int = 0
    differ: int = 0
    per_field: dict[str, FieldTally] = field(default_factory=dict)
    first: list[Difference] = field(default_factory=list)

    @property
    def different(self) -> int:
        return self.missing + self.extra + self.differ

    @property
    def ok(self) -> bool:
        return self.different == 0 and self.frames_only_ours == 0 and self.frames_only_tshark == 0

    def fields_with_differences(self) -> list[tuple[str, FieldTally]]:
        """Fields that differ somewhere, the most different first."""
        rows = [(name, tally) for name, tally in self.per_field.items() if tally.different]
        return sorted(rows, key=lambda row: (-row[1].different, row[0]))


class Comparer:
    """Feed it each frame's two field dicts (``add``); ask for the ``summary`` at the end.

    ``fields``: the names to compare (others in the dicts are ignored); ``limit``: how many differences
    to keep in ``Summary.first``, in frame order.
    """

    def __init__(self, fields: Iterable[str], limit: int = 20):
        self.names = tuple(dict.fromkeys(fields))
        self.limit = limit
        self._summary = Summary(self.names)

    def add(self, number: int, ours: dict[str, list[str]] | None, theirs: dict[str, list[str]] | None) -> None:
        """One frame; None for a side that does not have the frame at all."""
        s = self._summary
        if ours is not None:
            s.frames_ours += 1
        if theirs is not None:
            s.frames_tshark += 1
        if ours is None or theirs is None:
            if ours is None and theirs is None:
                return
            if ours is None:
                s.frames_only_tshark += 1
                note = "only tshark has this frame"
            else:
                s.frames_only_ours += 1
                note = "only the analyzer has this frame"
            self._keep(Difference(number, "", None, None, note))
            return
        s.frames_compared += 1
        per_field = s.per_field
        for name in self.names:
            o = ours.get(name)
            t = theirs.get(name)
            if o is None and t is None:
                continue
            tally = per_field.get(name)
            if tally is None:
                tally = per_field[name] = FieldTally()
            tally.compared += 1
            s.compared += 1
            if o == t:
                tally.equal += 1
                s.equal += 1
                continue
            if o is None:
                tally.missing += 1
                s.missing += 1
            elif t is None:
                tally.extra += 1
                s.extra += 1
            else:
                tally.differ += 1
                s.differ += 1
            self._keep(Difference(number, name, None if o is None else tuple(o), None if t is None else tuple(t)))

    def _keep(self, diff: Difference) -> None:
        if len(self._summary.first) < self.limit:
            self._summary.first.append(diff)

    def summary(self) -> Summary:
        return self._summary


def compare(ours: Iterable[tuple[int, dict[str, list[str]]]], theirs: Iterable[tuple[int, dict[str, list[str]]]],
            fields: Iterable[str], limit: int = 20) -> Summary:
    """Compare two streams of ``(frame number, fields)`` in frame order (see :class:`Comparer`)."""
    comparer = Comparer(fields, limit)
    for number, a, b in merge_frames(ours, theirs):
        comparer.add(number, a, b)
    return comparer.summary()


def merge_frames(ours: Iterable[tuple[int, Any]], theirs: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any, Any]]:
    """Walk two frame-ordered streams together: ``(number, ours or None, theirs or None)``."""
    a_iter, b_iter = iter(ours), iter(theirs)
    a = next(a_iter, None)
    b = next(b_iter, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            yield a[0], a[1], None
            a = next(a_iter, None)
        elif a is None or b[0] < a[0]:
            yield b[0], None, b[1]
            b = next(b_iter, None)
        else:
            yield a[0], a[1], b[1]
            a = next(a_iter, None)
            b = next(b_iter, None)


# -- what to compare ---------------------------------------------------------------------------------------
def vocabulary() -> list[str]:
    """The analyzer's JSON vocabulary: every field name the decoders and stages may put on a packet."""
    from analyzer.filter import _vocabulary as vocab
    from analyzer.filter._fields import field_kind

    names = []
    for name in vocab.PRODUCED.split():
        if field_kind(name) == "proto" and name in vocab.DECODED_PROTOCOLS:
            continue        # a layer (protocol) name, not a field of the JSON output
        names.append(name)
    return sorted(names)


def boolean_fields(names: Iterable[str]) -> frozenset[str]:
    from analyzer.filter._fields import field_kind

    return frozenset(n for n in names if field_kind(n) == "bool")


# -- the analyzer's side -----------------------------------------------------------------------------------
def analyzer_frames(frames: Iterable, names: Iterable[str] | None = None,
                    keylog: Any = None) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """``(frame number, field texts)`` for each frame, through the pipeline and the transaction stage
    (:func:`analyzer.filter.apply.analyzed`); ``keylog``: TLS secrets (a KeyLog)."""
    from analyzer.filter.apply import analyzed

    wanted = None if names is None else tuple(names)
    for pkt in analyzed(frames, keylog):
        yield pkt.frame.number, field_texts(pkt.fields, wanted)


# -- tshark's side -----------------------------------------------------------------------------------------
def find_tshark() -> str:
    """The tshark binary, found the way pyshark finds it; TsharkMissing when there is none."""
    try:
        from pyshark.tshark.tshark import TSharkNotFoundException, get_process_path
    except ImportError:         # pyshark is a dependency, but tshark alone is enough
        path = shutil.which("tshark")
        if path is None:
            raise TsharkMissing("tshark is not installed") from None
        return path
    try:
        return get_process_path()
    except TSharkNotFoundException:
        raise TsharkMissing("tshark is not installed") from None


def tshark_version(tshark: str) -> str:
    """``4.0.17``, say (the first line of ``tshark -v``)."""
    out = subprocess.run([tshark, "-v"], capture_output=True, text=True, check=False).stdout
    m = re.search(r"\b(\d+\.\d+\.\d+)\b", out.split("\n", 1)[0])
    return m.group(1) if m else "unknown"


def open_tshark(tshark: str, path: str, names: list[str], prefs: Iterable[str] = (),
                decode_as: Iterable[str] = ()) -> tuple[list[str], Iterator[tuple[int, dict[str, list[str]]]]]:
    """Start ``tshark -T fields`` on ``path``: (the names it accepted, an iterator of ``(frame number, field
    texts)``). Names this tshark does not know are dropped; TsharkFailed when it cannot read the file.
    ``prefs`` are ``-o`` preference settings, ``decode_as`` ``-d`` ones (and heuristic switches,
    ``heuristic:quic=off``: :func:`analyzer.decode.decode_as.tshark_args`)."""
    from analyzer.decode.decode_as import tshark_args

    names = list(names)
    while True:
        argv = [tshark, *TSHARK_ARGS, *(a for p in prefs for a in ("-o", p)),
                *(a for d in decode_as for a in tshark_args(d)), "-r", str(path), "-T", "fields", "-E", "occurrence=a",
                "-E", f"aggregator={AGGREGATOR}", "-E", "separator=/t", "-e", "frame.number"]
        for name in names:
            if name != "frame.number":      # tshark keeps one column per name: frame.number is the first
                argv += ["-e", name]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                encoding="utf-8", errors="surrogateescape")
        first = proc.stdout.readline()
        if first:
            return names, _read_lines(proc, first, names)
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
        proc.wait()
        bad = set(_invalid_fields(err)) & set(names)
        if bad:
            names = [n for n in names if n not in bad]
            continue
        if proc.returncode != 0:
            raise TsharkFailed(_tshark_message(err) or f"tshark exited with status {proc.returncode}")
        return names, iter(())      # a capture without frames


def _read_lines(proc: subprocess.Popen, first: str, names: list[str]) -> Iterator[tuple[int, dict[str, list[str]]]]:
    booleans = boolean_fields(names)
    try:
        line = first
        while line:
            yield _parse_line(line, names, booleans)
            line = proc.stdout.readline()
    finally:
        proc.stdout.close()
        proc.stderr.close()
        proc.wait()


def _parse_line(line: str, names: list[str], booleans: frozenset[str]) -> tuple[int, dict[str, list[str]]]:
    cols = line.rstrip("\n").split("\t")
    out: dict[str, list[str]] = {}
    if "frame.number" in names:
        out["frame.number"] = [cols[0]]
    for name, text in zip([n for n in names if n != "frame.number"], cols[1:]):
        if text == "":
            continue
        values = text.split(AGGREGATOR)
        if name in booleans:    # tshark 4.2 prints booleans as True/False, 4.0 as 1/0
            values = ["1" if v == "True" else "0" if v == "False" else v for v in values]
        out[name] = values
    return int(cols[0]), out


def _invalid_fields(stderr: str) -> list[str]:
    """The names after tshark's "Some fields aren't valid:" line."""
    if "aren't valid" not in stderr:
        return []
    tail = stderr.split("aren't valid", 1)[1]
    return [line.strip() for line in tail.split("\n")[1:] if line.startswith("\t") and line.strip()]


def _tshark_message(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines()
             if line.strip() and not line.startswith("Running as user")]
    return " ".join(lines[:3]) + (" ..." if len(lines) > 3 else "")


def run(path: str, names: list[str] | None = None, limit: int = 20, tshark: str | None = None,
        on_warning=None, keylog_path: str | None = None, keylog: Any = None,
        decode_as: Iterable = ()) -> tuple[Summary, list[str]]:
    """Decode ``path`` with both and compare: (summary, the asked-for names this tshark does not know).
    ``on_warning`` receives our reader's CaptureWarnings (a damaged tail, say). ``keylog_path``: a TLS key log
    both sides decrypt with (tshark: ``-o tls.keylog_file:PATH``), already read into ``keylog`` (a KeyLog) by
    the caller; keys in the capture's Decryption Secrets Blocks are used by both sides anyway.
    ``decode_as``: Decode As rules (:class:`analyzer.decode.decode_as.Rule`, or tshark's text), applied to
    both sides.

    Raises CaptureError (from our reader, before tshark runs), TsharkMissing, TsharkFailed.
    """
    from analyzer.apps.tls.keylog import KeyLog, parse_keylog, secrets_receiver
    from analyzer.capture import open_capture
    from analyzer.decode.decode_as import decoding_as, spelling

    names = list(dict.fromkeys(names)) if names is not None else vocabulary()
    binary = tshark or find_tshark()
    if keylog is None:
        keylog = KeyLog()
        if keylog_path is not None:
            with open(keylog_path, "rb") as f:
                keylog.merge(parse_keylog(f.read()))
    tls_prefs = [f"tls.keylog_file:{keylog_path}"] if keylog_path is not None else []
    rules = [spelling(rule) for rule in decode_as]
    with decoding_as(rules), open_capture(path, on_warning=on_warning, on_secrets=secrets_receiver(keylog)) as reader:
        ours = analyzer_frames(reader, names, keylog)
        first = next(ours, None)
        checked = [n for n in names if n in VERIFIED_CHECKSUMS]
        main_names = [n for n in names if n not in VERIFIED_CHECKSUMS]
        decode_as = rules + (h2c_decode_as(path, binary) if any(n.startswith("http2.") for n in names) else [])
        kept, theirs = open_tshark(binary, path, main_names, tls_prefs, decode_as)
        if checked:
            prefs = [f"{VERIFIED_CHECKSUMS[n]}.check_checksum:TRUE" for n in checked]
            kept_checked, statuses = open_tshark(binary, path, checked, prefs, decode_as)
            kept = kept + kept_checked
            theirs = _merge_runs(theirs, statuses)
        rejected = [n for n in names if n not in kept]
        summary = compare(_chain(first, ours), theirs, kept, limit)
    return summary, rejected


def h2c_decode_as(path: str, tshark: str) -> list[str]:
    """``-d`` settings telling tshark which TCP ports carry HTTP/2 with prior knowledge (h2c).

    The analyzer recognises a connection that opens with the HTTP/2 preface on any port; tshark has no
    heuristic for HTTP/2 over TCP and finds it only on the ports its HTTP dissector watches (80, 8080...,
    where it also follows ``Upgrade: h2c``). So the server port of every segment that begins with the
    preface, unless tshark's HTTP dissector has that port already, is named to tshark as ``http2``.
    """
    from analyzer.apps.http2 import PREFACE
    from analyzer.capture import open_capture
    from analyzer.decode import decode

    ports: set[int] = set()
    with open_capture(path) as reader:
        for frame in reader:
            if PREFACE not in frame.data:       # a byte search: frames without it are not decoded
                continue
            pkt = decode(frame)
            tcp = pkt.layer("tcp")
            if tcp is not None and pkt.payload_bytes().startswith(PREFACE):
                ports.add(tcp.fields["tcp.dstport"])
    if not ports:
        return []
    table = subprocess.run([tshark, "-G", "decodes"], capture_output=True, text=True, check=False).stdout
    http_ports = {int(cols[1]) for cols in (line.split("\t") for line in table.splitlines())
                  if len(cols) == 3 and cols[0] == "tcp.port" and cols[2] in ("http", "http2")
                  and cols[1].isdigit()}
    return [f"tcp.port=={port},http2" for port in sorted(ports - http_ports)]


def _merge_runs(main: Iterator, extra: Iterator) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """Two tshark runs over the same file, frame by frame (same frames, same order): one dict per frame."""
    for (number, fields), (_number, more) in zip(main, extra):
        fields.update(more)
        yield number, fields


def _chain(first, rest):
    if first is not None:
        yield first
        yield from rest
