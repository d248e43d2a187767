"""Which connection follows which HTTP redirect (sans-IO): a 3xx answer with a Location sends the client to a
URL; the first connection it opens after that answer to the host and port the URL names is taken as the one
that follows it (``http://`` to ``https://`` being the most common first step of a real page fetch).

Evidence, all of it required: the connection's first SYN comes after the redirect's last frame; its server
port is the URL's port (the scheme's default when the URL names none: 80 for http, 443 for https); and its
own name for the server is the URL's host: the TLS server name (SNI) of its ClientHello, else the Host header
of its first request, else, for a URL whose host is an address, the server's address itself. A relative
Location keeps the redirecting request's scheme, host and port. Each redirect is followed by one connection.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from analyzer.timeline.group import host_name

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Redirect:
    """A redirect and the connection that follows it: ``frame`` the answer's last frame, ``host_source``
    ``"sni"``, ``"host"`` or ``"address"`` (where the connection names ``host``), ``name_frame`` the frame
    that names it (its ClientHello or first request; None for an address)."""

    frame: int
    status: int
    location: str
    host: str
    host_source: str
    name_frame: int | None


def _own_name(conn: Any) -> tuple[str | None, str | None, int | None]:
    """(the connection's name for its server, where it says it, in which frame): its SNI, or its first
    request's Host."""
    hello = getattr(conn.tls, "client_hello", None) if conn.tls is not None else None
    if hello is not None and hello.sni:
        return hello.sni.lower(), "sni", hello.frame
    for r in conn.records:
        req = r.transaction.request
        if req is not None and req.headers.get("host"):
            return host_name(req.headers.get("host") or "").lower(), "host", req.first_frame
    return None, None, None


def _target(location: str, conn: Any) -> tuple[str | None, int | None]:
    """(host, port) a Location sends the client to, from the connection that answered with it."""
    try:
        url = urlsplit(location.strip())
        port = url.port
    except ValueError:                      # a port that is no number, a bad IPv6 literal
        return None, None
    if not url.netloc:                      # relative: the same origin
        host, _src, _frame = _own_name(conn)
        return host or str(conn.server), conn.server_port
    scheme = (url.scheme or ("https" if conn.tls is not None else "http")).lower()
    return (url.hostname or "").lower() or None, port or DEFAULT_PORTS.get(scheme)


def followed(conns: list[Any] | tuple[Any, ...]) -> dict[tuple[int, int], Redirect]:
    """``(stream, epoch)`` of each connection of ``conns`` (:class:`~analyzer.timeline.facts.ConnFacts`) that
    follows a redirect answered on another of them -> that redirect. Linear in redirects and connections (a
    load test of a redirecting URL holds thousands of each): the connections are indexed by (port, the name
    they give their server), and the redirects, taken in frame order, each claim the first unclaimed
    connection of their target opened after them (a per-target position that only moves forward)."""
    redirects = []
    for conn in conns:
        for r in conn.records:
            tx = r.transaction
            resp = tx.response
            if resp is None or not 300 <= resp.status < 400 or not resp.headers.get("location"):
                continue
            last = tx.response_end.last_frame if tx.response_end is not None else resp.first_frame
            redirects.append((last, resp.status, resp.headers.get("location") or "", conn))
    if not redirects:
        return {}
    # (port, name) -> [(first SYN frame, connection, where it names the server, that frame)], by SYN frame
    targets: dict[tuple[int, str], list[tuple[int, Any, str, int | None]]] = {}
    for conn in conns:
        if conn.syns:
            name, where, frame = _own_name(conn)
            if name is None:
                name, where = str(conn.server).lower(), "address"
            targets.setdefault((conn.server_port, name), []).append((conn.syns[0][0], conn, where, frame))
    for opened in targets.values():
        opened.sort(key=lambda t: t[0])
    syn_frames = {key: [t[0] for t in opened] for key, opened in targets.items()}
    position: dict[tuple[int, str], int] = {}
    out: dict[tuple[int, int], Redirect] = {}
    for last, status, location, source in sorted(redirects, key=lambda r: r[0]):
        host, port = _target(location, source)
        if host is None or port is None or (port, host) not in targets:
            continue
        key = (port, host)
        at = max(position.get(key, 0), bisect_right(syn_frames[key], last))
        if at < len(targets[key]):
            _syn, conn, where, frame = targets[key][at]
            out[(conn.stream, conn.epoch)] = Redirect(last, status, location, host, where, frame)
            position[key] = at + 1
    return out
