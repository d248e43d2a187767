"""What fuzzing found in the code landed on 2026-12-04 (fuzz/differential.py, the atheris targets), each with the
values tshark gives for it: the inputs are kept in fuzz/regressions/ (replayed through every command by
tests/test_fuzz_regressions.py); here their output is checked, not only their exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGRESSIONS = ROOT / "fuzz" / "regressions"


def analyzer(*args: str, pure: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("ANALYZER_PURE_PYTHON", None)
    if pure:
        env["ANALYZER_PURE_PYTHON"] = "1"
    return subprocess.run([sys.executable, "-m", "analyzer", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_sack_edges_before_the_peers_first_segment_stay_raw():
    """A SYN with a SACK block (the peer's base unknown: raw edges), the SYN-ACK's, an ACK's and an ACK-less
    segment's (relative to the peer's ISN 1000 / 5000, tcp.ack raw without the ACK flag). Expected values:
    ``tshark -r F -T fields -e frame.number -e tcp.ack -e tcp.options.sack_le -e tcp.options.sack_re``."""
    path = REGRESSIONS / "pipeline" / "sack-edges-before-the-peers-first-segment"
    tshark = ["1\t0\t7000\t7100", "2\t1\t500\t600", "3\t1\t100\t200", "4\t5001\t300\t400"]
    for pure in (False, True):
        r = analyzer("read", str(path), "-T", "fields", "-e", "frame.number", "-e", "tcp.ack", "-e",
                     "tcp.options.sack_le", "-e", "tcp.options.sack_re", pure=pure)
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines() == tshark
        r = analyzer("read", str(path), pure=pure)
        assert r.returncode == 0, r.stderr
        assert "SLE=7000 SRE=7100" in r.stdout.splitlines()[0]
        assert "[TCP Dup ACK 3#1] 40000 → 80 [PSH] Seq=1 Win=65535 Len=0 SLE=300 SRE=400" in r.stdout


def test_early_data_candidates_one_per_distinct_offered_suite():
    """A ClientHello may repeat a cipher suite (its list can hold ~32k entries): the early-data trial decryptor
    keeps one candidate per distinct TLS 1.3 suite of the secret's hash length, in the order offered (with 32k
    copies of 0x1301 it derived 32k keys, ~0.3 s, and tried each on a refused record, ~0.15 s, per connection)."""
    from types import SimpleNamespace

    from analyzer.apps.tls.keylog import parse_keylog
    from analyzer.apps.tls.session import TlsSink, _Side

    client_random, secret = bytes(range(32)), bytes(range(100, 132))
    keylog = parse_keylog(f"CLIENT_EARLY_TRAFFIC_SECRET {client_random.hex()} {secret.hex()}\n".encode())
    suites = [0x1303] * 3000 + [0x0A0A, 0x1302] + [0x1301] * 3000 + [0x1303, 0xC02F]
    fake = SimpleNamespace(tracker=SimpleNamespace(keylog=keylog), client_random=client_random, ch={"suites": suites})
    trial = TlsSink._early_decryptor(fake, _Side())
    # SHA-256 suites only (0x1302 is SHA-384, 0x0A0A GREASE, 0xC02F TLS 1.2)
    assert [d.params.name for d in trial.candidates] == ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"]
