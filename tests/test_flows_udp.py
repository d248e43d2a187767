"""Flow keys, the flow table and UDP conversations."""

from __future__ import annotations

from analyzer.flows import FlowKey, FlowTable, UdpTable


def test_flow_key_reverse_and_canonical():
    k = FlowKey("tcp", "10.0.0.2", 80, "10.0.0.1", 40000)
    assert k.reverse().reverse() == k
    assert k.canonical() == k.reverse().canonical()
    assert hash(k.canonical()) == hash(k.reverse().canonical())
    assert str(FlowKey("udp", "::1", 53, "::2", 5353)) == "udp [::1]:53 -> [::2]:5353"


def test_flow_table_both_directions():
    t = FlowTable()
    t.add(("a", 1, "b", 2), "conn", 0)
    assert t.lookup(("a", 1, "b", 2)) == ("conn", 0)
    assert t.lookup(("b", 2, "a", 1)) == ("conn", 1)
    assert len(t) == 1 and list(t.entries()) == ["conn"]
    t.remove(("b", 2, "a", 1), "conn")
    assert len(t) == 0


def test_udp_conversations():
    u = UdpTable()
    u.datagram(0, 1, "10.0.0.1", 3000, "10.0.0.53", 53, 30, 72)
    u.datagram(5, 2, "10.0.0.53", 53, "10.0.0.1", 3000, 90, 132)
    u.datagram(6, 3, "10.0.0.53", 53, "10.0.0.9", 3001, 90, 132)    # a reply seen without its query
    a, b = u.summaries()
    assert (a["stream"], a["conn_state"], a["history"], a["orig_pkts"], a["resp_bytes"]) == (0, "SF", "Dd", 1, 90)
    assert (b["id.orig_h"], b["id.resp_p"], b["conn_state"], b["orig_guessed"]) == ("10.0.0.9", 53, "SHR", True)
