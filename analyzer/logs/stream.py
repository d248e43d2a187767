"""``analyzer logs`` in one process, streamed: each record leaves memory once final, the logs are written
from sorted runs on disk, so memory follows the open connections, not the file.

One pass over the frames (the header path of :meth:`Analysis.run <analyzer.api.build.Analysis.run>`, the same
records) where each record goes to its log's :class:`Spool` as soon as it is final:

* ``http``, ``files`` and ``websocket`` (a 101 to WebSocket) as the HTTP tracker hands each transaction out,
  ``tls`` as its connection ends;
* ``dns`` once no later message can pair with it (:class:`analyzer.api.stream.DnsRelease`);
* ``conn``: a TCP connection as the TCP tracker finishes it (its ``service`` from the DNS and HTTP
  transactions seen on it, its IP bytes, then forgotten: the tracker keeps no summary), UDP conversations
  and ICMP flows at the end (their tables keep them for the whole pass; analyzer/flows, analyzer/api/iplevel).

A spool holds up to :data:`RUN_ROWS` records, then sorts them and writes them to a run file beside the logs
(pickled; removed with the staging folder); :data:`MAX_RUNS` runs are merged into one. At the end each log's runs are merged (``heapq.merge``) into the
order :func:`analyzer.logs.write.log_rows` gives (ts, uid, depth, fuid; ties in the order of the whole
pass), cut by hour, and written as :func:`~analyzer.logs.write.write_logs` writes them: the same files and
rows (Parquet in row groups of :data:`~analyzer.logs.write.BATCH_ROWS`).
"""

from __future__ import annotations

import heapq
import os
import pickle
from collections.abc import Iterable, Iterator
from dataclasses import replace
from operator import itemgetter
from typing import Any

from analyzer.api.build import Analysis, _start_key, connection, http_record, tls_record
from analyzer.api.records import websocket_of
from analyzer.api.stream import DnsRelease
from analyzer.logs.write import LOGS, _order, write_log_hours
from analyzer.pipeline import gc_paused

RUN_ROWS = 1_000            # records of one log held before they are sorted and written to a run file
MAX_RUNS = 64               # run files of one log before they are merged into one (files open at the end)
EVERY = 2048                # frames between two looks for final DNS records


class Spool:
    """The records of one log, each with a key (unique, in the log's order): held up to :data:`RUN_ROWS`, then
    sorted into a run file in ``folder``. :meth:`merged` gives them all in key order."""

    def __init__(self, folder: str, name: str, run_rows: int = RUN_ROWS):
        self.folder, self.name, self.run_rows = folder, name, run_rows
        self.rows: list[tuple[tuple, Any]] = []
        self.runs: list[str] = []
        self.count = 0
        self.made = 0           # run files written (their names)

    def add(self, key: tuple, record: Any) -> None:
        self.rows.append((key, record))
        self.count += 1
        if len(self.rows) >= self.run_rows:
            self._spill()

    def _spill(self) -> None:
        self.rows.sort(key=itemgetter(0))
        self._write(self.rows)
        self.rows = []
        if len(self.runs) >= MAX_RUNS:          # one run of them all, made as the merge goes
            runs, self.runs = self.runs, []
            self._write(heapq.merge(*(_read(path) for path in runs), key=itemgetter(0)))
            for path in runs:
                os.unlink(path)

    def _write(self, items: Iterable[tuple[tuple, Any]]) -> None:
        self.made += 1
        path = os.path.join(self.folder, f"{self.name}-{self.made:06d}.run")
        with open(path, "wb") as out:
            for item in items:
                pickle.dump(item, out, protocol=pickle.HIGHEST_PROTOCOL)
        self.runs.append(path)

    def merged(self) -> Iterator[Any]:
        self.rows.sort(key=itemgetter(0))
        held, self.rows = self.rows, []
        for _key, record in heapq.merge(*(_read(path) for path in self.runs), held, key=itemgetter(0)):
            yield record


def _read(path: str) -> Iterator[tuple[tuple, Any]]:
    with open(path, "rb") as inp:
        while True:
            try:
                yield pickle.load(inp)
            except EOFError:
                return


def stream_logs(cap: Any, directory: str, fmt: str, run_rows: int = RUN_ROWS, every: int = EVERY
                ) -> dict[str, int]:
    """Write the six logs of ``cap`` (an :class:`analyzer.api.capture.Capture`, no display filter) under
    ``directory`` as :func:`analyzer.logs.write.write_logs` writes ``cap.analyze()``'s; the rows of each log and
    ``frames``."""
    folder = os.path.join(directory, ".runs")
    os.makedirs(folder, exist_ok=True)
    spools = {name: Spool(folder, name, run_rows) for name in LOGS}
    with cap.open() as reader:
        frames = _pass(cap, reader, spools, every)
    for name, spool in spools.items():
        write_log_hours(name, spool.merged(), directory, fmt)
        for path in spool.runs:
            os.unlink(path)
    os.rmdir(folder)
    counts = {name: spool.count for name, spool in spools.items()}
    counts["frames"] = frames
    return counts


def _pass(cap: Any, frames: Any, spools: dict[str, Spool], every: int) -> int:
    """The pass: every record into its spool (see the module docstring); the number of frames."""
    from analyzer.tcp.connection import summarize

    analysis = Analysis(keylog=cap.keylog)
    local_nets = cap.local_nets
    pipe, tx, ip = analysis.pipe, analysis.tx, analysis.ip
    services: dict[tuple[str, int], set[str]] = {}
    seq = [0]

    udp_dns: set[int] = set()               # UDP streams with DNS (kept to the end, as the UDP table keeps them)

    udp_http3: set[int] = set()             # UDP streams with HTTP/3 (QUIC opened with the key log)

    def service(key: tuple[str, int]) -> str | None:
        if key[0] == "udp":
            if key[1] in udp_http3:
                return "dns,http,quic" if key[1] in udp_dns else "http,quic"
            return "dns" if key[1] in udp_dns else None
        names = services.pop(key, None)
        return ",".join(sorted(names)) if names else None

    def conn_record(row: dict[str, Any], proto: str, tie: tuple) -> None:
        stream = row["stream"]
        if proto != "icmp":         # an ICMP flow counts its own
            keys = [(proto, stream, str(row["id.orig_h"]), row["id.orig_p"]),
                    (proto, stream, str(row["id.resp_h"]), row["id.resp_p"])]
            row["orig_ip_bytes"], row["resp_ip_bytes"] = (ip.ip_bytes.get(k, 0) for k in keys)
            for k in keys:
                ip.ip_bytes.pop(k, None)
        c = connection(row, service((proto, stream)) if proto != "icmp" else None)
        if local_nets is not None:
            c = replace(c, local_orig=local_nets(c.orig_h), local_resp=local_nets(c.resp_h))
        spools["conn"].add((_order(c), tie), c)

    def on_record(record: Any) -> None:
        h, files = http_record(record, analysis._record_endpoints(record))
        if h.version == "3":        # HTTP/3: over QUIC, its stream a UDP conversation's
            udp_http3.add(h.stream)
        else:
            services.setdefault(("tcp", h.stream), set()).add("http")
        start = _start_key(record)
        seq[0] += 1
        spools["http"].add((_order(h), start, seq[0]), h)
        w = websocket_of(h)
        if w is not None:
            spools["websocket"].add((_order(w), start, seq[0]), w)
        for i, f in enumerate(files):
            spools["files"].add((_order(f), start, seq[0], i), f)

    def on_session(session: Any) -> None:
        t = tls_record(session, analysis._endpoints_of(session.stream))
        seq[0] += 1
        spools["tls"].add((_order(t), (session.first_ts_ns, session.first_frame, session.stream), seq[0]), t)

    def on_new_dns(t: Any) -> None:
        if t.stream is None:
            return
        if t.proto == "udp":
            udp_dns.add(t.stream)
        else:
            services.setdefault((t.proto, t.stream), set()).add("dns")

    def finished(conn: Any) -> None:
        # a TCP connection the tracker finished: its DNS transactions not taken yet name their service first
        stream = conn.stream
        for t in dns.tracker.transactions:
            if t.stream == stream and t.proto == "tcp":
                on_new_dns(t)
        conn_record(summarize(conn, True), "tcp", (0, stream))

    tx.http.on_record = on_record
    tx.tls.on_session = on_session
    dns = DnsRelease(analysis, on_new=on_new_dns)
    pipe.tcp.on_finish = finished
    pipe.tcp.keep_summaries = False         # each finished connection becomes its row at once
    dns_n = [0]

    def release(end: bool = False) -> None:
        dns.take_new()
        spool = spools["dns"]
        for d in dns.release(end):
            dns_n[0] += 1
            spool.add((_order(d), dns_n[0]), d)
        analysis._endpoints.clear()

    n = 0
    with gc_paused():
        feed = analysis.header_feeder()
        frame_read = dns.frame_read
        for frame in frames:
            feed(frame)
            frame_read(frame)
            n += 1
            if n % every == 0:
                release()
        pipe.finish()
        tx.finish()
        release(end=True)
        analysis._conns.clear()
        for row in pipe.udp.release_summaries():
            conn_record(row, "udp", (1, row["stream"]))
        for i, flow in enumerate(ip.icmp):
            conn_record(flow.row(), "icmp", (2, i))
        ip.icmp = []
    return pipe.frames
