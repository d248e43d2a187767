"""Wireshark's per-segment TCP analysis in C (``analyzer.columnar._speedups.tcp_analyze``, which the TCP tracker
calls before :func:`analyzer.tcp.analysis.analyze`) gives what the Python gives: the same fields in the same order,
the same bits, the same state left in the ConnAnalysis and both SeqStates; on every TCP segment of the captures,
the corpus and synthetic web traffic, and on random segments built to reach every rule (zero windows and their
probes, keep-alives, lost and ACKed-lost segments, window updates and full windows, duplicate ACKs,
retransmissions of each kind, SACK edges, bytes in flight). Where its 64-bit arithmetic might not be Python's, or
the state is not shaped as analyze() keeps it, it declines (None) having changed nothing, and the tracker runs the
Python: each such check is damaged on its own and its undamaged neighbour is taken. read's and read --json's
output is the same with and without it."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
import synthetic

from analyzer.compiled import compiled
from analyzer.tcp import analysis, connection
from analyzer.tcp.analysis import ConnAnalysis, SeqState, analyze, window_scaling_on_syn

fast = compiled("tcp_analyze")
pytestmark = pytest.mark.skipif(fast is None, reason="the compiled helper (with tcp_analyze) is not built")
REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])


def _state(o) -> dict:
    return {k: copy.deepcopy(getattr(o, k, "<unset>")) for k in type(o).__slots__}


def _compare(ca, fwd, rev, *rest) -> int:
    """Run the C on the given state and the Python on a copy; assert both agree; True when the C took it."""
    out = rest[7]
    ca2, fwd2, rev2 = copy.deepcopy(ca), copy.deepcopy(fwd), copy.deepcopy(rev)
    out2 = copy.deepcopy(out)
    want = analyze(ca2, fwd2, rev2, *rest[:7], out2, *rest[8:])
    got = fast(ca, fwd, rev, *rest)
    assert got is not None, rest
    assert got == want
    assert list(out.items()) == list(out2.items())
    assert [type(v) for v in out.values()] == [type(v) for v in out2.values()]
    assert (_state(ca), _state(fwd), _state(rev)) == (_state(ca2), _state(fwd2), _state(rev2))
    return got


class _Counting:
    """The tracker's compiled analysis, checked against the Python at each call."""

    def __init__(self):
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return _compare(*args)


def _run(paths, monkeypatch) -> int:
    import analyzer
    from analyzer.api.packets import analyze as analyze_packets

    counting = _Counting()
    monkeypatch.setattr(connection, "analyze_compiled", counting)
    monkeypatch.setattr(connection, "steady_compiled", None)    # (it calls tcp_analyze itself, uncounted)
    for path in paths:
        with analyzer.open([str(path)]).open() as reader:
            for _pkt in analyze_packets(reader):
                pass
    return counting.calls


def test_captures_and_corpus(monkeypatch):
    assert _run(FILES, monkeypatch) > 1500


def test_synthetic(tmp_path, monkeypatch):
    path = tmp_path / "s.pcap"
    synthetic.generate(path, 4_000, seed=5, clients=40, sites=30)
    assert _run([path], monkeypatch) > 3000


def _segments(rng: random.Random, n: int):
    """Segments of one connection, both ways, with numbers near each other so that the rules fire: resent and
    skipped data, repeated ACKs, zero and changing windows, one-byte probes, SACK blocks, FINs and RSTs."""
    isn = [rng.choice((0, 1, 0xFFFFFF00, rng.getrandbits(32))), rng.getrandbits(32)]
    nxt = [(isn[0] + 1) & 0xFFFFFFFF, (isn[1] + 1) & 0xFFFFFFFF]
    ts = rng.choice((0, 10**18))
    yield 0, ts, isn[0], 0, 0, 0x02, 64240, True
    ts += rng.randrange(1, 5_000_000)
    yield 1, ts, isn[1], nxt[0], 0, 0x12, 65160, True
    for _ in range(n):
        d = rng.randrange(2)
        ts += rng.choice((0, 1, 1000, 2_000_000, 30_000_000))
        seglen = rng.choice((0, 0, 0, 1, 2, 100, 1448, 1448))
        seq = nxt[d]
        r = rng.random()
        if r < 0.15:
            seq = (seq - rng.choice((1, 1, 1448, 2896))) & 0xFFFFFFFF    # resent / keep-alive
        elif r < 0.22:
            seq = (seq + 1448) & 0xFFFFFFFF                                 # a gap
        ack = (nxt[1 - d] - rng.choice((0, 0, 0, 0, 1448, 2896))) & 0xFFFFFFFF
        flags = rng.choice((0x10, 0x10, 0x10, 0x18, 0x11, 0x14, 0x04, 0x10 | 0x02))
        window = rng.choice((0, 0, 501, 501, 501, 1024, 65535))
        sack = rng.random() < 0.2
        if rng.random() < 0.85:
            nxt[d] = max(nxt[d], (seq + seglen) & 0xFFFFFFFF) if seq >= nxt[d] else nxt[d]
        yield d, ts, seq, ack, seglen, flags, window, sack


def _random_connection(seed: int) -> int:
    """One random connection's segments through both; the analysis bits seen."""
    rng = random.Random(seed)
    ca = ConnAnalysis()
    sides = [SeqState(), SeqState()]
    bits = 0
    for num, (d, ts, seq, ack, seglen, flags, window, sack) in enumerate(_segments(rng, 300), 1):
        fwd, rev = sides[d], sides[1 - d]
        if flags & 0x02:
            window_scaling_on_syn(fwd, rev, rng.choice((None, 0, 7, 14)), bool(flags & 0x10))
        out = {"tcp.stream": 0}
        if sack:
            le = (ack + rng.choice((1448, 2896))) & 0xFFFFFFFF
            blocks = ((le, (le + 1448) & 0xFFFFFFFF),)
            fwd.sack = blocks
            out["tcp.options.sack_le"] = le if rng.random() < 0.5 else [le, (le + 5) & 0xFFFFFFFF]
            out["tcp.options.sack_re"] = (le + 1448) & 0xFFFFFFFF
            if rng.random() < 0.3:
                out["tcp.options.sack.dsack_le"] = None
        else:
            fwd.sack = ()
        reused = analysis.A_REUSED_PORTS if rng.random() < 0.02 else 0
        args = (ts, num, seq, ack, seglen, flags, window, out) + ((reused,) if reused or rng.random() < 0.5 else ())
        bits |= _compare(ca, fwd, rev, *args)
    return bits


def test_random_connections_reach_every_rule():
    bits = 0
    for seed in range(60):
        bits |= _random_connection(seed)
    for bit, name in analysis.FLAG_FIELDS:
        if bit != analysis.A_ZERO_WINDOW_PROBE_ACK:    # needs a probe answered with the same window: below
            assert bits & bit, name


def test_zero_window_probe_and_its_ack():
    ca, a, b = ConnAnalysis(), SeqState(), SeqState()
    steps = [(a, b, 1000, 0, 0x02, 100), (b, a, 5000, 1001, 0x12, 100), (a, b, 1001, 5001, 0x10, 100),
             (b, a, 5001, 1001, 0x10, 0), (a, b, 1001, 5001, 0x10, 100, 1), (b, a, 5001, 1001, 0x10, 0),
             (b, a, 5001, 1002, 0x10, 0)]
    bits = 0
    for num, (fwd, rev, seq, ack, flags, win, *n) in enumerate(steps, 1):
        bits |= _compare(ca, fwd, rev, num * 1000, num, seq, ack, n[0] if n else 0, flags, win, {})
    assert bits & analysis.A_ZERO_WINDOW_PROBE and bits & analysis.A_ZERO_WINDOW_PROBE_ACK


def _established():
    """A connection after its handshake and some data each way, with segments waiting for their ACK."""
    ca, a, b = ConnAnalysis(), SeqState(), SeqState()
    window_scaling_on_syn(a, b, 7, False)
    window_scaling_on_syn(b, a, 7, True)
    for num, (fwd, rev, seq, ack, seglen, flags) in enumerate(
            [(a, b, 1000, 0, 0, 0x02), (b, a, 5000, 1001, 0, 0x12), (a, b, 1001, 5001, 0, 0x10),
             (a, b, 1001, 5001, 100, 0x18), (b, a, 5001, 1101, 1448, 0x10), (b, a, 6449, 1101, 1448, 0x10)], 1):
        analyze(ca, fwd, rev, num * 1000, num, seq, ack, seglen, flags, 501, {})
    return ca, a, b


def _declines(change) -> None:
    ca, a, b = _established()
    args = [7000, 7, 1101, 7897, 0, 0x10, 501, {"tcp.stream": 0}]
    change(ca, a, b, args)
    before = (_state(ca), _state(a), _state(b), dict(args[-1]) if isinstance(args[-1], dict) else None)
    assert fast(ca, a, b, *args) is None
    assert (_state(ca), _state(a), _state(b), dict(args[-1]) if isinstance(args[-1], dict) else None) == before


def _takes(change) -> None:
    ca, a, b = _established()
    args = [7000, 7, 1101, 7897, 0, 0x10, 501, {"tcp.stream": 0}]
    change(ca, a, b, args)
    _compare(ca, a, b, *args)


def _arg(i, v):
    def change(ca, a, b, args):
        args[i] = v
    return change


def _attr(which, name, v):
    def change(ca, a, b, args):
        setattr({"ca": ca, "a": a, "b": b}[which], name, v)
    return change


def _fn(f):
    def change(ca, a, b, args):
        f(ca, a, b, args)
    return change


# (what is damaged, how, the undamaged neighbour): each is declined with nothing changed, its neighbour taken
CASES = [
    ("seq past 32 bits", _arg(2, 2**32), _arg(2, 2**32 - 1)),
    ("negative seq", _arg(2, -1), _arg(2, 0)),
    ("ack past 32 bits", _arg(3, 2**32), _arg(3, 2**32 - 1)),
    ("raw window of 2**31", _arg(6, 2**31), _arg(6, 2**31 - 1)),
    ("time past 2**62", _arg(0, 2**62), _arg(0, 2**62 - 1)),
    ("time below -2**62", _arg(0, -(2**62)), _arg(0, -(2**62) + 1)),
    ("a bool for a frame number", _arg(1, True), _arg(1, 1)),
    ("a float seglen", _arg(4, 0.0), _arg(4, 0)),
    ("out not a dict", _arg(7, [("tcp.stream", 0)]), _arg(7, {})),
    ("window scale above 30", _attr("a", "win_scale", 31), _attr("a", "win_scale", 30)),
    ("an unset slot", _fn(lambda ca, a, b, args: delattr(b, "lastack")), _attr("b", "lastack", 7897)),
    ("valid_bif not a bool", _attr("a", "valid_bif", 1), _attr("a", "valid_bif", False)),
    ("base_seq a float", _attr("b", "base_seq", 5000.0), _attr("b", "base_seq", None)),
    ("a non-empty tuple of segments", _attr("b", "segments", ((5001, 6449, 5, 5000),)),
     _attr("b", "segments", ())),
    ("a segment of three numbers", _fn(lambda ca, a, b, args: b.segments.append([1, 2, 3])),
     _fn(lambda ca, a, b, args: b.segments.append([1, 2, 3, 4]))),
    ("a segment as a tuple", _fn(lambda ca, a, b, args: b.segments.append((1, 2, 3, 4))),
     _fn(lambda ca, a, b, args: b.segments.append([1, 2, 3, 4]))),
    ("a SACK block of three edges", _attr("b", "sack", ((1, 2, 3),)), _attr("b", "sack", ((1, 2),))),
    ("a SACK edge not an int", _attr("a", "sack", ((1, "2"),)), _attr("a", "sack", ((1, 2),))),
    ("an RTT text cache of another shape", _attr("ca", "rtt_text", (5, b"0.5")), _attr("ca", "rtt_text", (5, "x"))),
    ("first_rtt past 2**62", _attr("ca", "first_rtt", 2**62), _attr("ca", "first_rtt", 2**62 - 1)),
    ("a SACK edge in out not an int", _fn(lambda ca, a, b, args: args[7].update({"tcp.options.sack_le": "1"})),
     _fn(lambda ca, a, b, args: args[7].update({"tcp.options.sack_le": 1}))),
    ("a DSACK edge list holding a float",
     _fn(lambda ca, a, b, args: args[7].update({"tcp.options.sack_le": 1, "tcp.options.sack.dsack_re": [1.0]})),
     _fn(lambda ca, a, b, args: args[7].update({"tcp.options.sack_le": 1, "tcp.options.sack.dsack_re": [1]}))),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_declines_where_it_cannot_decide(case):
    _name, damage, neighbour = case
    _declines(damage)
    _takes(neighbour)


def test_declines_another_class():
    class Other(SeqState):
        __slots__ = ()

        @property
        def window(self):
            return 501

    ca, a, b = _established()
    other, other_b = Other.__new__(Other), Other.__new__(Other)
    for name in SeqState.__slots__:
        if name != "window":
            setattr(other, name, getattr(a, name))
            setattr(other_b, name, getattr(b, name))
    assert fast(ca, other, other_b, 7000, 7, 1101, 7897, 0, 0x10, 501, {}) is None
    assert fast(ca, a, a, 7000, 7, 1101, 7897, 0, 0x10, 501, {}) is None       # one state both ways
    _compare(ca, a, b, 7000, 7, 1101, 7897, 0, 0x10, 501, {})                  # the class is taken again after


def test_through_the_command(tmp_path, monkeypatch):
    """read's lines and read --json's objects are the same with the compiled analysis and without it."""
    from click.testing import CliRunner

    from analyzer.cli.main import main

    path = tmp_path / "s.pcap"
    synthetic.generate(path, 3_000, seed=13, clients=40, sites=30)
    counting = []

    def taken(*args):
        r = fast(*args)
        counting.append(r is not None)
        return r

    outputs = []
    monkeypatch.setattr(connection, "steady_compiled", None)    # (it calls tcp_analyze itself, uncounted)
    for helper in (taken, None):
        monkeypatch.setattr(connection, "analyze_compiled", helper)
        for args in (["read", str(path)], ["read", "--json", str(path)]):
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 0
            outputs.append(result.output)
    assert outputs[:2] == outputs[2:]
    assert sum(counting) > 2000 and all(counting)
