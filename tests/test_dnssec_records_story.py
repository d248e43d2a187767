"""DNSSEC records in the timeline's DNS answers read as what they are (key tag, algorithm, what a signature
covers and who signed it), never "DNSKEY <unknown type=48>": the type's name beside a claim that it is
unknown. Every value is compared with tshark's dns.dnskey.* / dns.rrsig.* / dns.ds.* fields of the same frame.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import analyzer
from analyzer.capture import open_capture
from analyzer.timeline import timeline
from analyzer.timeline.collect import record_value

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT.parent / "shared" / "corpus" / "dns_udp_tc_bit_then_tcp_retry.pcapng"
TSHARK = shutil.which("tshark")
FRAME = 10          # the DNS-over-TCP answer: DNSKEY, RRSIG and DS records
ALGORITHMS = {5: "RSASHA1", 8: "RSASHA256"}     # RFC 3110 / RFC 5702 mnemonics (IANA registry)
TYPES = {48: "DNSKEY", 46: "RRSIG", 43: "DS"}


def tshark_fields(*fields: str) -> list[list[str]]:
    out = subprocess.run([TSHARK, "-r", str(CAPTURE), "-Y", f"frame.number == {FRAME}", "-T", "fields",
                          *(x for f in fields for x in ("-e", f))], capture_output=True, text=True, check=True,
                         timeout=120).stdout.rstrip("\n").split("\t")
    return [v.split(",") if v else [] for v in out]


@pytest.fixture(scope="module")
def values() -> dict[int, list[str]]:
    if not CAPTURE.exists():
        pytest.skip(f"the shared corpus is not here ({CAPTURE})")
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    got: dict[int, list[str]] = {}
    for pkt in analyzer.open(CAPTURE).packets():
        if pkt.frame.number == FRAME:
            (dns,) = [layer for layer in pkt.layers if layer.name == "dns"]
            for rr in dns.message.answers:
                got.setdefault(rr.rtype, []).append(record_value(rr))
    return got


def test_dnskey_rrsig_ds_match_tshark(values):
    flags, proto, alg, key_id = tshark_fields("dns.dnskey.flags", "dns.dnskey.protocol", "dns.dnskey.algorithm",
                                              "dns.dnskey.key_id")
    assert values[48] == [f"{int(f, 0)} {p} {ALGORITHMS[int(a)]} id={k}" for f, p, a, k in zip(flags, proto, alg,
                                                                                             key_id, strict=True)]
    covered, alg, labels, ttl, tag, signer = tshark_fields(
        "dns.rrsig.type_covered", "dns.rrsig.algorithm", "dns.rrsig.labels", "dns.rrsig.original_ttl",
        "dns.rrsig.key_tag", "dns.rrsig.signers_name")
    assert values[46] == [f"{TYPES[int(c)]} {ALGORITHMS[int(a)]} {la} {t} id={k} {s}"
                          for c, a, la, t, k, s in zip(covered, alg, labels, ttl, tag, signer, strict=True)]
    key_id, alg, digest = tshark_fields("dns.ds.key_id", "dns.ds.algorithm", "dns.ds.digest_type")
    assert values[43] == [f"{int(k, 0)} {ALGORITHMS[int(a)]} {d}" for k, a, d in zip(key_id, alg, digest, strict=True)]


def test_timeline_step_names_the_keys_not_unknown(values):
    with open_capture(CAPTURE) as reader:
        steps = [s for f in timeline(reader).fetches for s in f.steps if FRAME in s.frames and s.layer == "dns"]
    (step,) = steps
    assert "unknown type" not in step.text
    text = " ".join(step.text.split())
    assert f"DNSKEY {values[48][0]}" in text
    (types,) = tshark_fields("dns.resp.type")          # the answers tshark counts: the first 3 shown, the rest counted
    assert f"{len(types) - 3} more records." in text and "...." not in text
