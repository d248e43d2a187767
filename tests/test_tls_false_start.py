"""TLS 1.2 False Start (RFC 7918; issue 10): the client sends its request right after its own Finished, before
the server's ChangeCipherSpec and Finished. tests/fixtures/tls/tls12_false_start is the recorded tls12_gcm fetch
reshaped so (scripts/derive_tls_false_start.py: no client here does False Start). Without keys that request was
counted as handshake: "0 records from the client", the answer "with no client record before" it and "no HTTP
request". Every expected frame is asked from tshark with the key log."""

from __future__ import annotations

from pathlib import Path

from tshark_query import fields

from analyzer.apps.tls import parse_keylog
from analyzer.capture import open_capture
from analyzer.timeline import timeline

CAPTURE = Path(__file__).resolve().parent / "fixtures" / "tls" / "tls12_false_start.pcap"
KEYS = CAPTURE.with_suffix(".keys")


def load(keys: bool, lang: str = "en"):
    with open_capture(CAPTURE) as reader:
        return timeline(reader, lang, keylog=parse_keylog(KEYS.read_bytes()) if keys else None)


def oracle() -> tuple[int, int, int]:
    """(the GET's frame, the server's ChangeCipherSpec frame, the response's frame), from tshark."""
    ((get,),) = fields(CAPTURE, "http.request", "frame.number", keys=KEYS)
    ((response,),) = fields(CAPTURE, "http.response", "frame.number", keys=KEYS)
    ((ccs,),) = fields(CAPTURE, "tls.record.content_type == 20 && tcp.srcport == 443", "frame.number")
    return int(get), int(ccs), int(response)


def test_the_request_went_before_the_servers_finished():
    get, ccs, response = oracle()
    assert get < ccs < response


def test_without_keys_the_false_start_request_is_an_exchange():
    get, ccs, response = oracle()
    (fetch,) = load(keys=False).fetches
    (ex,) = [s for s in fetch.steps if s.kind.startswith("tls.exchange")]
    assert ex.kind == "tls.exchange" and (ex.facts["req_frames"], ex.facts["resp_frames"]) == ([get], [response])
    assert "(TLS False Start)" in ex.text and "0-RTT" not in ex.text
    (done,) = [s for s in fetch.steps if s.kind.startswith("tls.done")]
    assert done.frames == (ccs,) and "it sent data right after its own Finished, before the server's" in done.text
    (data,) = [s for s in fetch.steps if s.kind == "tls.encrypted"]
    assert data.facts["sent_records"] == 1 and data.facts["first"] == get
    assert fetch.summary.encrypted_requests == 1         # "about 1 request (encrypted)"


def test_with_keys_the_done_step_says_the_client_did_not_wait():
    get, ccs, _response = oracle()
    (fetch,) = load(keys=True).fetches
    assert [s.frames[0] for s in fetch.steps if s.kind == "http.request"] == [get]
    (done,) = [s for s in fetch.steps if s.kind.startswith("tls.done")]
    assert done.frames == (ccs,) and "(TLS False Start, RFC 7918)" in done.text
    (zh,) = [s for f in load(keys=True, lang="zh").fetches for s in f.steps if s.kind.startswith("tls.done")]
    assert "TLS False Start" in zh.text and "Finished 之前" in zh.text
