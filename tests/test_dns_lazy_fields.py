"""A DNS layer's fields are made on first read (:class:`analyzer.decode.dns.DnsLayer`).

``analyzer dns`` pairs queries and answers from the parsed message and never reads the layer's ``dns.*``
fields, so the decoder leaves them unmade; whoever reads them gets what tshark shows. Checked here: every
crafted message's layer holds no fields after the decode and, read, gives tshark's (the fixture of
tests/test_decode_dns.py), the same dict at each read; a set replaces them; the ``dns`` command makes none
(text and JSON), and a display filter on DNS fields makes them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli.main import main
from analyzer.decode import dns
from analyzer.decode.packet import Layer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_decode_dns import CRAFTED, SNAPLEN, comparable, decode_payload, dns_layers, load_fixture, our_fields

CAPTURE = Path(__file__).resolve().parents[1] / "captures" / "lab_dns_mix.pcapng"


def made(layer: Layer) -> bool:
    """Whether the layer's field dict exists yet (the base class's slot is filled)."""
    try:
        Layer.fields.__get__(layer)
    except AttributeError:
        return False
    return True


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_fields_are_made_on_first_read_as_tshark_shows_them(case):
    kind, payload = CRAFTED[case]
    pkt = decode_payload(kind, payload, SNAPLEN.get(case))
    lazy = [layer for layer in dns_layers(pkt) if isinstance(layer, dns.DnsLayer)]
    assert not any(made(layer) for layer in lazy)
    assert our_fields(pkt) == comparable(load_fixture()[case]["fields"])
    assert all(made(layer) and layer.fields is layer.fields for layer in lazy)


def test_a_set_replaces_the_fields():
    kind, payload = CRAFTED["response_a"]
    (layer,) = dns_layers(decode_payload(kind, payload))
    layer.fields = {"dns.id": "0x0001"}
    assert layer.fields == {"dns.id": "0x0001"}


def test_over_tcp_the_length_comes_first():
    kind, payload = next(CRAFTED[case] for case in sorted(CRAFTED) if CRAFTED[case][0] == "dns-tcp")
    layer = dns_layers(decode_payload(kind, payload))[0]
    assert next(iter(layer.fields)) == "dns.length"
    assert layer.fields["dns.length"] == int.from_bytes(payload[:2], "big")


@pytest.mark.skipif(not CAPTURE.exists(), reason=f"{CAPTURE.name} is not in captures/")
@pytest.mark.parametrize("args, reads", [([], False), (["--json"], False), (["-Y", "dns.a"], True)])
def test_the_dns_command_makes_fields_only_for_a_filter(monkeypatch, args, reads):
    calls = []
    real = dns.message_fields

    def counted(msg, proto="dns"):
        calls.append(proto)
        return real(msg, proto)

    monkeypatch.setattr(dns, "message_fields", counted)
    result = CliRunner().invoke(main, ["dns", *args, str(CAPTURE)])
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") > 1
    assert bool(calls) is reads
