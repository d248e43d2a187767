"""The NSS key log parser (analyzer.apps.tls.keylog): real key log lines as curl wrote them, junk lines, and
arbitrary bytes, which must give a KeyLog with problems, never an exception."""

from __future__ import annotations

import random
from pathlib import Path

from analyzer.apps.tls.keylog import (
    CLIENT_RANDOM,
    CLIENT_TRAFFIC,
    MAX_PROBLEMS,
    KeyLog,
    parse_keylog,
    secrets_receiver,
)
from analyzer.capture.pcapng import SECRETS_TLS_KEY_LOG

FIXTURES = Path(__file__).parent / "fixtures" / "tls"


def test_curl_tls13_key_log_has_five_secrets_for_one_random():
    text = (FIXTURES / "tls13_http11.keys").read_text()
    log = parse_keylog(text)
    assert len(log) == 5 and not log.problems
    random_hex = text.split()[1]
    line = next(line for line in text.splitlines() if line.startswith("CLIENT_TRAFFIC_SECRET_0 "))
    assert log.lookup(CLIENT_TRAFFIC, bytes.fromhex(random_hex)) == bytes.fromhex(line.split()[2])
    assert log.has_random(bytes.fromhex(random_hex))
    assert not log.has_random(bytes(32))


def test_tls12_client_random_line():
    text = (FIXTURES / "tls12_gcm.keys").read_text()
    label, client_random, master = text.split()
    assert label == CLIENT_RANDOM
    log = parse_keylog(text.encode())
    assert log.lookup(CLIENT_RANDOM, bytes.fromhex(client_random)) == bytes.fromhex(master)
    assert len(bytes.fromhex(master)) == 48


def test_junk_lines_become_problems_with_line_numbers():
    good = (FIXTURES / "tls12_gcm.keys").read_text().strip()
    text = "\n".join([
        "# a comment", "", good, "hello world", "CLIENT_RANDOM zz 00", "CLIENT_RANDOM " + "00" * 32,
        "CLIENT_RANDOM " + "00" * 32 + " " + "11" * 47, "RSA abcd 1234", "\x1b[31mred", "x" * 5000,
        "SERVER_TRAFFIC_SECRET_0 " + "00" * 32 + " " + "22" * 48,
    ])
    log = parse_keylog(text)
    assert len(log) == 2
    reasons = {p.line: p.reason for p in log.problems}
    assert set(reasons) == {4, 5, 6, 7, 8, 9, 10}
    assert "unknown label" in reasons[4]
    assert "64 hex digits" in reasons[5]
    assert "needs 2 values" in reasons[6]
    assert "47 bytes" in reasons[7]
    assert "RSA" in reasons[8]
    assert "\x1b" not in reasons[9]          # shown escaped, never raw control characters
    assert "longer than" in reasons[10]
    assert str(log.problems[0]).startswith("line 4: ")


def test_arbitrary_bytes_never_raise():
    rng = random.Random(11)
    seeds = [(FIXTURES / "tls13_http11.keys").read_bytes(), b"CLIENT_RANDOM \xff\xfe\n", b"\0" * 100]
    for _ in range(300):
        base = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(1, 20)):
            if base:
                base[rng.randrange(len(base))] = rng.randrange(256)
        log = parse_keylog(bytes(base))
        assert isinstance(log, KeyLog)
        assert log.problem_count >= len(log.problems)


def test_problems_are_bounded_but_counted():
    log = parse_keylog("junk\n" * (MAX_PROBLEMS + 50))
    assert len(log.problems) == MAX_PROBLEMS and log.problem_count == MAX_PROBLEMS + 50


def test_merge_and_secrets_receiver():
    log = KeyLog()
    receive = secrets_receiver(log)
    receive(0x12345678, (FIXTURES / "tls12_gcm.keys").read_bytes())    # not a TLS key log: ignored
    assert len(log) == 0
    receive(SECRETS_TLS_KEY_LOG, (FIXTURES / "tls12_gcm.keys").read_bytes())
    receive(SECRETS_TLS_KEY_LOG, (FIXTURES / "tls13_http11.keys").read_bytes())
    assert len(log) == 6
