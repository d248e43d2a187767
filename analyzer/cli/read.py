"""``analyzer read FILE``: print a capture frame by frame, like ``tshark -r FILE``.

Default: one summary line per frame. ``-V`` the layer tree with annotations, ``-x`` a hex dump, ``--json``
JSON Lines (one object per frame, Wireshark field names), ``-w OUT`` writes the frames to a new capture
instead of printing them, ``-c N`` stops after N frames.

What can go wrong, and what the user sees:

- the file cannot be read as a capture (missing, a directory, not a capture, no permission): one line on
  stderr, exit code 2, no traceback;
- the file is damaged part-way (truncated tail, corrupt block): every good frame is printed, and a warning
  naming the file and byte offset goes to stderr;
- a frame does not decode completely: its line ends with ``[Malformed Packet]`` or ``[Packet size limited
  during capture]``; the tree shows the failure as an expert-info line;
- stdout closes early (``analyzer read big.pcap | head``): exit quietly.

Progress (frames, bytes, rate) goes to stderr only when stderr is a terminal, the frames are not going to
the same terminal, and the output is not JSON; it is redrawn a few times per second at most.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import sys
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TextIO

import click

from analyzer.cli._common import decode_as_option, keylog_option, load_keylog
from analyzer.cli.main import main
from analyzer.filter.cli import display_filter_option
from analyzer.report.safe import visible

EXIT_USAGE = 2


class Progress:
    """``frames, MB, rate`` on one stderr line, redrawn at most every ``interval`` seconds."""

    def __init__(self, stream: TextIO, reader, interval: float = 0.25):
        self.stream = stream
        self.reader = reader
        self.interval = interval
        self.start = time.monotonic()
        self.next_draw = self.start + interval
        self.drawn = False

    def tick(self, frames: int) -> None:
        now = time.monotonic()
        if now < self.next_draw:
            return
        self.next_draw = now + self.interval
        elapsed = max(now - self.start, 1e-9)
        done = self.reader.bytes_read
        size = getattr(self.reader, "size", 0) or 0
        percent = f" ({100 * done / size:.0f}%)" if size and done <= size else ""
        self.stream.write(f"\r{frames:,} frames, {done / 1e6:,.1f} MB{percent}, "
                          f"{frames / elapsed:,.0f} frames/s\x1b[K")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


class _Output:
    """Buffered stdout: text is joined and written in batches (one line at a time on a terminal).

    After :meth:`use_bytes`, ``add`` takes UTF-8 bytes, written to the stream's binary buffer."""

    def __init__(self, stream: TextIO, batch: int):
        self.stream = stream
        self.batch = batch
        self.parts: list = []
        self.raw = None

    def use_bytes(self) -> bool:
        """Take UTF-8 bytes from now on, when the stream has a binary buffer and writes UTF-8 (saves a decode
        and an encode per line); False leaves the output taking text."""
        raw = getattr(self.stream, "buffer", None)
        try:
            utf8 = codecs.lookup(getattr(self.stream, "encoding", None) or "").name == "utf-8"
        except LookupError:
            utf8 = False
        if raw is None or not utf8:
            return False
        self.flush()
        self.stream.flush()     # nothing the text layer holds may come after the bytes
        self.raw = raw
        return True

    def add(self, text) -> None:
        parts = self.parts
        parts.append(text)
        if len(parts) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            if self.raw is not None:
                self.raw.write(b"".join(self.parts))
                self.parts.clear()
                self.raw.flush()
            else:
                self.stream.write("".join(self.parts))
                self.parts.clear()
                self.stream.flush()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    sys.stdout.flush()
    click.echo(f"analyzer: error: {visible(message)}", err=True)  # a file name can hold escape sequences
    sys.exit(code)


def _quiet_broken_pipe() -> None:
    """stdout's reader went away: point stdout at /dev/null so the final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@main.command("read")
@click.argument("files", nargs=-1, metavar="[FILE...]")
@click.option("-r", "--read-file", "read_file", metavar="FILE", multiple=True,
              help="A capture to read (same as FILE; may be repeated).")
@click.option("-c", "--count", type=click.IntRange(min=1), metavar="N", help="Stop after N frames.")
@click.option("-V", "--verbose", "tree", is_flag=True, help="Show each frame's layer tree, annotated.")
@click.option("-x", "--hex", "hexdump", is_flag=True, help="Show each frame's bytes as a hex dump.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON Lines: one object per frame, keys are Wireshark field names.")
@click.option("-w", "--write", "out", metavar="OUT",
              help="Write the frames to OUT instead of printing them (.pcapng -> pcapng, else pcap).")
@click.option("-T", "output_format", type=click.Choice(["text", "fields"]), default="text",
              help="Output format: text (summary lines) or fields (the -e fields, tab-separated, like tshark).")
@click.option("-e", "field_names", multiple=True, metavar="FIELD",
              help="With -T fields: a field to print (Wireshark name, e.g. ip.src); repeat for more.")
@click.option("-E", "field_options", multiple=True, metavar="KEY=VALUE",
              help="With -T fields: header=y, separator=/t|/s|C, aggregator=,|/s|C, occurrence=f|l|a, "
                   "quote=d|s|n (as tshark).")
@keylog_option
@decode_as_option
@display_filter_option
def read_command(files: tuple[str, ...], read_file: tuple[str, ...], count: int | None, tree: bool, hexdump: bool,
                 as_json: bool, out: str | None, output_format: str = "text", field_names: tuple = (),
                 field_options: tuple = (), keylog_path: str | None = None, display_filter=None,
                 decode_as: tuple = ()) -> None:
    """Read pcap/pcapng captures (gzip too) and print them frame by frame, like `tshark -r FILE`.

    Several captures are merged by time (as mergecap would), each frame keeping its interface: the
    interface name (frame.interface_name; a file's name when it has none) is then a column. - (or -r -)
    is standard input.

    HTTPS is decrypted with the TLS keys the client wrote: run the browser or curl with SSLKEYLOGFILE=keys.txt
    while capturing, then give --keylog keys.txt (a pcapng that carries its keys needs nothing).

    \b
    Examples:
      analyzer read capture.pcapng
      analyzer read -c 10 -V capture.pcapng
      analyzer read --json capture.pcapng > frames.jsonl
      analyzer read capture.pcap.gz -w copy.pcapng
      analyzer read -Y 'dns or tcp.flags.syn == 1' capture.pcapng
      analyzer read -T fields -e frame.number -e ip.src -e tcp.dstport capture.pcapng
      analyzer read --keylog keys.txt -Y http https.pcapng
      analyzer read -d udp.port==5300,dns capture.pcapng
    """
    paths = list(read_file) + list(files)
    if not paths:
        raise click.UsageError("missing the capture file to read (analyzer read FILE)")
    if len(set(paths)) < len(paths):
        raise click.UsageError("a capture is given twice (FILE and -r FILE name the same file)")
    if as_json and (tree or hexdump):
        raise click.UsageError("--json cannot be combined with -V or -x")
    for path in paths:
        if out is not None and os.path.exists(out) and os.path.exists(path) and os.path.samefile(path, out):
            raise click.UsageError(f"-w {out} would overwrite the capture being read")
    fields = None
    if output_format == "fields":
        from analyzer.report.fields import FieldsError, FieldsFormat

        if as_json or tree or hexdump or out is not None:
            raise click.UsageError("-T fields cannot be combined with --json, -V, -x or -w")
        try:
            fields = FieldsFormat(list(field_names), list(field_options))
        except FieldsError as exc:
            raise click.UsageError(str(exc)) from None
        for name in fields.unproduced:
            click.echo(f"analyzer: warning: {name} is a Wireshark field the analyzer does not produce; "
                       f"its column stays empty", err=True)
    elif field_names or field_options:
        raise click.UsageError("-e and -E need -T fields")
    keylog = load_keylog(keylog_path)
    try:
        if out is None:
            _read(paths, count, tree, hexdump, as_json, out, display_filter, fields, keylog)
        else:
            # -w goes to a temporary file renamed into place at the end: a run that is interrupted or fails
            # leaves no half-written capture under OUT
            from analyzer.capture import CaptureError
            from analyzer.cli._output import atomic_output

            try:
                with atomic_output(out) as tmp:
                    _read(paths, count, tree, hexdump, as_json, str(tmp), display_filter, fields, keylog, out)
            except CaptureError as exc:         # the last buffered bytes could not be written (a full disk)
                _fail(str(exc))
            except OSError as exc:
                if isinstance(exc, BrokenPipeError):
                    raise
                _fail(f"{out}: cannot write: {exc.strerror or exc}")
    except BrokenPipeError:
        _quiet_broken_pipe()
        sys.exit(0)


def _read(paths: list[str], count: int | None, tree: bool, hexdump: bool, as_json: bool, out: str | None,
          keep=None, fields=None, keylog=None, out_name: str | None = None) -> None:
    """``out``: where -w writes (a temporary file), ``out_name``: the file the user named (in messages)."""
    import analyzer
    from analyzer.api.packets import analyze
    from analyzer.apps.tls.keylog import KeyLog
    from analyzer.capture import CaptureError, open_writer

    stdout, stderr = sys.stdout, sys.stderr
    try:
        stdout.reconfigure(errors="backslashreplace")  # a non-UTF-8 terminal gets escapes, not a crash
    except (AttributeError, ValueError):
        pass
    printing = out is None or tree or hexdump or as_json
    output = _Output(stdout, batch=1 if _isatty(stdout) else 512)

    def warn(warning) -> None:
        output.flush()
        if progress is not None:
            progress.clear()
        stderr.write(f"analyzer: warning: {visible(str(warning))}\n")
        stderr.flush()

    progress = None
    writer = None
    keylog = keylog if keylog is not None else KeyLog()
    held_secrets: list[tuple[int, bytes]] = []

    def secrets(kind: int, data: bytes) -> None:
        """A Decryption Secrets Block (its TLS keys join ``keylog`` as they are read): -w keeps it (pcapng)."""
        if writer is not None:
            writer.write_secrets(kind, data)
        else:
            held_secrets.append((kind, data))

    try:
        with analyzer.open(paths, keylog=keylog, on_warning=warn).open(on_secrets=secrets) as reader:
            if _isatty(stderr) and not as_json and fields is None and (not printing or not _isatty(stdout)):
                progress = Progress(stderr, reader)
            # one capture file (a directory or glob is several, merged: no batches)
            batches = hasattr(reader, "batches")
            if fields is not None and count is None and out is None and batches:
                from analyzer.columnar.fields import column_lines, columnar_fields
                from analyzer.filter._vector import vector_filter

                if columnar_fields(fields.names) and (keep is None or vector_filter(keep.text) is not None):
                    # every field (and every field of -Y) is a header column: no per-frame decoding
                    # (analyzer.columnar.fields)
                    if fields.header:
                        output.add(fields.header_line() + "\n")
                    for text in column_lines(reader, fields, keep):
                        output.add(text)
                        output.flush()      # a batch's lines at a time: memory stays flat
                    return
            frames: Iterable = reader if count is None else islice(reader, count)
            times: dict[int, int] = {}      # frame number -> time, the last few frames (-V under -Y)
            summary = None
            pipelines: list = []
            http_of = None      # lines=True: the HTTP tracker, holding the Info texts of packets not made
            if keep is not None:
                # -Y: every frame is analysed (TCP and HTTP state need them all); the matching packets go on,
                # and -w writes their frames (an IP datagram's fragments together). -c counts frames read,
                # as in tshark 4.0.
                from analyzer.filter.apply import matching_packets

                writer = _open_writer(open_writer, out, held_secrets, reader, out_name)
                first: list[int] = []
                never = None
                if batches and not (as_json or tree or hexdump or fields is not None) and \
                        (out is None or getattr(reader, "format", "") == "pcap"):
                    # text lines, or -w from a classic pcap (no interface names or key blocks to keep in step):
                    # conversations the filter can never match are left out (not decoded, not analysed) when
                    # their addresses and ports tell (analyzer.filter.apply)
                    from analyzer.filter._vector import conversation_filter

                    never = conversation_filter(keep.text)
                if never is not None:
                    from analyzer.filter._vector import vector_filter
                    from analyzer.filter.apply import conversation_frames, decided_filter

                    # where the header columns decide the filter, a packet is not tested (nor flattened) again
                    vector = vector_filter(keep.text)
                    verdicts: dict[int, bool] = {}
                    # with the columns' verdicts, a segment the TCP tracker alone answers for is not decoded
                    # (a HeaderOnly: its line from its headers, its packet made only if the filter needs it)
                    steady = None
                    if vector is not None and out is None:
                        # text lines: a steady segment the columns decided is taken and its line made in one
                        # compiled call (read_steady, as without -Y), the line kept when the frame matched
                        from analyzer.report.summary import Summary

                        summary = Summary(0, getattr(reader, "time_digits", None))
                        steady = (summary, _pcap_digits(reader), verdicts, first.__getitem__)
                    packets = matching_packets(conversation_frames(reader.batches(), never, pipelines, count,
                                                                   first, vector, verdicts),
                                               keep if vector is None else decided_filter(keep, verdicts), writer,
                                               keylog, pipelines, headers=vector is not None,
                                               lines=vector is not None and out is None, steady=steady)
                    if vector is not None and out is None:
                        http_of = _http_tracker(pipelines)
                else:
                    packets = matching_packets(_note_first_time(frames, first, times), keep, writer, keylog)
                t0_of = first.__getitem__
            else:
                if out is not None:
                    writer = _open_writer(open_writer, out, held_secrets, reader, out_name)
                    frames = _tee(frames, writer)
                if printing and not (as_json or tree or hexdump or fields is not None):
                    # text lines: a segment the TCP tracker alone answers for is not decoded (its line comes
                    # from its headers and the tracker's fields)
                    from analyzer.filter.apply import analyzed
                    from analyzer.report.summary import Summary

                    # one capture: a steady segment's line is made as the tracker takes it (the time column's
                    # decimals are the file's: one number for a classic pcap)
                    summary = Summary(0, getattr(reader, "time_digits", None)) if len(paths) == 1 else None
                    packets = analyzed(frames, keylog, pipelines, headers=True, lines=True,
                                       dns_lines=len(paths) == 1, summary=summary, digits=_pcap_digits(reader))
                    http_of = _http_tracker(pipelines)
                else:
                    packets = analyze(frames, keylog) if printing else frames
                t0_of = None
            if not printing:
                _drain(packets, progress)
            elif fields is not None:
                _print_fields(packets, output, fields)
            elif as_json:
                _print_json(packets, output)
            else:
                width = max((len(i.name) for i in reader.interfaces), default=0) if len(paths) > 1 else 0
                _print_text(packets, output, tree, hexdump, progress, t0_of, width,
                            getattr(reader, "time_digits", None), times if keep is not None else None, http_of,
                            summary)
            output.flush()
    except CaptureError as exc:
        output.flush()
        if progress is not None:
            progress.clear()
        _fail(str(exc))
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        output.flush()
        _fail(f"{exc.filename or paths[0]}: {exc.strerror or exc}")
    except Exception:
        # a bug: what was already printed still goes out before the last-resort handler's line
        with contextlib.suppress(OSError, ValueError):
            output.flush()
        raise
    finally:
        if progress is not None:
            progress.clear()
        if writer is not None:
            writer.close()      # CaptureError naming the file when its last bytes cannot be written


def _pcap_digits(reader) -> int | None:
    """The time column's decimals when one number holds for the whole file (a classic pcap: 6, or 9 for
    nanoseconds), else None (pcapng: each interface its own)."""
    nano = getattr(reader, "nanosecond", None)
    return (9 if nano else 6) if getattr(reader, "format", "") == "pcap" and nano is not None else None


def _open_writer(open_writer, out: str | None, held: list[tuple[int, bytes]], source=None,
                 name: str | None = None):
    """The -w writer (keeping what describes the ``source`` capture), with the decryption secrets read
    before it was opened (pcapng keeps them); ``name``: what its errors call the file."""
    if out is None:
        return None
    writer = open_writer(out, source=source)
    if name is not None:
        writer.name = name
    for kind, data in held:
        writer.write_secrets(kind, data)
    held.clear()
    return writer


def _note_first_time(frames: Iterable, first: list[int], times: dict[int, int] | None = None) -> Iterator:
    """Pass frames through, keeping the first one's timestamp in ``first`` and, in ``times``, those of the
    last frames (so a displayed frame's tree can say the time since the previous captured one)."""
    for frame in frames:
        if not first:
            first.append(frame.ts_ns)
        if times is not None:
            times[frame.number] = frame.ts_ns
            if len(times) > 4096:
                for number in list(times)[:2048]:
                    del times[number]
        yield frame


def _http_tracker(pipelines: list):
    """The HTTP tracker of the pipeline :func:`analyzed` puts in ``pipelines`` (once it runs)."""
    return lambda: pipelines[0].transactions.http


def _tee(frames: Iterable, writer) -> Iterator:
    write = writer.write
    for frame in frames:
        write(frame)
        yield frame


def _drain(frames: Iterable, progress: Progress | None) -> None:
    n = 0
    for n, _frame in enumerate(frames, 1):
        if progress is not None and not n & 255:
            progress.tick(n)


def _print_json(packets: Iterable, output: _Output) -> None:
    from analyzer.report.jsonlines import json_line, json_line_bytes

    add = output.add
    if output.use_bytes():
        for pkt in packets:
            add(json_line_bytes(pkt) + b"\n")
        return
    for pkt in packets:
        add(json_line(pkt) + "\n")


def _print_fields(packets: Iterable, output: _Output, fields) -> None:
    add = output.add
    line = fields.line
    if fields.header:
        add(fields.header_line() + "\n")
    if fields.computed:
        for pkt in packets:
            add(line(pkt.fields, pkt) + "\n")
        return
    for pkt in packets:
        add(line(pkt.fields) + "\n")


def _print_text(packets: Iterable, output: _Output, tree: bool, hexdump: bool,
                progress: Progress | None, t0_of=None, interface_width: int = 0, digits_of=None,
                times: dict[int, int] | None = None, http_of=None, summary=None) -> None:
    """``t0_of(0)``, when given, is the time of the capture's first frame: with -Y the first line shown need
    not be the first frame, and times stay relative to the capture's start, as tshark shows them; ``times``
    (frame number -> time of the last frames read) gives -V the previous captured frame's time under -Y.
    ``digits_of(frame)``: the decimals of the time column (the file's precision). ``http_of()``: the HTTP
    tracker of packets analysed with ``lines=True`` (:func:`analyzer.filter.apply.analyzed`), where a
    HeaderOnly segment in which HTTP messages ended has their Info texts: its line is the header line with
    the HTTP protocol and those texts (the line of its packet with the http layers, made when the header line
    cannot be)."""
    from analyzer.pipeline import HeaderOnly
    from analyzer.report.hexdump import packet_hexdump
    from analyzer.report.summary import Summary
    from analyzer.report.tree import Tree

    if summary is None:
        summary = Summary(interface_width, digits_of)
    header_line = summary.header_line
    if not (tree or hexdump):
        _print_lines(packets, output, summary, progress, t0_of, http_of)
        return
    tree_state = Tree(times)
    add = output.add
    n = 0
    for n, pkt in enumerate(packets, 1):
        if t0_of is not None and summary.t0_ns is None:
            summary.t0_ns = t0_of(0)
            tree_state.t0_ns = summary.t0_ns
        if tree or hexdump:
            parts = []
            if tree:
                parts.append(tree_state.render(pkt) + "\n\n")
            if hexdump:
                parts.append(packet_hexdump(pkt) + "\n\n")
            add("".join(parts))
        elif pkt.__class__ is HeaderOnly:
            if http_of is not None:
                add(header_only_line(summary, pkt, http_of()) + "\n")
            else:
                line = header_line(pkt)
                add((summary.line(pkt.packet()) if line is None else line) + "\n")
        else:
            add(summary.line(pkt) + "\n")
        if progress is not None and not n & 255:
            progress.tick(n)


def _print_lines(packets: Iterable, output: _Output, summary, progress: Progress | None, t0_of=None,
                 http_of=None) -> None:
    """:func:`_print_text` without -V or -x: one summary line per packet (the loop with nothing else in it); a
    ``str`` among the packets is its line already (:func:`analyzer.filter.apply.analyzed` with ``summary``)."""
    from analyzer.pipeline import HeaderOnly
    from analyzer.report.dns_lines import DnsLine

    header_line, line_of = summary.header_line, summary.line
    parts, batch, flush = output.parts, output.batch, output.flush     # output.add, inlined
    http = None
    for n, pkt in enumerate(packets, 1):
        if summary.t0_ns is None and t0_of is not None:
            summary.t0_ns = t0_of(0)
        if pkt.__class__ is str:
            line = pkt
        elif pkt.__class__ is HeaderOnly:
            if http_of is not None:
                if http is None:
                    http = http_of()        # the pipeline's HTTP tracker exists once packets come
                line = header_only_line(summary, pkt, http)
            else:
                line = header_line(pkt)
                if line is None:
                    line = line_of(pkt.packet())
        elif pkt.__class__ is DnsLine:
            line = summary.dns_line(pkt)
        else:
            line = line_of(pkt)
        parts.append(line + "\n")
        if len(parts) >= batch:
            flush()
        if progress is not None and not n & 255:
            progress.tick(n)


def header_only_line(summary, res, http) -> str:
    """The line of a segment the pipeline ran from its headers (a :class:`~analyzer.pipeline.HeaderOnly`) when
    it was analysed with ``lines=True`` (:func:`analyzer.filter.apply.analyzed`): ``http``, the pipeline's HTTP
    tracker, holds the Info texts of the HTTP messages that ended in it, whose layers its packet would carry.
    The line is what :meth:`Summary.line <analyzer.report.summary.Summary.line>` gives that packet: the header
    line with the HTTP protocol and those texts, or the packet's own line, made, where the header line
    cannot be (tests/test_read_fast_lines.py)."""
    line = summary.header_line(res)
    frame = res.frame
    if http.infos and frame.number in http.infos:
        if line is not None and len(frame.data) == frame.origlen:
            from analyzer.report.summary import tcp_analysis_prefix  # loaded with Summary already

            texts = "".join(http.take_infos(frame.number))
            return f"{line[:line.index(' TCP ')]} HTTP {frame.origlen} {tcp_analysis_prefix(res.fields)}{visible(texts)}"
        packet = res.packet()
        http.packet(packet)         # the http layers go on the packet
        return summary.line(packet)
    return summary.line(res.packet()) if line is None else line
