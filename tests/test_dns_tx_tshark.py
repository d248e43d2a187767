"""DNS transaction fields against tshark (the oracle): dns.response_to, dns.time, dns.retransmission,
dns.retransmit_request_in, dns.retransmit_response_in, dns.unsolicited on every frame (one pass), and
dns.response_in (two passes), for every corpus capture carrying DNS, mDNS or LLMNR and the crafted ones.
Expected values are tshark's; our transactions are also checked against tshark's pairs and times.
"""

from __future__ import annotations

import pytest
from fixtures.http_dns import craft
from fixtures.http_dns.harness import CORPUS, TSHARK, corpus_files, our_fields, run_capture, tshark_fields

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (it is the oracle)")

FIELDS = ["dns.id", "dns.flags.response", "dns.response_to", "dns.time", "dns.retransmission",
          "dns.retransmit_request_in", "dns.retransmit_response_in", "dns.unsolicited"]


def _captures():
    params = [pytest.param(p, id=p.name) for p in corpus_files("dns", "mdns", "llmnr")]
    params += [pytest.param(name, id=f"crafted:{name}") for name in ("dns_udp", "dns_tcp", "dns_and_http")]
    return params


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    return craft.build(tmp_path_factory.mktemp("dns_tshark"), names={"dns_udp", "dns_tcp", "dns_and_http"})


def _path(item, crafted):
    if isinstance(item, str):
        return crafted[item]
    if not item.exists():
        pytest.skip(f"corpus file {item} is absent ({CORPUS})")
    return item


def _diffs(path, fields, two_pass=False):
    packets, _tx = run_capture(path, http=False)
    ours = our_fields(packets, fields)
    theirs = tshark_fields(path, fields, two_pass=two_pass)
    diffs = []
    compared = 0
    for number in sorted(set(theirs) | set(ours)):
        t, o = theirs.get(number, {}), ours.get(number, {})
        for f in fields:
            compared += f in t or f in o
            if t.get(f) != o.get(f):
                diffs.append((number, f, t.get(f), o.get(f)))
    # both sides empty would "agree" and prove nothing
    assert compared > 0, f"{path.name}: neither tshark nor the analyzer gives any of {fields}"
    return diffs


@pytest.mark.parametrize("item", _captures())
def test_dns_frame_fields_match_tshark(item, crafted):
    path = _path(item, crafted)
    diffs = _diffs(path, FIELDS)
    assert diffs == [], f"{path.name}: (frame, field, tshark, ours): {diffs[:10]}"


@pytest.mark.parametrize("item", _captures())
def test_dns_response_in_matches_tshark_second_pass(item, crafted):
    path = _path(item, crafted)
    # with the id beside it: a capture without answered queries has no response_in on either side
    diffs = _diffs(path, ["dns.response_in", "dns.id"], two_pass=True)
    assert diffs == [], f"{path.name}: (frame, field, tshark, ours): {diffs[:10]}"


@pytest.mark.parametrize("item", _captures())
def test_dns_transactions_match_tshark_pairs(item, crafted):
    """Each response tshark pairs with a query is one of our transactions, with rtt = tshark's dns.time
    (pairs counted per frame: a TCP frame may complete several responses)."""
    from analyzer.api.build import dns_record
    from analyzer.report.dns import rows

    path = _path(item, crafted)
    theirs = tshark_fields(path, ["dns.response_to", "dns.time"])
    _, tx = run_capture(path, http=False, fields=False)
    ours: dict[tuple[int, int], list[float]] = {}
    for r in rows(dns_record(t) for t in tx.dns.transactions):
        if r["query_frame"] is not None and r["response_frame"] is not None:
            ours.setdefault((r["query_frame"], r["response_frame"]), []).append(r["rtt"])
    expected: dict[tuple[int, int], list[float]] = {}
    for frame, f in theirs.items():
        if "dns.response_to" not in f:
            continue
        tos = f["dns.response_to"].split("\x1f")
        times = f["dns.time"].split("\x1f")
        for to, t in zip(tos, times):
            expected.setdefault((int(to), frame), []).append(float(t))
    assert sorted(ours) == sorted(expected), path.name
    for key, times in expected.items():
        assert sorted(ours[key]) == pytest.approx(sorted(times), abs=1e-9)


# -- the pairing index bounded by capture time (apps/dns_tx.py's docstring) ----------------------------------
S = 1_000_000_000


def _dns_frames() -> list[tuple[int, bytes]]:
    """Over 200 s of one client's lookups, every case the bounded index must still pair as tshark does:
    a response retransmitted 2 s later; an answer 60 s late; a query resent 1 s later then answered; an ID
    used again 100 s after it was answered; an unanswered query asked again 20 s later (a new transaction)
    and answered; and an answered lookup every second with a fresh ID (what the sweeps drop)."""
    import struct

    from fuzz.adversarial import _dns_name, eth, ipv4, udp

    t0 = 1_700_000_000 * S

    def message(ident: int, name: str, response: bool) -> bytes:
        head = struct.pack("!HHHHHH", ident, 0x8180 if response else 0x0100, 1, 1 if response else 0, 0, 0)
        body = _dns_name(name) + b"\0\1\0\1"
        return head + body + (b"\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4\x0a\x09\x00\x01" if response else b"")

    def q(t: float, ident: int, name: str) -> tuple[int, bytes]:
        return (t0 + int(t * S), eth(ipv4("10.0.0.7", "10.0.0.53", 17, udp("10.0.0.7", "10.0.0.53", 40000, 53,
                                                                          message(ident, name, False)))))

    def a(t: float, ident: int, name: str) -> tuple[int, bytes]:
        return (t0 + int(t * S), eth(ipv4("10.0.0.53", "10.0.0.7", 17, udp("10.0.0.53", "10.0.0.7", 53, 40000,
                                                                          message(ident, name, True)))))

    frames = [q(0, 1, "a.test"), a(0.01, 1, "a.test"), a(2, 1, "a.test"),          # response resent
              q(1, 2, "late.test"), a(61, 2, "late.test"),                           # answered 60 s late
              q(2, 3, "c.test"), q(3, 3, "c.test"), a(3.01, 3, "c.test"),            # query resent
              q(100, 1, "a.test"), a(100.01, 1, "a.test"),                           # ID 1 again, 100 s on
              q(150, 4, "d.test"), q(170, 4, "d.test"), a(171, 4, "d.test")]         # asked again 20 s on
    frames += [q(5 + i + 0.5, 1000 + i, f"n{i}.test") for i in range(200)]
    frames += [a(5 + i + 0.502, 1000 + i, f"n{i}.test") for i in range(200)]
    return sorted(frames, key=lambda fr: fr[0])


@pytest.fixture(scope="module")
def long_capture(tmp_path_factory):
    from fuzz.adversarial import pcap_bytes

    path = tmp_path_factory.mktemp("dns_bounded") / "dns_200s.pcap"
    path.write_bytes(pcap_bytes(_dns_frames()))
    return path


def test_the_bounded_index_pairs_as_tshark_over_minutes(long_capture):
    from analyzer.apps import dns_tx

    assert dns_tx.ANSWERED_HOLD_NS < 60 * S < dns_tx.UNANSWERED_HOLD_NS     # the capture spans the bounds
    assert _diffs(long_capture, FIELDS) == []
    assert _diffs(long_capture, ["dns.response_in", "dns.id"], two_pass=True) == []
    _packets, tx = run_capture(long_capture, http=False)
    # the index held only what could still pair (the lookup answered every second is dropped 30 s on)
    assert len(tx.dns._last) < 60
