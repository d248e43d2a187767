"""``analyzer.open(...)``: one capture (or several merged by time) and everything the analyzer finds in it.

    import analyzer
    cap = analyzer.open("captures/lab_page_fetch.pcapng")
    cap.dns.to_pandas()[["query", "qtype_name", "rtt"]]      # names looked up, and how long each took
    for c in cap.connections:                                # TCP connections (Zeek's conn.log)
        print(c.orig_h, c.resp_h, c.resp_p, c.orig_bytes, c.resp_bytes)

A :class:`Capture` reads its files only when asked, and at most once per kind of answer: the first of
``connections``, ``udp``, ``dns``, ``http``, ``files`` or ``tls`` runs one pass that fills all six
(:class:`analyzer.api.build.Analysis`); ``fetches`` (the timeline's page fetches) runs the timeline's pass;
``packets()`` reads the capture each time it is iterated. Standard input (``"-"``) can be read once: ask one
thing of such a capture.

``display_filter`` (a Wireshark display filter, text or compiled) narrows what each answer sees, as ``-Y``
does in the commands: ``packets()`` are the matching packets; ``connections``/``udp`` and ``fetches`` are
built from the matching frames; ``dns``/``http``/``files`` are the transactions with a matching request or
response frame.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer.api.iplevel import LocalNets
from analyzer.capture.merge import expand_inputs, open_inputs
from analyzer.capture.reader import CaptureWarning

if TYPE_CHECKING:
    from analyzer.api.build import Results
    from analyzer.api.packets import Packets
    from analyzer.api.tables import (
        ConnectionTable,
        DnsTable,
        FetchTable,
        FileTable,
        HttpTable,
        TlsTable,
        WebSocketTable,
    )

# (the analysis pass, the packets and the tables are imported where they are used: counting connections
# -- ``conversations`` -- needs none of them, and their modules take a tenth of the command's start-up)

Paths = str | os.PathLike | Iterable[str | os.PathLike]


class Capture:
    """One capture file, or several read as one (merged by time, see :mod:`analyzer.capture.merge`)."""

    def __init__(self, paths: Paths, *, keylog: Any = None, display_filter: Any = None,
                 on_warning: Callable[[CaptureWarning], None] | None = None, local_nets: Any = None):
        self.warnings: list[CaptureWarning] = []
        self._on_warning = on_warning
        self.paths = expand_inputs(paths, self._warn)
        if keylog is not None:
            from analyzer.apps.tls.keylog import KeyLog, parse_keylog

            if not isinstance(keylog, KeyLog):
                with Path(keylog).open("rb") as f:         # OSError: the caller's (a missing file)
                    keylog = KeyLog().merge(parse_keylog(f.read()))
        # TLS secrets: the key log given, and the keys of the captures' Decryption Secrets Blocks as they are
        # read (an empty one made when first asked for: the TLS modules are not imported before)
        self._keylog = keylog
        if isinstance(display_filter, str):
            from analyzer.filter import compile_filter

            display_filter = compile_filter(display_filter)
        self.display_filter = display_filter
        self.local_nets = local_nets_of(local_nets)
        self._results: Results | None = None
        self._filtered_conns: Results | None = None
        self._timeline: dict[tuple, Any] = {}

    @property
    def keylog(self) -> Any:
        """The TLS keys (:class:`analyzer.apps.tls.keylog.KeyLog`): the key log given, and those of the
        captures' Decryption Secrets Blocks read so far."""
        if self._keylog is None:
            from analyzer.apps.tls.keylog import KeyLog

            self._keylog = KeyLog()
        return self._keylog

    @keylog.setter
    def keylog(self, keylog: Any) -> None:
        self._keylog = keylog

    def __repr__(self) -> str:
        return f"<Capture {', '.join(self.paths)}>"

    def _warn(self, warning: CaptureWarning) -> None:
        self.warnings.append(warning)
        if self._on_warning is not None:
            self._on_warning(warning)

    # -- frames and packets ------------------------------------------------------------------------------
    def open(self, on_secrets: Callable[[int, bytes], None] | None = None):
        """A reader over the capture's frames (a context manager; iterate it for Frames, merged by time).
        Decryption Secrets Blocks add their TLS keys to ``keylog``; ``on_secrets(kind, data)`` sees them too."""
        def secrets(kind: int, data: bytes) -> None:
            from analyzer.apps.tls.keylog import secrets_receiver  # (a capture holding secrets only)

            secrets_receiver(self.keylog)(kind, data)
            if on_secrets is not None:
                on_secrets(kind, data)

        return open_inputs(self.paths, self._warn, secrets)

    def frames(self) -> Iterator[Any]:
        """The captured frames (integer-ns timestamps, bytes), merged by time; the files are closed at the end."""
        with self.open() as reader:
            yield from reader

    def packets(self) -> Packets:
        """The decoded packets, with every field of the analysis chain (see :mod:`analyzer.api.packets`)."""
        from analyzer.api.packets import Packets

        return Packets(self._packets)

    def _packets(self) -> Iterator[Any]:
        from analyzer.api.packets import analyze
        from analyzer.filter.apply import matching_packets

        with self.open() as reader:
            if self.display_filter is not None:
                yield from matching_packets(reader, self.display_filter, keylog=self.keylog)
            else:
                yield from analyze(reader, self.keylog)

    # -- tables ----------------------------------------------------------------------------------------------
    def analyze(self, **hooks: Any) -> Results:
        """The pass behind ``connections``, ``udp``, ``dns``, ``http`` and ``files`` (run once and kept).

        With ``hooks`` (:class:`analyzer.api.build.Analysis`'s ``sinks``, ``on_packet``, ``on_record``,
        ``body_limit``, ``fields``) a pass of its own runs with them, for a command that needs more than
        the records (the reassembled bytes of a stream, each TCP segment, each HTTP body)."""
        if self._results is not None and not hooks:
            return self._results
        from analyzer.api.build import Analysis, with_local_nets

        matcher = None
        if self.display_filter is not None:
            from analyzer.filter.apply import FrameMatcher

            matcher = FrameMatcher(self.display_filter)
        with self.open() as reader:
            results = with_local_nets(Analysis(matcher=matcher, keylog=self.keylog, **hooks).run(reader),
                                      self.local_nets)
        if matcher is not None:
            results.dns = [d for d in results.dns if matcher.any(d.query_frame, d.response_frame)]
            results.http = [h for h in results.http if matcher.any(h.request_frame, h.response_frame)]
            kept = {(h.uid, h.trans_depth) for h in results.http}
            results.files = [f for f in results.files if (f.uid, f.depth) in kept]
            results.tls = [t for t in results.tls if matcher.any(t.first_frame)]
        if not hooks:
            self._results = results
        return results

    def http_stream(self) -> Iterator[Any]:
        """The HTTP transactions (:class:`~analyzer.api.records.HttpTransaction`) in the order of
        ``analyze().http``, each as soon as its place is known (:meth:`Analysis.http_stream
        <analyzer.api.build.Analysis.http_stream>`): memory follows the open connections, not the file. Its
        own pass; no display filter (ValueError with one: use ``analyze()``)."""
        if self.display_filter is not None:
            raise ValueError("http_stream() takes no display filter: use analyze().http")
        from analyzer.api.build import Analysis

        with self.open() as reader:
            yield from Analysis(keylog=self.keylog).http_stream(reader)

    def count(self, details: bool = True) -> Results:
        """Only the connections and UDP conversations, by the fastest pass (headers only where it can;
        ``service`` is not known): what ``analyzer conversations`` prints. With a display filter, counted
        over the matching frames."""
        from analyzer.api.build import count, with_local_nets

        with self.open() as reader:
            frames: Iterable = reader
            if self.display_filter is not None:
                from analyzer.filter.apply import matching_frames

                frames = matching_frames(reader, self.display_filter, self.keylog)
            return with_local_nets(count(frames, details), self.local_nets)

    def _connections(self) -> Results:
        if self.display_filter is None:
            return self.analyze()
        if self._filtered_conns is None:
            from analyzer.api.build import Analysis, with_local_nets
            from analyzer.filter.apply import matching_frames

            with self.open() as reader:
                self._filtered_conns = with_local_nets(Analysis(keylog=self.keylog).run(
                    matching_frames(reader, self.display_filter, self.keylog)), self.local_nets)
        return self._filtered_conns

    @property
    def connections(self) -> ConnectionTable:
        """TCP connections (Zeek's conn.log rows, tshark's conversation numbers), in tcp.stream order."""
        from analyzer.api.tables import ConnectionTable

        return ConnectionTable(self._connections().connections)

    @property
    def udp(self) -> ConnectionTable:
        """UDP conversations, in udp.stream order."""
        from analyzer.api.tables import ConnectionTable

        return ConnectionTable(self._connections().udp)

    @property
    def icmp(self) -> ConnectionTable:
        """ICMP flows as Zeek's conn.log forms them (ports: type and counterpart type or code), by first frame."""
        from analyzer.api.tables import ConnectionTable

        return ConnectionTable(self._connections().icmp)

    @property
    def dns(self) -> DnsTable:
        """DNS transactions (queries with their responses, UDP and TCP), in the order they began."""
        from analyzer.api.tables import DnsTable

        return DnsTable(self.analyze().dns)

    @property
    def http(self) -> HttpTable:
        """HTTP transactions (requests with their responses), in the order they started."""
        from analyzer.api.tables import HttpTable

        return HttpTable(self.analyze().http)

    @property
    def files(self) -> FileTable:
        """HTTP bodies with their sizes and hashes (Zeek's files.log)."""
        from analyzer.api.tables import FileTable

        return FileTable(self.analyze().files)

    @property
    def tls(self) -> TlsTable:
        """TLS sessions (Zeek's ssl.log: version, cipher, SNI, ALPN, certificates), by first TLS record."""
        from analyzer.api.tables import TlsTable

        return TlsTable(self.analyze().tls)

    @property
    def websocket(self) -> WebSocketTable:
        """WebSocket sessions (Zeek's websocket.log: the opening handshake's host, URI, subprotocol and
        extensions), one per HTTP transaction that switched its connection to WebSocket."""
        from analyzer.api.records import websocket_of
        from analyzer.api.tables import WebSocketTable

        return WebSocketTable([w for w in map(websocket_of, self.analyze().http) if w is not None])

    def connection_rows(self, *, details: bool = False, tcp: bool = True, udp: bool = True,
                        keys: tuple[str, ...] | None = None) -> tuple[Iterable, Iterable, int | None]:
        """The flow tables' summary rows (``analyzer conversations``; ``details``: handshake, teardown and
        reset facts; ``keys``: only those keys): ``(TCP rows, UDP rows, first frame's time)``, rows in stream
        order. For one capture file (with no display filter, or one on header fields only) the columnar core
        makes them and keeps them on disk as connections finish (memory holds the open connections, not every
        row)."""
        columns = self.display_filter is None
        if not columns:
            # (imported only with -Y: the vector filter's modules cost ~20 ms of start-up)
            from analyzer.filter._vector import vector_filter

            columns = vector_filter(self.display_filter.text) is not None
        if columns and len(self.paths) == 1 and self.paths[0] != "-":
            from analyzer.columnar.rows import connection_rows

            # a -Y filter on header fields is answered from the columns too
            with self.open() as reader:
                return connection_rows(reader, details=details, tcp=tcp, udp=udp, keys=keys,
                                       display_filter=self.display_filter)
        from analyzer.api.build import summary_row

        results = self.count(details)

        def rows(conns: list) -> list:
            out = [summary_row(c) for c in conns]
            return [{k: r[k] for k in keys if k in r} for r in out] if keys is not None else out

        return (rows(results.connections) if tcp else [], rows(results.udp) if udp else [], results.first_ts_ns)

    # -- the timeline ----------------------------------------------------------------------------------------
    def stream_fetches(self, lang: str = "en", host: str | None = None, url: str | None = None,
                       client: str | None = None, keep_bodies: bool = False,
                       on_frame: Callable[[int], None] | None = None, ladder: bool = True) -> Iterator[Any]:
        """The timeline's fetches (:class:`analyzer.timeline.model.Fetch`) each as soon as it is complete
        (memory bounded by the open connections); ``on_frame(n)`` every 1024 frames (a progress line);
        ``keep_bodies``: HTTP bodies in the request timings (HAR); ``ladder=False``: no ladder rows
        (``Fetch.ladder`` empty; JSON and HAR print none)."""
        from analyzer.timeline import TimelineRun, keep

        run = TimelineRun(lang, keep_bodies=keep_bodies, keylog=self.keylog, ladder=ladder)
        if self.display_filter is not None:
            run.capture.display_filter = getattr(self.display_filter, "text", None) or "?"
        with self.open() as reader:
            for got in self._fed(run, reader, on_frame):
                for f in got:
                    if keep(f, host, url, client):
                        yield f
            for f in run.finishing():
                if keep(f, host, url, client):
                    yield f

    def _fed(self, run: Any, reader: Any, on_frame: Callable[[int], None] | None) -> Iterator[list]:
        """``reader``'s frames fed to ``run`` (a :class:`analyzer.timeline.TimelineRun`): the fetches each feeding
        completed, when there are some; ``on_frame(n)`` every 1024 frames."""
        if self.display_filter is None and len(self.paths) == 1 and self.paths[0] != "-" \
                and hasattr(reader, "batches"):
            # one file, every frame: read in batches, TCP segments straight from the batch's buffer
            # (TimelineRun.feed_batch; standard input stays frame by frame: a batch waits for 4 MB)
            n = 0
            for batch in reader.batches():
                # (the interfaces read so far: a pcapng's IDBs come before their packets)
                run.capture.capture_filter = reader.capture_filter()
                got = run.feed_batch(batch)
                if on_frame is not None:
                    for k in range((n >> 10) + 1, ((n + len(batch)) >> 10) + 1):
                        on_frame(k << 10)
                n += len(batch)
                if got:
                    yield got
            return
        frames: Iterable = reader
        if self.display_filter is not None:
            from analyzer.filter.apply import matching_frames

            frames = matching_frames(reader, self.display_filter, self.keylog)
        feed = run.feed
        filter_of = getattr(reader, "capture_filter", None)
        for n, frame in enumerate(frames, 1):
            if filter_of is not None and (n == 1 or not n & 0x3FF):
                run.capture.capture_filter = filter_of()
            got = feed(frame)
            if on_frame is not None and not n & 0x3FF:
                on_frame(n)
            if got:
                yield got

    def timeline(self, lang: str = "en", host: str | None = None, url: str | None = None,
                 client: str | None = None):
        """The fetches explained step by step (:class:`analyzer.timeline.model.Timeline`), as
        ``analyzer timeline`` prints them (render it with :func:`analyzer.report.timeline_text.render`)."""
        from analyzer.timeline import Timeline

        key = (lang, host, url, client)
        tl = self._timeline.get(key)
        if tl is None:
            tl = self._timeline[key] = Timeline(tuple(self.stream_fetches(lang, host, url, client)), lang)
        return tl

    @property
    def fetches(self) -> FetchTable:
        """The page fetches of the timeline (:class:`analyzer.timeline.model.Fetch`), one row each."""
        from analyzer.api.tables import FetchTable

        return FetchTable(self.timeline().fetches)


def local_nets_of(value: Any) -> LocalNets | None:
    """``local_nets`` as given to :func:`open`: None (Zeek's default: the private address space), a text
    (``"10.0.0.0/8,192.168.0.0/16"``, ``"none"``), networks, or a :class:`LocalNets`."""
    if value is None or isinstance(value, LocalNets):
        return value
    if isinstance(value, str):
        return LocalNets.parse(value)
    return LocalNets(value)


def open(paths: Paths, *, keylog: Any = None, display_filter: Any = None,
         on_warning: Callable[[CaptureWarning], None] | None = None, local_nets: Any = None) -> Capture:
    """Open one capture or several (merged by time): a path, ``"-"`` (standard input), a directory (its
    capture files), a glob pattern, or a list of these. Nothing is read until an answer is asked for.

    ``keylog``: a TLS key log (``SSLKEYLOGFILE``: a path, or an :class:`analyzer.apps.tls.KeyLog`) to decrypt
    TLS with; keys in a pcapng's Decryption Secrets Blocks are used too. ``display_filter``: a Wireshark
    display filter narrowing every answer (see :class:`Capture`). ``on_warning``: called with each
    :class:`~analyzer.capture.CaptureWarning` (damage found part-way through a file); they are also kept in
    ``cap.warnings``. ``local_nets``: the local networks that set ``local_orig``/``local_resp`` of
    connections (Zeek's ``Site::local_nets``): ``"10.0.0.0/8,192.168.0.0/16"`` or a list of networks, the word
    ``private`` for the private address space, ``"none"`` for none (the columns unset); by default the private
    address space, as Zeek's default (:class:`analyzer.api.iplevel.LocalNets`; ValueError names a bad network).
    Raises :class:`~analyzer.capture.CaptureError` when a file cannot be read as a capture.
    """
    return Capture(paths, keylog=keylog, display_filter=display_filter, on_warning=on_warning,
                   local_nets=local_nets)
