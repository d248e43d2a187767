"""``cap.packets()``: the decoded packets of a capture, one by one or as a table of fields.

Iterating gives :class:`analyzer.decode.packet.Packet` objects with every field the analysis chain adds
(``tcp.stream``, ``tcp.analysis.*``, ``dns.time``, ``http.*``; fields by Wireshark's names:
``pkt["ip.src"]``, ``pkt.get("dns.qry.name")``). ``to_arrow(fields)`` / ``to_pandas(fields)`` make one row per
packet and one column per field, typed by what tshark says the field is (``tshark -G fields``, kept in
:mod:`analyzer.filter._vocabulary`):

* integers (tshark's hex-shown ones, ``ip.id`` ``"0x1a2b"``, too) -> int64; booleans -> bool;
* relative times (``dns.time``, ``tcp.analysis.ack_rtt``) -> float64 seconds; ``frame.time`` -> timestamp[ns];
* addresses, names and byte strings (as tshark's hex) -> string;
* a field that occurs several times in a packet (``tcp.option_kind``) -> a list column;
* ``protocol`` and ``info``: the Protocol and Info columns of ``analyzer read``.

``fields=None`` takes :data:`DEFAULT_FIELDS`; ``fields="all"`` every field any packet has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from analyzer.api.tables import pandas_frame, require, require_pandas

DEFAULT_FIELDS = (
    "frame.number", "frame.time", "frame.len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport",
    "tcp.dstport", "tcp.stream", "tcp.flags", "tcp.len", "udp.srcport", "udp.dstport", "udp.stream",
    "dns.qry.name", "dns.time", "http.request.method", "http.request.uri", "http.response.code", "protocol",
    "info",
)
_COMPUTED = ("frame.time", "frame.interface_name", "protocol", "info")
_ARROW_KIND = {"int": "int", "bool": "bool", "float": "float", "time": "duration", "abstime": "time",
               "ipv4": "str", "ipv6": "str", "ether": "str", "string": "str", "bytes": "str"}


def _kind(name: str) -> str | None:
    """The column kind of a field: from tshark's table, else None (guessed from the values)."""
    from analyzer.filter._fields import field_kind

    if name == "frame.time":
        return "time"
    if name in ("protocol", "info", "frame.interface_name"):
        return "str"
    return _ARROW_KIND.get(field_kind(name) or "")


def _scalar(kind: str | None, value: Any) -> Any:
    if value is None:
        return None
    if kind == "int":
        if isinstance(value, str):
            try:
                return int(value, 0)
            except ValueError:
                return None
        return int(value)
    if kind == "bool":
        return bool(int(value, 0) if isinstance(value, str) else value)
    if kind == "float":
        return float(value)
    if kind == "duration":
        return float(value)
    if kind == "str":
        return str(value)
    return value


def _guess(values: list) -> str:
    for v in values:
        items = v if isinstance(v, list) else [v]
        for x in items:
            if x is None:
                continue
            if isinstance(x, bool):
                return "bool"
            if isinstance(x, int):
                return "int"
            if isinstance(x, float):
                return "float"
            return "str"
    return "str"


def analyze(frames: Iterable[Any], keylog: Any = None) -> Iterator[Any]:
    """Frames -> packets with every field of the analysis chain, memory bounded by the open connections
    (:func:`analyzer.pipeline.analyze` with the HTTP/DNS/TLS transaction stage, ``keylog``: TLS secrets to
    decrypt with): what ``analyzer read`` shows."""
    from analyzer.apps.transactions import Transactions
    from analyzer.pipeline import analyze as pipeline_analyze

    return pipeline_analyze(frames, transactions=Transactions(keep=False, keylog=keylog))


class Packets:
    """The packets of a capture (see the module docstring); each iteration reads the capture again."""

    def __init__(self, source: Callable[[], Iterator[Any]]):
        self._source = source

    def __iter__(self) -> Iterator[Any]:
        return self._source()

    def __repr__(self) -> str:
        return "<Packets: iterate for packets; .to_pandas(fields), .to_arrow(fields)>"

    def to_arrow(self, fields: Sequence[str] | str | None = None):
        """One row per packet, one typed column per field (``None``: :data:`DEFAULT_FIELDS`; ``"all"``)."""
        pa = require("pyarrow", "to_arrow()")
        names, columns = self._collect(fields)
        arrays = []
        for name in names:
            values = columns[name]
            kind = _kind(name) or _guess(values)
            listy = any(isinstance(v, list) for v in values)
            if kind == "time":
                arrays.append(pa.array(values, type=pa.timestamp("ns", tz="UTC")))
                continue
            typ = {"int": pa.int64(), "bool": pa.bool_(), "float": pa.float64(), "duration": pa.float64(),
                   "str": pa.string()}.get(kind, pa.string())
            if listy:
                data = [None if v is None else [_scalar(kind, x) for x in (v if isinstance(v, list) else [v])]
                        for v in values]
                arrays.append(pa.array(data, type=pa.list_(typ)))
            else:
                arrays.append(pa.array([_scalar(kind, v) for v in values], type=typ))
        return pa.Table.from_arrays(arrays, names=list(names))

    def to_pandas(self, fields: Sequence[str] | str | None = None):
        """The same as :meth:`to_arrow`, as a ``pandas.DataFrame``."""
        require_pandas()
        return pandas_frame(self.to_arrow(fields))

    def _collect(self, fields: Sequence[str] | str | None) -> tuple[list[str], dict[str, list]]:
        from analyzer.report.summary import Summary

        every = fields == "all"
        names: list[str] = list(DEFAULT_FIELDS if fields is None else (["frame.time"] if every else fields))
        columns: dict[str, list] = {name: [] for name in names}
        summary = Summary()
        for n, pkt in enumerate(self):
            flat = pkt.fields
            if every:
                for name in _order(flat, names):
                    columns[name] = [None] * n
                    names.append(name)
            info = None
            for name in names:
                if name in _COMPUTED:
                    if name == "frame.time":
                        value = pkt.frame.ts_ns
                    elif name == "frame.interface_name":
                        value = flat.get(name)
                    else:
                        if info is None:
                            info = summary.protocol_and_info(pkt)
                        value = info[0] if name == "protocol" else info[1]
                else:
                    value = flat.get(name)
                columns[name].append(value)
        return names, columns


def _order(flat: dict, names: Iterable[str]) -> list[str]:
    known = set(names)
    return [k for k in flat if k not in known]
