"""Writing Zeek-style logs: ``conn``, ``dns``, ``http``, ``files``, ``tls`` (Zeek's ssl.log) and ``websocket``,
as Parquet, JSON lines or Zeek's TSV.

Layout (Hive partitions by hour of ``ts``, UTC, readable as one table by DuckDB, pandas, Polars and Spark)::

    DIR/conn/date=2026-11-25/hour=13/part-00000.parquet
    DIR/dns/date=2026-11-25/hour=13/part-00000.parquet
    ...

Columns are the tables' of :mod:`analyzer.api.tables` (Zeek's names and order: ``ts``, ``uid``,
``id.orig_h`` ...), without the frame and stream numbers that only mean something inside one capture. Types:

* Parquet: ``ts`` a timestamp (microseconds, UTC: what Spark and every reader take), durations float
  seconds (Zeek's ``interval``), counts int64, addresses and names strings, sets/vectors list columns;
* JSON lines: Zeek's JSON (``ts`` epoch seconds as a number, unset fields left out);
* TSV: Zeek's ASCII log (``#separator``, ``#fields``, ``#types`` header; ``-`` unset, ``(empty)`` empty).

Rows are sorted by ``ts`` then ``uid`` in each file. Every file is written under a temporary name in its
folder and renamed into place when complete, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import groupby, islice
from typing import Any

from analyzer.api.build import Results
from analyzer.api.records import websocket_of
from analyzer.api.tables import (
    CONN_COLUMNS,
    DNS_COLUMNS,
    FILES_COLUMNS,
    HTTP_COLUMNS,
    TLS_COLUMNS,
    WEBSOCKET_COLUMNS,
    Column,
    require,
    utf8_text,
)

LOGS: dict[str, tuple[Column, ...]] = {"conn": CONN_COLUMNS, "dns": DNS_COLUMNS, "http": HTTP_COLUMNS,
                                       "files": FILES_COLUMNS, "tls": TLS_COLUMNS, "websocket": WEBSOCKET_COLUMNS}
FORMATS = ("parquet", "jsonl", "tsv")
BATCH_ROWS = 65_536         # rows of a Parquet row group
EXTENSIONS = {"parquet": ".parquet", "jsonl": ".jsonl", "tsv": ".log"}
ZEEK_TYPES = {"time": "time", "duration": "interval", "int": "count", "float": "double", "str": "string",
              "bool": "bool", "list<str>": "vector[string]", "list<int>": "vector[count]",
              "list<float>": "vector[interval]"}
_ADDR_PORT = {"id.orig_h": "addr", "id.resp_h": "addr", "id.orig_p": "port", "id.resp_p": "port"}


def log_rows(results: Results) -> dict[str, list[Any]]:
    """The records of each log (conn holds TCP connections, UDP conversations and ICMP flows), sorted by ts
    and uid."""
    by_log = {"conn": results.connections + results.udp + results.icmp, "dns": results.dns, "http": results.http,
              "files": results.files, "tls": results.tls,
              "websocket": [w for w in map(websocket_of, results.http) if w is not None]}
    return {name: sorted(records, key=_order) for name, records in by_log.items()}


def _order(record: Any) -> tuple:
    return (record.ts_ns if record.ts_ns is not None else 0, record.uid,
            getattr(record, "trans_depth", 0) or getattr(record, "depth", 0), getattr(record, "fuid", ""))


def _hour(ts_ns: int | None) -> tuple[str, str]:
    when = datetime.fromtimestamp((ts_ns or 0) // 1_000_000_000, tz=UTC)
    return when.strftime("%Y-%m-%d"), when.strftime("%H")


def write_logs(results: Results, directory: str, fmt: str = "parquet", part: str = "part-00000") -> list[str]:
    """Write the six logs of ``results`` under ``directory`` (see the module docstring); the paths written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r} (one of {', '.join(FORMATS)})")
    if fmt == "parquet":
        require("pyarrow", "analyzer logs --format parquet")
    written = []
    for name, records in log_rows(results).items():
        written += write_log_hours(name, records, directory, fmt, part)
    return written


def write_log_hours(name: str, records: Iterable[Any], directory: str, fmt: str, part: str = "part-00000"
                    ) -> list[str]:
    """Write one log's ``records``, already in its order (ts, uid: :func:`log_rows`), one file per hour of
    ``ts``, taking them as they come (:mod:`analyzer.logs.stream` gives them from runs on disk); the paths."""
    columns = LOGS[name]
    written = []
    for (date, hour), rows in groupby(records, key=lambda record: _hour(record.ts_ns)):
        folder = os.path.join(directory, name, f"date={date}", f"hour={hour}")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, part + EXTENSIONS[fmt])
        _atomic(path, lambda tmp, c=columns, r=rows, n=name: _WRITERS[fmt](tmp, n, c, r))
        written.append(path)
    return written


def _atomic(path: str, write) -> None:
    tmp = f"{path}.tmp-{uuid.uuid4().hex}"
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _parquet(path: str, _name: str, columns: Sequence[Column], records: Iterable[Any]) -> None:
    """Row groups of :data:`BATCH_ROWS` records (one for fewer), made as the records come."""
    import pyarrow.parquet as pq

    from analyzer.api.tables import arrow_schema, arrow_table

    with pq.ParquetWriter(path, arrow_schema(columns), coerce_timestamps="us",
                          allow_truncated_timestamps=True) as writer:
        records = iter(records)
        while batch := list(islice(records, BATCH_ROWS)):
            writer.write_table(arrow_table(columns, batch))


def _json_value(kind: str, value: Any) -> Any:
    if kind == "str":
        return utf8_text(value)
    if kind == "list<str>":
        return [utf8_text(v) for v in value]
    if kind == "time":
        return value / 1e9
    if kind == "duration":
        return value / 1e9
    if kind.startswith("list<"):
        return [float(v) for v in value] if kind == "list<float>" else list(value)
    return value


def _jsonl(path: str, _name: str, columns: Sequence[Column], records: Iterable[Any]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            obj = {}
            for c in columns:
                value = c.get(record)
                if value is not None:
                    obj[c.name] = _json_value(c.kind, value)
            out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")


def _tsv_value(kind: str, value: Any) -> str:
    if value is None:
        return "-"
    if kind in ("time", "duration"):
        return f"{value / 1e9:.6f}"
    if kind == "bool":
        return "T" if value else "F"
    if kind.startswith("list<"):
        if not value:
            return "(empty)"
        return ",".join(_escape(f"{v:.6f}" if kind == "list<float>" else str(v)) for v in value)
    if kind == "float":
        return f"{value:.6f}"
    text = _escape(str(value))
    return text if text else "(empty)"


def _escape(text: str) -> str:
    """Zeek's escaping of separators and non-printable bytes in a field (``\\x09``)."""
    out = []
    for ch in text:
        if ch in "\t,\\" or not ch.isprintable():
            out.append("".join(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogateescape")))
        else:
            out.append(ch)
    return "".join(out)


def _tsv(path: str, name: str, columns: Sequence[Column], records: Iterable[Any]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n")
        out.write(f"#path\t{name}\n")
        out.write("#fields\t" + "\t".join(c.name for c in columns) + "\n")
        out.write("#types\t" + "\t".join(_ADDR_PORT.get(c.name, ZEEK_TYPES[c.kind]) for c in columns) + "\n")
        out.writelines("\t".join(_tsv_value(c.kind, c.get(record)) for c in columns) + "\n" for record in records)


_WRITERS = {"parquet": _parquet, "jsonl": _jsonl, "tsv": _tsv}


def read_logs(directory: str, name: str) -> list[dict[str, Any]]:
    """Every row of one log under ``directory`` (all parts, any format), sorted by ts and uid: for tests
    and for comparing two runs."""
    rows: list[dict[str, Any]] = []
    base = os.path.join(directory, name)
    for root, _dirs, files in os.walk(base):
        for f in sorted(files):
            path = os.path.join(root, f)
            if f.endswith(".parquet"):
                import pyarrow.parquet as pq

                rows += pq.read_table(path).to_pylist()
            elif f.endswith(".jsonl"):
                with open(path, encoding="utf-8") as inp:
                    rows += [json.loads(line) for line in inp]
            elif f.endswith(".log"):
                rows += _read_tsv(path)
    for row in rows:
        row.pop("date", None)
        row.pop("hour", None)
    return sorted(rows, key=lambda r: (str(r.get("ts")), str(r.get("uid")), str(r.get("trans_depth")),
                                       str(r.get("fuid"))))


def _read_tsv(path: str) -> Iterable[dict[str, Any]]:
    fields: list[str] = []
    with open(path, encoding="utf-8") as inp:
        for line in inp:
            line = line.rstrip("\n")
            if line.startswith("#fields\t"):
                fields = line.split("\t")[1:]
            elif not line.startswith("#"):
                yield dict(zip(fields, line.split("\t"), strict=False))
