"""Tables of records: iterate them for objects, or convert them to Arrow and pandas with typed columns.

A :class:`Table` holds records of one kind (:mod:`analyzer.api.records`) and the :class:`Column` list that
says how each becomes a column: its name (Zeek's where Zeek has one: ``ts``, ``uid``, ``id.orig_h``,
``conn_state``, ``TTLs``...), its kind and how to get it from a record. Kinds and what they become:

=============  ==============================  =========================================
kind           Arrow                           pandas
=============  ==============================  =========================================
``time``       ``timestamp[ns, UTC]``          ``datetime64[ns, UTC]``
``duration``   ``float64`` (seconds, Zeek's)   ``float64``
``int``        ``int64``                       ``Int64`` (nullable)
``float``      ``float64``                     ``float64``
``str``        ``string``                      ``str``
``bool``       ``bool``                        ``boolean`` (nullable)
``list<str>``  ``list<string>``                ``list<string>[pyarrow]``
``list<int>``  ``list<int64>``                 ``list<int64>[pyarrow]``
``list<float>``  ``list<float64>``             ``list<double>[pyarrow]``
=============  ==============================  =========================================

Addresses are strings. pyarrow and pandas are optional (``pip install 'analyzer[data]'``): without them the
tables still iterate, and ``to_arrow``/``to_pandas`` say what to install. The same columns are what
``analyzer logs`` writes (:mod:`analyzer.logs`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from analyzer.api.records import (
    Connection,
    DnsTransaction,
    HttpFile,
    HttpTransaction,
    TlsConnection,
    WebSocketSession,
)

T = TypeVar("T")
INSTALL_HINT = "pip install 'analyzer[data]'"


class MissingDependency(ImportError):
    """An optional package the call needs is not installed; the message says how to install it."""


def require(module: str, what: str):
    """Import an optional dependency, or raise :class:`MissingDependency` naming what needs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(f"{what} needs the {module} package, which is not installed: "
                                f"{INSTALL_HINT}") from None


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str
    get: Callable[[Any], Any]


def _arrow_type(pa, kind: str):
    return {
        "time": pa.timestamp("ns", tz="UTC"), "duration": pa.float64(), "int": pa.int64(),
        "float": pa.float64(), "str": pa.string(), "bool": pa.bool_(), "list<str>": pa.list_(pa.string()),
        "list<int>": pa.list_(pa.int64()), "list<float>": pa.list_(pa.float64()),
    }[kind]


def arrow_schema(columns: Sequence[Column]):
    pa = require("pyarrow", "to_arrow()")
    return pa.schema([pa.field(c.name, _arrow_type(pa, c.kind)) for c in columns])


def utf8_text(value: str | None) -> str | None:
    """``value`` as UTF-8 can hold it (Arrow, Parquet and JSON files): the bytes of a header or name that were
    not UTF-8, which the decoders keep as surrogate escapes, become Zeek's ``\\xNN``."""
    if value is None or value.isascii():
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return "".join(_escape_surrogate(ch) if "\ud800" <= ch <= "\udfff" else ch for ch in value)


def _escape_surrogate(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def _convert(kind: str, values: list) -> list:
    """Values as the kind's Arrow input: durations are given in ns and stored as seconds; text as UTF-8 can
    hold it (:func:`utf8_text`)."""
    if kind == "str":
        return [utf8_text(v) for v in values]
    if kind == "list<str>":
        return [None if v is None else [utf8_text(x) for x in v] for v in values]
    if kind == "duration":
        return [None if v is None else v / 1e9 for v in values]
    if kind == "list<float>":
        return [None if v is None else [float(x) for x in v] for v in values]
    if kind.startswith("list<"):
        return [None if v is None else list(v) for v in values]
    return values


def arrow_table(columns: Sequence[Column], records: Sequence[Any]):
    """The records as a ``pyarrow.Table`` with the columns' types."""
    pa = require("pyarrow", "to_arrow()")
    arrays = []
    for c in columns:
        get = c.get
        arrays.append(pa.array(_convert(c.kind, [get(r) for r in records]), type=_arrow_type(pa, c.kind)))
    return pa.Table.from_arrays(arrays, schema=arrow_schema(columns))


def require_pandas() -> None:
    """Check, before any work, that both packages ``to_pandas()`` needs are there (it goes through Arrow), so
    that the message names ``to_pandas()`` and pandas rather than the ``to_arrow()`` it calls."""
    require("pandas", "to_pandas()")
    require("pyarrow", "to_pandas()")


def pandas_frame(table):
    """An Arrow table as pandas, nullable ints and booleans, list columns as pyarrow lists."""
    pa = require("pyarrow", "to_pandas()")
    pd = require("pandas", "to_pandas()")

    def mapper(t):
        if pa.types.is_integer(t):
            return pd.Int64Dtype()
        if pa.types.is_boolean(t):
            return pd.BooleanDtype()
        if pa.types.is_list(t):
            return pd.ArrowDtype(t)
        return None

    return table.to_pandas(types_mapper=mapper)


class Table(Generic[T]):
    """A sequence of records with typed columns (see the module docstring)."""

    name = ""
    columns: tuple[Column, ...] = ()

    def __init__(self, records: Sequence[T]):
        self._records = list(records)

    def __iter__(self) -> Iterator[T]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, index: int) -> T:
        return self._records[index]

    def __bool__(self) -> bool:
        return bool(self._records)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self._records)} rows; .to_pandas(), .to_arrow()>"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def rows(self) -> list[dict[str, Any]]:
        """The records as dicts keyed by column name (times and durations as integer ns)."""
        return [{c.name: c.get(r) for c in self.columns} for r in self._records]

    def to_arrow(self):
        """A ``pyarrow.Table`` (typed columns: see the module docstring)."""
        return arrow_table(self.columns, self._records)

    def to_pandas(self):
        """A ``pandas.DataFrame`` (typed columns: see the module docstring)."""
        require_pandas()
        return pandas_frame(self.to_arrow())


def _a(name: str) -> Callable[[Any], Any]:
    def get(r: Any) -> Any:
        return getattr(r, name)

    get.__name__ = name
    return get


def _cols(*specs: tuple) -> tuple[Column, ...]:
    """Columns from ``(column name, kind[, attribute or getter])``; the attribute defaults to the column's
    name made a Python name (``id.orig_h`` -> ``orig_h``, ``AA`` -> ``aa``)."""
    out = []
    for spec in specs:
        name, kind = spec[0], spec[1]
        get = spec[2] if len(spec) > 2 else name.removeprefix("id.").lower()
        out.append(Column(name, kind, get if callable(get) else _a(get)))
    return tuple(out)


ID = (("id.orig_h", "str"), ("id.orig_p", "int"), ("id.resp_h", "str"), ("id.resp_p", "int"))

# Zeek conn.log first (in its order), then the analyzer's own.
CONN_COLUMNS = _cols(
    ("ts", "time", "ts_ns"), ("uid", "str"), *ID, ("proto", "str"), ("service", "str"),
    ("duration", "duration", "duration_ns"), ("orig_bytes", "int"), ("resp_bytes", "int"), ("conn_state", "str"),
    ("local_orig", "bool"), ("local_resp", "bool"), ("missed_bytes", "int"), ("history", "str"),
    ("orig_pkts", "int"), ("orig_ip_bytes", "int"), ("resp_pkts", "int"), ("resp_ip_bytes", "int"),
    ("orig_frame_bytes", "int"), ("resp_frame_bytes", "int"), ("irtt", "duration", "irtt_ns"),
    ("closed_by", "str"), ("time_wait", "str"), ("orig_guessed", "bool"),
)
# Zeek dns.log (TTLs are intervals there: seconds as floats), then the analyzer's own.
DNS_COLUMNS = _cols(
    ("ts", "time", "ts_ns"), ("uid", "str"), *ID, ("proto", "str"), ("trans_id", "int"),
    ("rtt", "duration", "rtt_ns"), ("query", "str"), ("qclass", "int"), ("qclass_name", "str"), ("qtype", "int"),
    ("qtype_name", "str"), ("rcode", "int"), ("rcode_name", "str"), ("AA", "bool"), ("TC", "bool"),
    ("RD", "bool"), ("RA", "bool"), ("Z", "int"), ("answers", "list<str>"), ("TTLs", "list<float>", "ttls"),
    ("rejected", "bool"), ("service", "str"), ("retransmissions", "int", lambda r: len(r.retransmissions)),
)
# Zeek http.log, then the analyzer's own (tshark's http.time, time to first byte, total).
HTTP_COLUMNS = _cols(
    ("ts", "time", "ts_ns"), ("uid", "str"), *ID, ("trans_depth", "int"), ("method", "str"), ("host", "str"),
    ("uri", "str"), ("referrer", "str"), ("version", "str"), ("user_agent", "str"), ("origin", "str"),
    ("request_body_len", "int"), ("response_body_len", "int"), ("status_code", "int"), ("status_msg", "str"),
    ("info_code", "int"), ("info_msg", "str"), ("username", "str"), ("orig_fuids", "list<str>"),
    ("orig_mime_types", "list<str>"), ("resp_fuids", "list<str>"), ("resp_mime_types", "list<str>"),
    ("time", "duration", "time_ns"), ("ttfb", "duration", "ttfb_ns"), ("total_time", "duration", "total_ns"),
    ("content_type", "str"), ("complete", "bool"), ("reason", "str"),
)
# Zeek files.log (the columns an HTTP body fills).
FILES_COLUMNS = _cols(
    ("ts", "time", "ts_ns"), ("fuid", "str"), ("uid", "str"), *ID, ("source", "str"), ("depth", "int"),
    ("mime_type", "str"), ("duration", "duration", "duration_ns"), ("is_orig", "bool"), ("seen_bytes", "int"),
    ("total_bytes", "int"), ("missing_bytes", "int"), ("overflow_bytes", "int"), ("md5", "str"), ("sha1", "str"),
    ("sha256", "str"),
)
# Zeek ssl.log (the base columns, validate-certs' validation_status), then the analyzer's.
TLS_COLUMNS = _cols(
    ("ts", "time", "ts_ns"), ("uid", "str"), *ID, ("version", "str"), ("cipher", "str"), ("curve", "str"),
    ("server_name", "str"), ("resumed", "bool"), ("last_alert", "str"), ("next_protocol", "str"),
    ("established", "bool"), ("ssl_history", "str"), ("cert_chain_fps", "list<str>"),
    ("client_cert_chain_fps", "list<str>"), ("subject", "str"), ("issuer", "str"), ("client_subject", "str"),
    ("client_issuer", "str"), ("sni_matches_cert", "bool"), ("validation_status", "str"), ("client_alpn", "list<str>"), ("decrypted", "bool"), ("key_problem", "str"),
)
# Zeek websocket.log (Zeek 6.1 on).
WEBSOCKET_COLUMNS = _cols(
    ("ts", "time", "ts_ns"), ("uid", "str"), *ID, ("host", "str"), ("uri", "str"), ("user_agent", "str"),
    ("subprotocol", "str"), ("client_protocols", "list<str>"), ("server_extensions", "list<str>"),
    ("client_extensions", "list<str>"),
)
# Frame numbers and tcp.stream/udp.stream: in the API's tables (one capture, one process), not in the logs.
CONN_EXTRA = _cols(("stream", "int"), ("first_frame", "int"), ("last_frame", "int"))
DNS_EXTRA = _cols(("stream", "int"), ("query_frame", "int"), ("response_frame", "int"), ("tc_retry_frame", "int"))
HTTP_EXTRA = _cols(("stream", "int"), ("request_frame", "int"), ("response_frame", "int"))
FILES_EXTRA = _cols(("stream", "int"), ("frame", "int"))
TLS_EXTRA = _cols(("stream", "int"), ("first_frame", "int"))
WEBSOCKET_EXTRA = _cols(("stream", "int"), ("request_frame", "int"), ("response_frame", "int"))


class ConnectionTable(Table[Connection]):
    """TCP connections (``cap.connections``) or UDP conversations (``cap.udp``): Zeek's conn.log."""

    name = "conn"
    columns = CONN_COLUMNS + CONN_EXTRA


class DnsTable(Table[DnsTransaction]):
    """DNS transactions (``cap.dns``): Zeek's dns.log."""

    name = "dns"
    columns = DNS_COLUMNS + DNS_EXTRA


class HttpTable(Table[HttpTransaction]):
    """HTTP transactions (``cap.http``): Zeek's http.log."""

    name = "http"
    columns = HTTP_COLUMNS + HTTP_EXTRA


class FileTable(Table[HttpFile]):
    """HTTP bodies (``cap.files``): Zeek's files.log."""

    name = "files"
    columns = FILES_COLUMNS + FILES_EXTRA


class TlsTable(Table[TlsConnection]):
    """TLS sessions (``cap.tls``): Zeek's ssl.log."""

    name = "tls"
    columns = TLS_COLUMNS + TLS_EXTRA


class WebSocketTable(Table[WebSocketSession]):
    """WebSocket sessions (``cap.websocket``): Zeek's websocket.log."""

    name = "websocket"
    columns = WEBSOCKET_COLUMNS + WEBSOCKET_EXTRA


# The page fetches of the timeline (analyzer.timeline.model.Fetch): one row each, the summary's numbers.
def _summary(name: str) -> Callable[[Any], Any]:
    def get(fetch: Any) -> Any:
        return getattr(fetch.summary, name)

    return get


FETCH_COLUMNS = (
    Column("start", "time", _a("start_ns")), Column("index", "int", _a("index")), Column("url", "str", _a("url")),
    Column("host", "str", _a("host")), Column("client", "str", _a("client")), Column("server", "str", _a("server")),
    Column("server_port", "int", _a("server_port")),
    Column("kind", "str", _a("kind")),
    *(Column(name, kind, _summary(name)) for name, kind in (
        ("dns_ms", "float"), ("connect_ms", "float"), ("tls_ms", "float"), ("ttfb_ms", "float"),
        ("total_ms", "float"),
        ("requests", "int"), ("connections", "int"), ("connection_mode", "str"), ("bytes_sent", "int"),
        ("bytes_received", "int"), ("dns_lookups", "int"))),
    Column("urls", "list<str>", lambda f: [r.url for r in f.requests]),
)


class FetchTable(Table[Any]):
    """The page fetches of the timeline (``cap.fetches``): :class:`analyzer.timeline.model.Fetch` objects;
    as a table one row per fetch (``*_ms`` are milliseconds, None when a phase did not happen)."""

    name = "fetches"
    columns = FETCH_COLUMNS
