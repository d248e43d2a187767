"""``frame.protocols``: a frame's protocol stack as tshark writes it, ``eth:ethertype:ip:tcp:http:data-text-lines``.

Made from a packet's layers (sans-IO, on demand: nothing is computed for a packet nobody asks about), with
what tshark puts between and after them:

* ``ethertype`` after a layer that hands its payload on by an EtherType (``eth``, ``sll``, ``vlan``,
  ``ieee8021ad``; not an 802.3 length frame, whose LLC the analyzer does not decode);
* one name per run of the same application layer (DNS messages sharing a TCP segment are one ``dns``);
  ``http`` once, then each message's body as the protocol that shows it (:mod:`analyzer.apps.http.media`);
* ``data`` where bytes are left that no decoder took and tshark has no dissector for either: an IP fragment
  (not the datagram's last), an ICMP echo's payload, a TCP or UDP payload on ports, or an IP payload of a
  protocol number, that Wireshark dissects nothing on by default (:mod:`analyzer.decode._dissected`); not
  a TCP retransmission's (tshark does not dissect it again), nor a segment whose payload HTTP took into a
  message it parses (``Packet.taken``: a message tshark reassembles, on a port its heuristics found HTTP on);
* ``http`` before the TLS of a CONNECT tunnel, WebSocket as ``http:websocket`` and its payload (text lines
  or data), as tshark's HTTP dissector hands them on;
* the layer a decode stopped in (``eth`` of a frame too short for its header), as tshark names the
  protocol it was dissecting.

Where tshark decodes a protocol the analyzer does not (ssh, dhcp, nbns, ntp, stp, gre ...) the string
stops at the last layer decoded here: a prefix of tshark's, never a name guessed from a port. Known
differences (tests/test_frame_protocols.py lists them with the frames): a segment that ends one HTTP message and begins others is
sometimes ``http:...:http:...`` in tshark (dissected twice), here one ``http``.
"""

from __future__ import annotations

from typing import Any

from analyzer.decode._dissected import IP_PROTOS, TCP_PORTS, UDP_PORTS

# layers whose payload follows an EtherType -> the field holding it
ETHERTYPE_FIELD = {"eth": "eth.type", "sll": "sll.etype", "vlan": "vlan.etype", "ieee8021ad": "ieee8021ah.etype"}
# application layers the analyzer adds once per message, where tshark shows one name per segment
_MESSAGES = frozenset(["dns", "mdns", "llmnr", "tls", "http2", "ssdp", "quic"])
_WEBSOCKET_PAYLOAD = {1: "data-text-lines", 2: "data"}     # opcode (text, binary) -> tshark's payload protocol
_TRANSPORT = {"tcp": ("tcp.srcport", "tcp.dstport", TCP_PORTS), "udp": ("udp.srcport", "udp.dstport", UDP_PORTS)}


def frame_protocols(pkt: Any) -> str:
    """The ``frame.protocols`` text of a decoded packet (a :class:`analyzer.decode.packet.Packet`)."""
    layers = pkt.layers
    names: list[str] = []
    add = names.append
    end = len(pkt.frame.data)   # where the innermost IP datagram's bytes end in the frame
    last = None
    for layer in layers:
        name = layer.name
        if name == "frame":
            continue
        f = layer.fields
        if name == "http":
            if last != "http":
                add("http")
            body = getattr(layer, "body", None)
            if body is not None:
                add(body)
            last = name
            continue
        if name == "websocket":
            # tshark's WebSocket is HTTP's sub-dissector after the 101; a whole text or binary frame's payload
            # shows as text lines or data (a fragment, a control frame: nothing)
            if last not in ("http", "websocket"):
                add("http")
            if last != "websocket":
                add("websocket")
            if f.get("websocket.fin") == 1 and f.get("websocket.payload_length"):
                payload = _WEBSOCKET_PAYLOAD.get(f.get("websocket.opcode"))
                if payload is not None:
                    add(payload)
            last = name
            continue
        if name == last and name in _MESSAGES:      # several messages of one protocol in one segment
            continue
        if name == "tls" and last == "tcp" and getattr(pkt, "taken", None) == "http":
            add("http")     # TLS through an HTTP proxy's CONNECT tunnel: tshark's HTTP hands the bytes on
        add(name)
        last = name
        field = ETHERTYPE_FIELD.get(name)
        if field is not None and field in f:
            add("ethertype")
        elif name == "ip":
            total = f.get("ip.len")
            if type(total) is int and total >= 20:
                end = min(len(pkt.frame.data), layer.offset + total)
        elif name == "ipv6":
            plen = f.get("ipv6.plen")
            if type(plen) is int and plen:
                end = min(len(pkt.frame.data), layer.offset + 40 + plen)
    failure = pkt.failure
    if failure is not None:
        if failure.layer != last:
            names.append(failure.layer)
        return ":".join(names)
    if last is not None and _left_undissected(layers[-1], end) and getattr(pkt, "taken", None) is None:
        names.append("data")
    return ":".join(names)


def _left_undissected(layer: Any, end: int) -> bool:
    """Are there bytes after ``layer`` (the last one) that tshark shows as ``data``?"""
    name = layer.name
    if layer.offset + layer.length >= end:
        return False
    f = layer.fields
    if name in _TRANSPORT:
        if "tcp.analysis.retransmission" in f:
            return False
        src, dst, dissected = _TRANSPORT[name]
        return f.get(src) not in dissected and f.get(dst) not in dissected
    if name == "icmp":
        return f.get("icmp.type") in (0, 8)             # echo reply, request
    if name == "icmpv6":
        return f.get("icmpv6.type") in (128, 129)       # echo request, reply
    if name == "ip":
        if f.get("ip.flags.mf") or f.get("ip.frag_offset"):
            return True     # a fragment: its bytes wait for the rest of the datagram
        return f.get("ip.proto") not in IP_PROTOS
    if name == "ipv6.fraghdr":
        return True
    if name == "ipv6":
        return f.get("ipv6.nxt") not in IP_PROTOS
    return False


def tcp_pdu_sizes(pkt: Any) -> int | list[int] | None:
    """``tcp.pdu.size``: the length of each PDU tshark's TCP cuts a segment's stream into for the protocols
    that have it do so (DNS over TCP: the 2-byte length and the message; WebSocket: a frame's header and
    payload), on the packet that shows them; None when there is none (one value, or a list)."""
    sizes = []
    over_tcp = False
    for layer in pkt.layers:
        name = layer.name
        if name == "tcp":
            over_tcp = True
        elif not over_tcp:
            continue
        elif name == "dns":
            sizes.append(layer.length)      # (a DNS-over-TCP layer spans its length prefix and message)
        elif name == "websocket":
            f = layer.fields
            short = f.get("websocket.payload_length")
            if short is None:
                continue
            if short == 126:
                size, head = f.get("websocket.payload_length_ext_16", 0), 4
            elif short == 127:
                size, head = f.get("websocket.payload_length_ext_64", 0), 10
            else:
                size, head = short, 2
            sizes.append(head + (4 if f.get("websocket.mask") else 0) + size)
    if not sizes:
        return None
    return sizes[0] if len(sizes) == 1 else sizes
