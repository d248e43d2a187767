"""TLS through an HTTP proxy's CONNECT tunnel (apps/tls/session._Tunnel): the recorded fixtures are held to
tshark field by field in tests/test_tls_tshark.py (tls13_connect_proxy, tls13_connect_proxy_auth: CONNECT, 407
with a body, CONNECT again, 200, TLS 1.3); here the byte streams a proxy can send are fed straight to the sink,
cut anywhere, lying or not HTTP at all: the tunnel opens only after a 2xx, at the byte after its head."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from analyzer.apps.tls import TlsTracker
from analyzer.capture import open_capture
from analyzer.pipeline import Pipeline

FIXTURES = Path(__file__).parent / "fixtures" / "tls"


def _streams(name: str) -> tuple[list[bytes], list[bytes]]:
    """The client's and the proxy's payload segments of a recorded fixture, in order (one connection)."""
    out: tuple[list[bytes], list[bytes]] = ([], [])
    with open_capture(FIXTURES / name) as reader:
        for pkt in Pipeline().run(reader):
            tcp = next((la for la in pkt.layers if la.name == "tcp"), None)
            if tcp is None or not tcp.fields.get("tcp.len"):
                continue
            data = pkt.frame.data[-tcp.fields["tcp.len"]:]
            out[0 if tcp.fields["tcp.dstport"] == 3128 else 1].append(bytes(data))
    return out


def _sink():
    sides = (SimpleNamespace(syn_frame=1, addr="10.0.0.1", port=40000),
             SimpleNamespace(syn_frame=2, addr="10.0.0.2", port=3128))
    conn = SimpleNamespace(sides=sides, stream=0, sink=None)
    tracker = TlsTracker()
    return tracker(conn)


def _feed(sink, chunks: list[tuple[int, bytes]]) -> None:
    for n, (direction, data) in enumerate(chunks, 1):
        sink.data(direction, data, n, n * 1000)


def test_the_tunnel_opens_after_the_2xx_cut_anywhere():
    client, proxy = _streams("tls13_connect_proxy.pcap")
    whole = [(0, client[0]), (1, proxy[0]), (0, client[1]), (1, proxy[1])]
    sink = _sink()
    _feed(sink, whole)
    assert sink.tunnel.open and sink.tunnel.target == "analyzer.test:443"
    assert sink.client_hello is not None and sink.client_hello.sni == "analyzer.test"
    assert sink.server_hello is not None
    # the same bytes one at a time: the heads cut inside "\r\n\r\n", the records anywhere
    sink = _sink()
    _feed(sink, [(d, bytes([b])) for d, data in whole for b in data])
    assert sink.tunnel.open and sink.client_hello is not None and sink.client_hello.sni == "analyzer.test"
    assert sink.server_hello is not None


def test_a_refusal_and_its_body_are_skipped_and_the_second_connect_opens_it():
    client, proxy = _streams("tls13_connect_proxy_auth.pcap")
    assert proxy[0].startswith(b"HTTP/1.1 407")
    sink = _sink()
    _feed(sink, [(0, client[0]), (1, proxy[0]), (0, client[1]), (1, proxy[1]), (0, client[2]), (1, proxy[2])])
    assert sink.tunnel.open and sink.tunnel.frame == 4          # the 200, the fourth chunk fed
    assert sink.client_hello is not None and sink.server_hello is not None


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!",          # refused, nothing follows
    b"HTTP/1.1 502 Bad Gateway\r\n\r\n",
    b"SSH-2.0-OpenSSH_9.2\r\n\r\n",                                       # not a proxy at all
    b"HTTP/1.1 2xx weird\r\n\r\n",
])
def test_no_tunnel_without_a_2xx(answer):
    client, _proxy = _streams("tls13_connect_proxy.pcap")
    sink = _sink()
    _feed(sink, [(0, client[0]), (1, answer), (0, client[1])])
    assert not (sink.tunnel and sink.tunnel.open)
    assert sink.client_hello is None


def test_a_head_that_never_ends_is_given_up_bounded():
    sink = _sink()
    _feed(sink, [(0, b"CONNECT a:443 HTTP/1.1\r\n")] + [(0, b"X-Pad: " + b"a" * 1000 + b"\r\n")] * 40)
    assert sink.dead
    assert sum(len(b) for b in sink.tunnel.heads) < 20000


def test_connect_target_is_the_full_uri_as_tshark_gives_it():
    from analyzer.apps.http.sink import full_uri

    assert full_uri("analyzer.test:443", "analyzer.test:443") == "analyzer.test:443"
    assert full_uri("[2001:db8::1]:443", "x") == "[2001:db8::1]:443"
    assert full_uri("/index.html", "analyzer.test") == "http://analyzer.test/index.html"
    assert full_uri("*", "h") == "http://h*"


def test_another_method_starting_alike_is_given_up_at_once():
    sink = _sink()
    _feed(sink, [(0, b"C"), (0, b"OPY /a HTTP/1.1\r\n")])
    assert sink.dead
