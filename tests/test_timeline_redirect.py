"""A redirect followed on a new connection (analyzer.timeline.redirect): ``curl -L http://analyzer.test/``
answered 301 with a Location on https://, then a TLS 1.3 connection to port 443 (tests/fixtures/tls/
http_redirect_tls13, recorded by scripts/record_tls_fixtures.py). Every expected frame is asked from tshark;
the connection-matching rules are also checked on connections built to break each of them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from tshark_query import fields

from analyzer.apps.tls import parse_keylog
from analyzer.capture import open_capture
from analyzer.report.timeline_text import render
from analyzer.timeline import timeline
from analyzer.timeline.redirect import followed
from analyzer.timeline.texts import explain

TLS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tls"
CAPTURE = TLS / "http_redirect_tls13.pcap"


def tshark(display: str, *names: str, keys: bool = False) -> list[list[str]]:
    return fields(CAPTURE, display, *names, keys=CAPTURE.with_suffix(".keys") if keys else None)


def load(lang: str = "en", keys: bool = False):
    keylog = parse_keylog(CAPTURE.with_suffix(".keys").read_bytes()) if keys else None
    with open_capture(CAPTURE) as reader:
        return timeline(reader, lang, keylog=keylog)


def test_the_connection_that_follows_the_redirect_says_so():
    ((redirect, location, stream),) = tshark("http.response.code == 301", "frame.number", "http.location",
                                             "tcp.stream")
    syns = tshark("tcp.flags.syn == 1 && tcp.flags.ack == 0", "frame.number", "tcp.stream", "tcp.dstport")
    (syn, new_stream, port), = [s for s in syns if int(s[0]) > int(redirect)]
    ((hello, sni),) = tshark(f"tls.handshake.type == 1 && tcp.stream == {new_stream}", "frame.number",
                             "tls.handshake.extensions_server_name")
    assert location == f"https://{sni}/" and port == "443" and new_stream != stream
    steps = [s for f in load().fetches for s in f.steps if s.kind == "http.redirect.followed"]
    (step,) = steps
    assert step.frames == (int(redirect), int(syn), int(hello))
    assert step.text == (f"The client follows the redirect of frame {redirect} (301 to {location}): connection "
                         f"{new_stream} goes to 127.0.0.1:443, the port of that URL, and names its host {sni} (its "
                         f"TLS server name, SNI, frame {hello}).")
    (zh,) = [s for f in load("zh").fetches for s in f.steps if s.kind == "http.redirect.followed"]
    assert f"客户端跟随第 {redirect} 帧的重定向" in zh.text


def test_with_keys_the_redirected_request_continues_the_fetch():
    """With the key log tshark reads both requests: the redirected one (frame 18, on the TLS connection) asks
    for the URL the 301 named. It is the same navigation: one fetch, whose request step says why, and the
    connection step is still there."""
    ((redirect, location),) = tshark("http.response.code == 301", "frame.number", "http.location")
    requests = tshark("http.request", "frame.number", "http.request.full_uri", "tcp.stream", keys=True)
    assert len(requests) == 2 and requests[1][1] == location
    tl = load(keys=True)
    assert len(tl.fetches) == 1
    steps = tl.fetches[0].steps
    (step,) = [s for s in steps if s.kind == "http.request.redirected"]
    assert int(requests[1][0]) in step.frames and step.facts["stream"] == int(requests[1][2])
    assert step.text.startswith(f"HTTP request for the URL the redirect of frame {redirect} (301) named: GET /")
    assert [s.kind for s in steps].count("http.redirect.followed") == 1
    assert "a single request" not in render(tl, width=300)


def test_summary_counts_the_requests_in_clear_and_the_encrypted_ones():
    """tshark without keys sees one HTTP request (the redirected one), with the keys two; the summary says
    both kinds instead of calling the fetch 'a single request'."""
    assert len(tshark("http.request", "frame.number")) == 1
    assert len(tshark("http.request", "frame.number", keys=True)) == 2
    text = " ".join(render(load(), width=300).split())
    assert "requests 1 request, about 1 more encrypted, 2 connections: HTTP read where it is in clear text" in text
    assert "a single request" not in text


def _conn(stream, port, *, sni=None, host=None, syn=None, records=(), server="127.0.0.1"):
    req = SimpleNamespace(headers={"host": host} if host else {}, first_frame=(syn or 0) + 3)
    recs = tuple(records) or ((SimpleNamespace(transaction=SimpleNamespace(request=req, response=None)),)
                              if host else ())
    tls = SimpleNamespace(client_hello=SimpleNamespace(sni=sni, frame=(syn or 0) + 3)) if sni else None
    return SimpleNamespace(stream=stream, epoch=0, server=server, server_port=port, tls=tls, records=recs,
                           syns=[(syn, 0)] if syn is not None else [])


def _answer(status, location, frame=6, host="a.test"):
    req = SimpleNamespace(headers={"host": host}, first_frame=4)
    resp = SimpleNamespace(status=status, headers={"location": location}, first_frame=frame)
    return SimpleNamespace(transaction=SimpleNamespace(request=req, response=resp, response_end=None))


@pytest.mark.parametrize(("location", "conn", "follows"), [
    ("https://a.test/", _conn(1, 443, sni="a.test", syn=8), True),
    ("https://a.test/", _conn(1, 443, sni="b.test", syn=8), False),        # another host
    ("https://a.test/", _conn(1, 80, host="a.test", syn=8), False),        # another port than https's
    ("https://a.test:8443/x", _conn(1, 8443, sni="a.test", syn=8), True),  # the URL's own port
    ("https://a.test/", _conn(1, 443, sni="a.test", syn=5), False),        # opened before the answer
    ("/elsewhere", _conn(1, 80, host="a.test:80", syn=8), True),           # relative: the same origin
    ("http://127.0.0.1/", _conn(1, 80, syn=8), True),                      # an address, named by no request
    ("http://[::1]:8080/", _conn(1, 8080, host="[::1]:8080", syn=8, server="::1"), True),
    ("http://a.test:x/", _conn(1, 80, host="a.test", syn=8), False),       # a port that is no number
])
def test_the_rules_that_make_a_connection_follow_a_redirect(location, conn, follows):
    source = _conn(0, 80, host="a.test", syn=1, records=[_answer(301, location)])
    got = followed([source, conn])
    assert ((1, 0) in got) is follows
    assert (0, 0) not in got


def test_one_connection_follows_each_redirect():
    source = _conn(0, 80, host="a.test", syn=1, records=[_answer(302, "https://a.test/")])
    first, second = _conn(1, 443, sni="a.test", syn=8), _conn(2, 443, sni="a.test", syn=20)
    assert set(followed([source, second, first])) == {(1, 0)}


def test_a_certificate_without_alternative_names_is_said_so():
    facts = {"subject": "CN=a.test", "issuer": "CN=a.test", "not_after": "2027-01-01", "chain": 1}
    assert "(names: www.a.test)" in explain("tls.certificate", dict(facts, san="www.a.test"))
    text = explain("tls.certificate", dict(facts, san=""))
    assert "names: )" not in text and "it lists no subject alternative names" in text


def test_many_redirects_each_followed_by_the_next_connection_after_it():
    """A load test of a redirecting URL: redirect i (answered at frame 10i + 6) is followed by connection i (its
    SYN at frame 10i + 8), not by an earlier or an already claimed one; a connection to another host between
    them is skipped."""
    n = 3000
    source = _conn(0, 80, host="a.test", syn=1, records=[_answer(301, "https://a.test/", frame=10 * i + 6)
                                                         for i in range(n)])
    followers = [_conn(i + 1, 443, sni="a.test", syn=10 * i + 8) for i in range(n)]
    others = [_conn(n + 1 + i, 443, sni="b.test", syn=10 * i + 7) for i in range(n)]
    got = followed([source, *others, *reversed(followers)])
    assert {k: r.frame for k, r in got.items()} == {(i + 1, 0): 10 * i + 6 for i in range(n)}


def _story(gap_us: int, path: Path) -> Path:
    """A page whose stylesheet /old.css is answered 301 to /new.css; scripts keep the page loading (one every
    2 s), and ``gap_us`` after the 301 the client asks for /new.css with the page as Referer, on the same
    keep-alive connection (crafted with the project's scapy helpers)."""
    from fixtures.timeline.craft import CLIENT, SERVER_A, Conn, Story, request, response

    story = Story()
    conn = Conn(story, (CLIENT, 40100), (SERVER_A, 80))
    conn.handshake()
    page = "http://www.a.test/"
    conn.get(request("/", "www.a.test"), response("200 OK", b"<html>page</html>", "text/html"))
    conn.get(request("/old.css", "www.a.test", referer=page),
             response("301 Moved Permanently", b"", "text/html", extra="Location: http://www.a.test/new.css\r\n"))
    waited = 0
    for n in range(gap_us // 2_000_000):
        conn.get(request(f"/{n}.js", "www.a.test", referer=page), response("200 OK", b"x()", "text/javascript"),
                 dt_us=2_000_000)
        waited += 2_000_000
    conn.get(request("/new.css", "www.a.test", referer=page), response("200 OK", b"p {}", "text/css"),
             dt_us=gap_us - waited)
    conn.close_four(0)
    story.write(path)
    return path


@pytest.mark.parametrize(("gap_s", "kind"), [(1, "http.request.redirected"), (5, "http.request.resource")])
def test_a_request_is_said_to_follow_a_redirect_only_as_the_grouping_rule_says(tmp_path, gap_s, kind):
    """One rule for "follows the redirect" (group.py rule 0: within 3 s of the 3xx): a request for the Location
    5 s later, in the same fetch by its Referer, is told as a resource asked by Referer, not as the redirect
    followed (build.py had its own index of Locations, with no time limit)."""
    with open_capture(_story(gap_s * 1_000_000, tmp_path / "redirect.pcap")) as reader:
        (fetch,) = timeline(reader).fetches
    (step,) = [s for s in fetch.steps if s.kind.startswith("http.request") and s.facts.get("uri") == "/new.css"]
    assert step.kind == kind


def test_the_request_answered_by_a_redirect_is_not_called_the_page():
    """tshark: frame N's GET is answered 301. Its step said "This is the page itself" (the 301 had an HTML
    body); the page is where the redirect sends the client."""
    ((request_in, code),) = tshark("http.response.code == 301", "http.request_in", "http.response.code")
    (step,) = [s for f in load().fetches for s in f.steps
               if s.kind == "http.request" and s.frames[0] == int(request_in)]
    assert step.text.endswith(f"This is what the fetch asks for; the answer is a redirect ({code}).")
