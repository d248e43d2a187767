"""``analyzer verify`` with every field of the analyzer's vocabulary, on every capture of captures/, of
tests/fixtures (with its TLS key log where one sits beside it, as ``--keylog`` gives it to both) and of the
shared corpus (../shared/corpus, MANIFEST.tsv): EQUAL to tshark 4.0, or different only where
docs/DIFFERENCES.md says we differ on purpose (listed below with the fields and frames that show it).

The files are verified two at a time (tshark does most of the work, in its own processes), once per session;
each file is then its own test.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from analyzer import verify

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CAPTURES = ROOT / "captures"
FIXTURES = ROOT / "tests" / "fixtures"
TSHARK = shutil.which("tshark")

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")

# file -> (the fields allowed to differ, the frames where they may, the docs/DIFFERENCES.md row); None: any
DOCUMENTED = {
    "http_pipelined_requests.pcap": (
        {"http.request_in", "http.prev_request_in", "http.prev_response_in", "http.response_for.uri",
         "http.request_number", "http.response_number", "http.time"}, None,
        "Pipelined HTTP/1.1 requests: paired in order, not with the last request seen"),
    "pcapng_bigendian_3_sections_all_blocks.pcapng": (
        None, None, "pcapng Custom Blocks: tshark numbers them as frames"),
    "tcp_http_fin_then_rst.pcap": (
        {"http.connection", "http.content_type", "http.transfer_encoding", "http.unknown_header",
         "http.chunk_size"}, {9},
        ("An overlapping retransmission: tshark reads its tail as a second header block (and a chunked body "
         "after it)")),
}


def files() -> list[Path]:
    out = sorted(p for p in CAPTURES.glob("*.pcap*")) if CAPTURES.is_dir() else []
    out += sorted(FIXTURES.glob("**/*.pcap*"))
    if CORPUS.is_dir():
        names = [line.split("\t", 1)[0] for line in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]
                 if line.strip()]
        out += [CORPUS / name for name in names]
    return out


FILES = files()


# file -> a difference that is a bug to fix, not a choice (the owner is told on the board): the test
# expects the failure, and says so when it is fixed.
OPEN_BUGS: dict[str, str] = {}


@pytest.fixture(scope="module")
def summaries():
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda path: verify.run(str(path), limit=10_000, keylog_path=keys(path)), FILES)
        return {path.name: result for path, result in zip(FILES, results)}


def keys(path: Path) -> str | None:
    """The TLS key log recorded with a fixture (NAME.keys beside NAME.pcap), if any."""
    log = path.with_suffix(".keys")
    return str(log) if log.exists() else None


def test_the_corpus_is_here():
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}: only captures/ is verified")
    assert len([p for p in FILES if p.parent == CORPUS]) >= 50


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_equal_to_tshark_or_documented(summaries, path):
    summary, rejected = summaries[path.name]
    assert rejected == []
    if path.name in OPEN_BUGS:
        if summary.ok:
            pytest.fail(f"{path.name} matches tshark now: drop it from OPEN_BUGS")
        pytest.xfail(OPEN_BUGS[path.name])
    documented = DOCUMENTED.get(path.name)
    if documented is None:
        assert summary.ok, "\n".join(d.describe() for d in summary.first[:20])
        return
    fields, frames, row = documented
    assert not summary.ok, f"{path.name} now matches tshark: drop its row ({row}) from docs/DIFFERENCES.md"
    assert row.split(":")[0] in (ROOT / "docs" / "DIFFERENCES.md").read_text()
    if fields is not None:
        unexpected = [d for d in summary.first if d.field not in fields or (frames and d.frame not in frames)]
        assert unexpected == [], "\n".join(d.describe() for d in unexpected[:20])
