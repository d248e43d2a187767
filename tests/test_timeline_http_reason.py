"""A status line with an empty reason phrase (``HTTP/1.1 200 ``, which RFC 9112 allows) is told as its status code
alone: "HTTP response: 200, text/html", never "200 , text/html" (en) or 「200 ，」 (zh). Expected frames and codes are
tshark's (``http.response.phrase`` empty), asked at test time."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ROOT.parent / "shared" / "corpus" / "linktype_sll_http_post_arp.pcap"
TSHARK = shutil.which("tshark")


def test_empty_reason_phrase_is_the_code_alone():
    if not CAPTURE.exists():
        pytest.skip(f"{CAPTURE} is not there (the corpus lives in ../shared/corpus)")
    if TSHARK is None:
        pytest.skip("tshark (the oracle) is not installed")
    out = subprocess.run([TSHARK, "-r", str(CAPTURE), "-Y", "http.response", "-T", "fields", "-e", "frame.number",
                          "-e", "http.response.code", "-e", "http.response.phrase"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    empty = {int(f): code for f, code, phrase in rows if not phrase}
    named = {int(f): (code, phrase) for f, code, phrase in rows if phrase}
    assert empty and named          # both kinds are in the file: else it proves nothing
    for lang, lead, gap in (("en", "HTTP response: ", " ,"), ("zh", "HTTP 响应：", " ，")):
        with open_capture(CAPTURE) as reader:
            tl = timeline(reader, lang)
        steps = {s.frames[-1]: s for f in tl.fetches for s in f.steps if s.kind.startswith("http.response")}
        for frame, code in empty.items():
            text = steps[frame].text
            assert text.startswith(lead + code) and not text.startswith(lead + code + gap), text
            assert text[len(lead + code)] in ",，", text
        for frame, (code, phrase) in named.items():
            if frame in steps:
                assert steps[frame].text.startswith(f"{lead}{code} {phrase}"), steps[frame].text


def test_reason_phrase_is_a_format_spec():
    """The status line is "{status}{reason:phrase}" in every template (texts.py the one source of the sentences, no
    special case in the filling code): the reason after a space, or nothing when it is empty."""
    from analyzer.timeline.texts import TEMPLATES, explain

    for lang in ("en", "zh"):
        uses = [key for key, text in TEMPLATES[lang].items() if "{reason" in text and "{status" in text]
        assert uses and all("{status}{reason:phrase}" in TEMPLATES[lang][key] for key in uses)
        assert not any("{status} {reason}" in text for text in TEMPLATES[lang].values())
    facts = {"status": 204, "reason": "", "uri": "/x", "wait_ms": 1.0, "target": "a.test:443"}
    assert explain("http.connect.refused", facts).startswith("The proxy refuses the tunnel: 204, ")
    assert explain("http.connect.refused", {**facts, "reason": "No Content"}).startswith(
        "The proxy refuses the tunnel: 204 No Content, ")
    assert explain("http.connect.refused", facts, "zh").startswith("代理拒绝建立隧道：204，")
