"""HTTPS through an HTTP proxy (CONNECT tunnel), as corporate networks carry it (issue 10: "it works on HTTPS";
every connection attempt and failure explained). Recorded by scripts/record_tls_fixtures.py on the client's
side of the proxy: tls13_connect_proxy (CONNECT analyzer.test:443, 200, TLS 1.3 + HTTP/1.1 inside) and
tls13_connect_proxy_auth (CONNECT, 407 with Proxy-Authenticate and a body, CONNECT with Proxy-Authorization on
the same connection, 200, then the TLS).

Before: `read` showed the tunnel's TLS as bare TCP (tshark decodes it), http.request.full_uri of a CONNECT was
"http://analyzer.test:443analyzer.test:443" (tshark: "analyzer.test:443"); the timeline titled the fetch
"https://analyzer.test:443/analyzer.test:443", told the second CONNECT as "The page needs another resource",
said the client "already knew the address" of a name only the proxy looks up, gave the TLS records to the 200's
frames, and with the key log split the fetch (its GET / took the transaction index of the first CONNECT).
Every frame expected here is asked from tshark (with the key log where it must decrypt)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tshark_query import fields

from analyzer.apps.tls import parse_keylog
from analyzer.capture import open_capture
from analyzer.report.har import har
from analyzer.report.timeline_text import fetch_title
from analyzer.timeline import timeline

TLS = Path(__file__).resolve().parent / "fixtures" / "tls"
PLAIN, AUTH = TLS / "tls13_connect_proxy.pcap", TLS / "tls13_connect_proxy_auth.pcap"


def load(path: Path, keys: bool):
    keylog = parse_keylog(path.with_suffix(".keys").read_bytes()) if keys else None
    with open_capture(path) as reader:
        return timeline(reader, "en", keylog=keylog)


def oracle(path: Path):
    """tshark: the CONNECT frames, the proxy's answers (frame, code), the ClientHello, and with the keys the GET
    and its response."""
    connects = [int(f) for (f,) in fields(path, "http.request.method == \"CONNECT\"", "frame.number")]
    answers = [(int(f), int(c)) for f, c in fields(path, "http.response and not tls", "frame.number",
                                                   "http.response.code")]
    (hello,) = [int(f) for (f,) in fields(path, "tls.handshake.type == 1", "frame.number")]
    keys = path.with_suffix(".keys")
    (get,) = [int(f) for (f,) in fields(path, "http.request.method == \"GET\"", "frame.number", keys=keys)]
    (ok,) = [int(f) for (f,) in fields(path, "http.response and tls", "frame.number", keys=keys)]
    return connects, answers, hello, get, ok


@pytest.mark.parametrize("path", [PLAIN, AUTH], ids=["plain", "auth"])
def test_without_keys_the_tunnel_then_the_tls_and_one_exchange(path):
    connects, answers, hello, get, ok = oracle(path)
    (fetch,) = load(path, keys=False).fetches
    assert fetch.url == "https://analyzer.test/"
    assert fetch_title(fetch) == "Fetch 1: https://analyzer.test/ (HTTPS, encrypted: no key to see its requests)"
    kinds = [s.kind for s in fetch.steps]
    assert "dns.none.proxy" in kinds and not any(k.startswith("dns.none.cached") for k in kinds)
    asked = [s for s in fetch.steps if s.kind in ("http.connect.auth", "http.connect.refused", "http.connect.open")]
    assert [s.frames for s in fetch.steps if s.kind in ("http.connect", "http.connect.again")] == \
        [(f,) for f in connects]
    assert [(s.frames[0], s.facts["status"]) for s in asked] == answers
    assert asked[-1].kind == "http.connect.open" and all(s.kind == "http.connect.auth" for s in asked[:-1])
    assert not any(k in ("http.request", "http.request.resource", "http.response") for k in kinds)
    (ch,) = [s for s in fetch.steps if s.kind.startswith("tls.client_hello")]
    assert ch.frames == (hello,)
    # the exchange inferred from the records is the GET and the response tshark decrypts
    (ex,) = [s for s in fetch.steps if s.kind.startswith("tls.exchange") and "req_frames" in s.facts]
    assert (ex.facts["req_frames"], ex.facts["resp_frames"]) == ([get], [ok])


def test_the_407_says_what_the_proxy_asked_and_the_second_connect_has_credentials():
    (fetch,) = load(AUTH, keys=False).fetches
    (auth,) = [s for s in fetch.steps if s.kind == "http.connect.auth"]
    assert auth.problem and 'Proxy-Authenticate: Basic realm="lab"' in auth.text
    (again,) = [s for s in fetch.steps if s.kind == "http.connect.again"]
    assert "now with its credentials (a Proxy-Authorization header)" in again.text


@pytest.mark.parametrize("path", [PLAIN, AUTH], ids=["plain", "auth"])
def test_with_keys_one_fetch_of_the_request_inside_the_tunnel(path):
    _connects, _answers, _hello, get, ok = oracle(path)
    tl = load(path, keys=True)
    (fetch,) = tl.fetches
    kinds = [s.kind for s in fetch.steps]
    (req,) = [s for s in fetch.steps if s.kind.startswith("http.request")]
    assert req.frames[0] == get and req.facts["uri"] == "/"
    (resp,) = [s for s in fetch.steps if s.kind.startswith("http.response")]
    assert resp.frames[0] == ok
    # the connection's handshake and its close are this fetch's: the CONNECTs are no earlier requests
    assert "tcp.reuse" not in kinds and "tcp.reuse.same" not in kinds and "tcp.kept" not in kinds
    assert sum(k.startswith("tcp.handshake") for k in kinds) >= 3 and any(k.startswith("tcp.teardown") for k in kinds)
    assert [r.method for r in fetch.requests] == ["GET"]
    (entry,) = har(tl)["log"]["entries"]
    assert entry["request"]["url"] == "https://analyzer.test/" and entry["response"]["status"] == 200


def test_a_refused_connect_is_the_proxys_no_and_no_lookup_is_missing():
    """curl without credentials: CONNECT, 407, and it gives up (tests/fixtures/tls/connect_proxy_refused): no
    tunnel, no TLS; the client still never looks the site up (the DNS step said it 'already knew the address')."""
    path = TLS / "connect_proxy_refused.pcap"
    ((connect,),) = fields(path, "http.request.method == \"CONNECT\"", "frame.number")
    ((refusal, code),) = fields(path, "http.response", "frame.number", "http.response.code")
    assert code == "407"
    (fetch,) = load(path, keys=False).fetches
    kinds = [s.kind for s in fetch.steps]
    assert "dns.none.proxy" in kinds and not any(k.startswith("dns.none.cached") for k in kinds)
    assert [s.frames[0] for s in fetch.steps if s.layer == "http"] == [int(connect), int(refusal), int(refusal)]
    assert [(r.method, r.status) for r in fetch.requests] == [("CONNECT", 407)]
    # told as what it is: a request to the proxy and its refusal, not the page's request and an error page
    http = [s for s in fetch.steps if s.layer == "http"]
    assert [s.kind for s in http] == ["http.connect", "http.connect.auth", "http.connect.none"]
    assert 'Proxy-Authenticate: Basic realm="lab"' in http[1].text and http[1].problem
    assert http[2].text.startswith("No tunnel was opened on this connection: nothing of https://analyzer.test/")
    assert fetch_title(fetch) == ("Fetch 1: https://analyzer.test/ (through an HTTP proxy, which opened no tunnel: "
                                  "nothing reached the site)")
    assert not any(k.startswith(("http.request", "http.response", "tls.")) for k in kinds)
