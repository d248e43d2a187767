"""TLS handshake messages (and alerts) decoded into Wireshark's ``tls.*`` fields and a small summary for the
session facts. Sans-IO: bytes of one whole message in, ``(fields, summary)`` out; raises only
:class:`analyzer.decode.errors.DecodeError` (a length that runs past its parent, a message cut short).

Field values follow ``tshark -T fields``: versions, cipher suites, groups and signature schemes as
``"0x0303"`` text, other numbers as ints, opaque values as bytes, label-only fields (``tls.handshake.
verify_data``, ``tls.change_cipher_spec``) as 1. A field repeated within one message becomes a list.
"""

from __future__ import annotations

import hashlib
import struct
import time
from typing import Any

from analyzer.apps.quic import _varint
from analyzer.apps.tls.tables import is_grease
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import add_field

LAYER = "tls"
_U16 = struct.Struct("!H").unpack_from


class Cursor:
    """A bounded reader over ``data[off:end]``; any read past ``end`` raises DecodeError."""

    __slots__ = ("data", "end", "off")

    def __init__(self, data: bytes, off: int = 0, end: int | None = None):
        self.data = data
        self.off = off
        self.end = len(data) if end is None else end

    def left(self) -> int:
        return self.end - self.off

    def need(self, n: int, what: str) -> None:
        if self.off + n > self.end:
            raise DecodeError(LAYER, self.off, f"{what}: needs {n} bytes, {self.end - self.off} left")

    def u8(self, what: str = "value") -> int:
        self.need(1, what)
        self.off += 1
        return self.data[self.off - 1]

    def u16(self, what: str = "value") -> int:
        self.need(2, what)
        self.off += 2
        return _U16(self.data, self.off - 2)[0]

    def u24(self, what: str = "value") -> int:
        self.need(3, what)
        d, o = self.data, self.off
        self.off += 3
        return d[o] << 16 | d[o + 1] << 8 | d[o + 2]

    def u32(self, what: str = "value") -> int:
        self.need(4, what)
        self.off += 4
        return int.from_bytes(self.data[self.off - 4:self.off], "big")

    def take(self, n: int, what: str = "value") -> bytes:
        self.need(n, what)
        self.off += n
        return bytes(self.data[self.off - n:self.off])

    def sub(self, n: int, what: str) -> Cursor:
        """A cursor over the next ``n`` bytes (a length-prefixed vector), which this cursor skips."""
        self.need(n, what)
        inner = Cursor(self.data, self.off, self.off + n)
        self.off += n
        return inner


def hex16(value: int) -> str:
    return f"0x{value:04x}"


def random_time(random: bytes) -> str:
    """The first 4 bytes of a hello random read as a UNIX time, as tshark prints it."""
    secs = int.from_bytes(random[:4], "big")
    t = time.gmtime(secs)
    return (f"{time.strftime('%b', t)} {t.tm_mday:2d}, {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.000000000 UTC")


# -- hellos -------------------------------------------------------------------------------------------------
def client_hello(body: bytes, fields: dict[str, Any], tls13: bool = False) -> dict[str, Any]:
    """ClientHello (RFC 8446 4.1.2 / RFC 5246 7.4.1.2). Returns the summary: random, sni, alpn, versions,
    cipher suites, groups, key share groups, psk offered, session ticket offered, early data, etm, ems.
    ``tls13``: the session is known to be TLS 1.3 (a second ClientHello after a HelloRetryRequest), whose
    random tshark does not split into a time and bytes."""
    c = Cursor(body)
    version = c.u16("client version")
    add_field(fields, "tls.handshake.version", hex16(version))
    random = c.take(32, "random")
    add_field(fields, "tls.handshake.random", random)
    if not tls13:
        add_field(fields, "tls.handshake.random_time", random_time(random))
        add_field(fields, "tls.handshake.random_bytes", random[4:])
    sid_len = c.u8("session id length")
    add_field(fields, "tls.handshake.session_id_length", sid_len)
    sid = c.take(sid_len, "session id")
    if sid_len:
        add_field(fields, "tls.handshake.session_id", sid)
    suites_len = c.u16("cipher suites length")
    add_field(fields, "tls.handshake.cipher_suites_length", suites_len)
    sc = c.sub(suites_len, "cipher suites")
    suites = []
    while sc.left() >= 2:
        s = sc.u16()
        suites.append(s)
        add_field(fields, "tls.handshake.ciphersuite", hex16(s))
    comp_len = c.u8("compression methods length")
    add_field(fields, "tls.handshake.comp_methods_length", comp_len)
    for m in c.take(comp_len, "compression methods"):
        add_field(fields, "tls.handshake.comp_method", m)
    summary: dict[str, Any] = {"version": version, "random": random, "session_id": sid, "suites": suites,
                               "sni": None, "alpn": [], "versions": [], "groups": [], "key_share_groups": [],
                               "psk": False, "ticket": False, "early_data": False, "etm": False, "ems": False,
                               "ext_types": [], "point_formats": []}
    if c.left():
        _extensions(c, fields, summary, "client_hello")
    _ja3(fields, summary, "tls.handshake.ja3")
    return summary


def server_hello(body: bytes, fields: dict[str, Any]) -> dict[str, Any]:
    """ServerHello or HelloRetryRequest (RFC 8446 4.1.3/4.1.4). Summary: version (real one, from
    supported_versions), random, suite, alpn, key share group, psk accepted, hello_retry."""
    c = Cursor(body)
    version = c.u16("server version")
    add_field(fields, "tls.handshake.version", hex16(version))
    random = c.take(32, "random")
    add_field(fields, "tls.handshake.random", random)
    hrr = random == HRR_RANDOM
    # TLS 1.3's random is all random: tshark shows the time/bytes split only before 1.3 (decided below)
    sid_len = c.u8("session id length")
    sid = c.take(sid_len, "session id")
    suite = c.u16("cipher suite")
    comp = c.u8("compression method")
    summary: dict[str, Any] = {"version": version, "random": random, "session_id": sid, "suite": suite,
                               "alpn": None, "versions": [], "key_share_group": None, "psk": None,
                               "hello_retry": hrr, "etm": False, "ems": False, "ext_types": [], "ticket": False}
    ext_fields: dict[str, Any] = {}
    if c.left():
        _extensions(c, ext_fields, summary, "hello_retry_request" if hrr else "server_hello")
    real = summary["versions"][0] if summary["versions"] else version
    summary["real_version"] = real
    if real < 0x0304:
        add_field(fields, "tls.handshake.random_time", random_time(random))
        add_field(fields, "tls.handshake.random_bytes", random[4:])
    add_field(fields, "tls.handshake.session_id_length", sid_len)
    if sid_len:
        add_field(fields, "tls.handshake.session_id", sid)
    add_field(fields, "tls.handshake.ciphersuite", hex16(suite))
    add_field(fields, "tls.handshake.comp_method", comp)
    for name, value in ext_fields.items():
        for v in value if type(value) is list else [value]:
            add_field(fields, name, v)
    exts = "-".join(str(t) for t in summary["ext_types"] if not is_grease(t))
    full = f"{version},{suite},{exts}"
    add_field(fields, "tls.handshake.ja3s_full", full)
    add_field(fields, "tls.handshake.ja3s", hashlib.md5(full.encode(), usedforsecurity=False).hexdigest())
    return summary


# SHA-256("HelloRetryRequest"): the random a HelloRetryRequest carries (RFC 8446 4.1.3)
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def _ja3(fields: dict[str, Any], s: dict[str, Any], name: str) -> None:
    def join(values: list[int]) -> str:
        return "-".join(str(v) for v in values if not is_grease(v))

    full = ",".join((str(s["version"]), join(s["suites"]), join(s["ext_types"]), join(s["groups"]),
                     join(s["point_formats"])))
    add_field(fields, name + "_full", full)
    add_field(fields, name, hashlib.md5(full.encode(), usedforsecurity=False).hexdigest())


def extensions_block(body: bytes, fields: dict[str, Any], where: str) -> dict[str, Any]:
    """EncryptedExtensions (TLS 1.3): only an extension list. Summary: alpn."""
    summary: dict[str, Any] = {"alpn": None, "versions": [], "ext_types": [], "early_data": False}
    _extensions(Cursor(body), fields, summary, where)
    return summary


def _extensions(c: Cursor, fields: dict[str, Any], s: dict[str, Any], where: str) -> None:
    total = c.u16("extensions length")
    add_field(fields, "tls.handshake.extensions_length", total)
    ec = c.sub(total, "extensions")
    while ec.left():
        etype = ec.u16("extension type")
        elen = ec.u16("extension length")
        add_field(fields, "tls.handshake.extension.type", etype)
        add_field(fields, "tls.handshake.extension.len", elen)
        s.setdefault("ext_types", []).append(etype)
        x = ec.sub(elen, "extension data")
        handler = _EXTENSIONS.get(etype)
        if handler is not None:
            handler(x, fields, s, where)
        elif elen or etype not in _EMPTY_UNSHOWN:
            # tshark shows an extension it has no dissector for as its data, empty ones too ("<MISSING>")
            add_field(fields, "tls.handshake.extension.data", x.take(elen))


def _ext_server_name(x: Cursor, f: dict, s: dict, where: str) -> None:
    if not x.left():
        return                      # a server's empty acknowledgement
    list_len = x.u16("server name list length")
    add_field(f, "tls.handshake.extensions_server_name_list_len", list_len)
    names = x.sub(list_len, "server name list")
    while names.left():
        kind = names.u8("server name type")
        add_field(f, "tls.handshake.extensions_server_name_type", kind)
        n = names.u16("server name length")
        add_field(f, "tls.handshake.extensions_server_name_len", n)
        name = names.take(n, "server name").decode("utf-8", "replace")
        add_field(f, "tls.handshake.extensions_server_name", name)
        if kind == 0 and s.get("sni") is None:
            s["sni"] = name


def _ext_supported_groups(x: Cursor, f: dict, s: dict, where: str) -> None:
    n = x.u16("supported groups length")
    add_field(f, "tls.handshake.extensions_supported_groups_length", n)
    g = x.sub(n, "supported groups")
    while g.left() >= 2:
        group = g.u16()
        s.setdefault("groups", []).append(group)
        add_field(f, "tls.handshake.extensions_supported_group", hex16(group))


def _ext_point_formats(x: Cursor, f: dict, s: dict, where: str) -> None:
    n = x.u8("ec point formats length")
    add_field(f, "tls.handshake.extensions_ec_point_formats_length", n)
    for v in x.take(n, "ec point formats"):
        s.setdefault("point_formats", []).append(v)
        add_field(f, "tls.handshake.extensions_ec_point_format", v)


def _sig_algs(x: Cursor, f: dict) -> None:
    n = x.u16("signature hash algorithms length")
    add_field(f, "tls.handshake.sig_hash_alg_len", n)
    a = x.sub(n, "signature hash algorithms")
    while a.left() >= 2:
        _sig_hash_alg(a.u16(), f)


def _sig_hash_alg(alg: int, f: dict) -> None:
    add_field(f, "tls.handshake.sig_hash_alg", hex16(alg))
    add_field(f, "tls.handshake.sig_hash_hash", alg >> 8)
    add_field(f, "tls.handshake.sig_hash_sig", alg & 0xFF)


def _ext_sig_algs(x: Cursor, f: dict, s: dict, where: str) -> None:
    _sig_algs(x, f)


def _ext_alpn(x: Cursor, f: dict, s: dict, where: str) -> None:
    n = x.u16("ALPN extension length")
    add_field(f, "tls.handshake.extensions_alpn_len", n)
    a = x.sub(n, "ALPN protocol list")
    protocols = []
    while a.left():
        ln = a.u8("ALPN string length")
        add_field(f, "tls.handshake.extensions_alpn_str_len", ln)
        proto = a.take(ln, "ALPN protocol").decode("ascii", "replace")
        add_field(f, "tls.handshake.extensions_alpn_str", proto)
        protocols.append(proto)
    if where == "client_hello":
        s["alpn"] = protocols
    else:
        s["alpn"] = protocols[0] if protocols else None


def _ext_supported_versions(x: Cursor, f: dict, s: dict, where: str) -> None:
    if where == "client_hello":
        n = x.u8("supported versions length")
        add_field(f, "tls.handshake.extensions.supported_versions_len", n)
        v = x.sub(n, "supported versions")
        while v.left() >= 2:
            version = v.u16()
            s.setdefault("versions", []).append(version)
            add_field(f, "tls.handshake.extensions.supported_version", hex16(version))
    else:
        version = x.u16("selected version")
        s.setdefault("versions", []).append(version)
        add_field(f, "tls.handshake.extensions.supported_version", hex16(version))


def _key_share_entry(x: Cursor, f: dict) -> int:
    group = x.u16("key share group")
    add_field(f, "tls.handshake.extensions_key_share_group", group)
    n = x.u16("key exchange length")
    add_field(f, "tls.handshake.extensions_key_share_key_exchange_length", n)
    add_field(f, "tls.handshake.extensions_key_share_key_exchange", x.take(n, "key exchange"))
    return group


def _ext_key_share(x: Cursor, f: dict, s: dict, where: str) -> None:
    if where == "client_hello":
        n = x.u16("client key share length")
        add_field(f, "tls.handshake.extensions_key_share_client_length", n)
        entries = x.sub(n, "client key shares")
        while entries.left():
            s.setdefault("key_share_groups", []).append(_key_share_entry(entries, f))
    elif where == "hello_retry_request":
        group = x.u16("selected group")
        add_field(f, "tls.handshake.extensions_key_share_selected_group", group)
        s["key_share_group"] = group
    else:
        s["key_share_group"] = _key_share_entry(x, f)


def _ext_psk_modes(x: Cursor, f: dict, s: dict, where: str) -> None:
    n = x.u8("PSK key exchange modes length")
    add_field(f, "tls.extension.psk_ke_modes_length", n)
    for mode in x.take(n, "PSK key exchange modes"):
        add_field(f, "tls.extension.psk_ke_mode", mode)


def _ext_pre_shared_key(x: Cursor, f: dict, s: dict, where: str) -> None:
    if where != "client_hello":
        selected = x.u16("selected identity")
        add_field(f, "tls.handshake.extensions.psk.identity.selected", selected)
        s["psk"] = selected
        return
    s["psk"] = True
    n = x.u16("identities length")
    add_field(f, "tls.handshake.extensions.psk.identities.length", n)
    ids = x.sub(n, "PSK identities")
    while ids.left():
        ln = ids.u16("identity length")
        add_field(f, "tls.handshake.extensions.psk.identity.identity_length", ln)
        add_field(f, "tls.handshake.extensions.psk.identity.identity", ids.take(ln, "identity"))
        add_field(f, "tls.handshake.extensions.psk.identity.obfuscated_ticket_age", ids.u32("ticket age"))
    n = x.u16("binders length")
    add_field(f, "tls.handshake.extensions.psk.binders_len", n)
    add_field(f, "tls.handshake.extensions.psk.binders", 1)
    x.take(n, "PSK binders")


def _ext_padding(x: Cursor, f: dict, s: dict, where: str) -> None:
    add_field(f, "tls.handshake.extensions_padding_data", x.take(x.left()))


def _ext_reneg(x: Cursor, f: dict, s: dict, where: str) -> None:
    n = x.u8("renegotiation info length")
    add_field(f, "tls.handshake.extensions_reneg_info_len", n)
    if n:
        add_field(f, "tls.handshake.extensions_reneg_info", x.take(n, "renegotiation info"))


def _ext_status_request(x: Cursor, f: dict, s: dict, where: str) -> None:
    if not x.left():
        return
    add_field(f, "tls.handshake.extensions_status_request_type", x.u8("status type"))
    n = x.u16("responder id list length")
    add_field(f, "tls.handshake.extensions_status_request_responder_ids_len", n)
    x.take(n, "responder ids")
    n = x.u16("request extensions length")
    add_field(f, "tls.handshake.extensions_status_request_exts_len", n)
    x.take(n, "request extensions")


def _ext_record_size_limit(x: Cursor, f: dict, s: dict, where: str) -> None:
    add_field(f, "tls.record_size_limit", x.u16("record size limit"))


def _ext_session_ticket(x: Cursor, f: dict, s: dict, where: str) -> None:
    # The ticket a client offers (or the empty extension) is the extension's data, empty or not, as tshark
    # shows it ("Data (0 bytes)"); tls.handshake.session_ticket is the NewSessionTicket message's ticket.
    s["ticket"] = True
    add_field(f, "tls.handshake.extension.data", x.take(x.left()))


def _ext_compress_certificate(x: Cursor, f: dict, s: dict, where: str) -> None:
    """compress_certificate (RFC 8879): the algorithms the sender can decompress (zlib 1, brotli 2, zstd 3)."""
    n = x.u8("algorithms length")
    add_field(f, "tls.compress_certificate.algorithms_length", n)
    a = x.sub(n, "algorithms")
    while a.left() >= 2:
        add_field(f, "tls.compress_certificate.algorithm", a.u16("algorithm"))


def _ext_flag(key: str):
    def handler(x: Cursor, f: dict, s: dict, where: str) -> None:
        s[key] = True
        if x.left():
            add_field(f, "tls.handshake.extension.data", x.take(x.left()))
    return handler


def _ext_cookie(x: Cursor, f: dict, s: dict, where: str) -> None:
    n = x.u16("cookie length")
    add_field(f, "tls.handshake.extensions.cookie_len", n)
    add_field(f, "tls.handshake.extensions.cookie", x.take(n, "cookie"))


def _ext_early_data(x: Cursor, f: dict, s: dict, where: str) -> None:
    s["early_data"] = True
    if where == "new_session_ticket" and x.left() >= 4:
        add_field(f, "tls.early_data.max_early_data_size", x.u32())


def _quic_varint(x: Cursor, what: str) -> int:
    """A QUIC variable-length integer (RFC 9000 16, read by :func:`analyzer.apps.quic._varint`) that must end
    within the cursor."""
    value, after = _varint(x.data, x.off)
    if value is None or after > x.end:
        raise DecodeError(LAYER, x.off, f"{what}: a variable-length integer cut short")
    x.off = after
    return value


# QUIC transport parameters (RFC 9000 18.2, RFC 9221 3, RFC 9368 3) whose value tshark names: id -> (its field,
# "v" for a variable-length integer, "b" for bytes)
_QUIC_PARAMS = {
    0x00: ("tls.quic.parameter.original_destination_connection_id", "b"),
    0x01: ("tls.quic.parameter.max_idle_timeout", "v"),
    0x02: ("tls.quic.parameter.stateless_reset_token", "b"),
    0x03: ("tls.quic.parameter.max_udp_payload_size", "v"),
    0x04: ("tls.quic.parameter.initial_max_data", "v"),
    0x05: ("tls.quic.parameter.initial_max_stream_data_bidi_local", "v"),
    0x06: ("tls.quic.parameter.initial_max_stream_data_bidi_remote", "v"),
    0x07: ("tls.quic.parameter.initial_max_stream_data_uni", "v"),
    0x08: ("tls.quic.parameter.initial_max_streams_bidi", "v"),
    0x09: ("tls.quic.parameter.initial_max_streams_uni", "v"),
    0x0A: ("tls.quic.parameter.ack_delay_exponent", "v"),
    0x0B: ("tls.quic.parameter.max_ack_delay", "v"),
    0x0E: ("tls.quic.parameter.active_connection_id_limit", "v"),
    0x0F: ("tls.quic.parameter.initial_source_connection_id", "b"),
    0x10: ("tls.quic.parameter.retry_source_connection_id", "b"),
    0x20: ("tls.quic.parameter.max_datagram_frame_size", "v"),
}


def _ext_quic_transport_parameters(x: Cursor, f: dict, s: dict, where: str) -> None:
    """quic_transport_parameters (RFC 9001 8.2), in a QUIC ClientHello or EncryptedExtensions: each parameter's
    type, length and value, and the value by its own name where tshark has one. A parameter cut short ends the
    list quietly: the hello's other extensions still count."""
    try:
        _quic_parameters(x, f)
    except DecodeError:
        return


def _quic_parameters(x: Cursor, f: dict) -> None:
    while x.left():
        ptype = _quic_varint(x, "transport parameter type")
        plen = _quic_varint(x, "transport parameter length")
        add_field(f, "tls.quic.parameter.type", ptype)
        add_field(f, "tls.quic.parameter.length", plen)
        raw = x.take(plen, "transport parameter value")
        if not plen:
            continue
        add_field(f, "tls.quic.parameter.value", raw)
        v = Cursor(raw)
        known = _QUIC_PARAMS.get(ptype)
        if known is not None:
            name, kind = known
            add_field(f, name, _quic_varint(v, name) if kind == "v" else raw)
        elif ptype == 0x0D:                     # preferred_address
            import ipaddress
            add_field(f, "tls.quic.parameter.preferred_address.ipv4address", str(ipaddress.IPv4Address(v.take(4))))
            add_field(f, "tls.quic.parameter.preferred_address.ipv4port", v.u16())
            add_field(f, "tls.quic.parameter.preferred_address.ipv6address",
                      str(ipaddress.IPv6Address(v.take(16))))
            add_field(f, "tls.quic.parameter.preferred_address.ipv6port", v.u16())
            n = v.u8("connection id length")
            add_field(f, "tls.quic.parameter.preferred_address.connectionid.length", n)
            add_field(f, "tls.quic.parameter.preferred_address.connectionid", v.take(n, "connection id"))
            add_field(f, "tls.quic.parameter.preferred_address.statelessresettoken", v.take(16, "reset token"))
        elif ptype == 0x11:                     # version_information: the chosen version, then the others
            add_field(f, "tls.quic.parameter.vi.chosen_version", f"0x{v.u32('chosen version'):08x}")
            while v.left() >= 4:
                add_field(f, "tls.quic.parameter.vi.other_version", f"0x{v.u32('other version'):08x}")


_EXTENSIONS = {
    0: _ext_server_name, 5: _ext_status_request, 10: _ext_supported_groups, 11: _ext_point_formats,
    13: _ext_sig_algs, 16: _ext_alpn, 21: _ext_padding, 22: _ext_flag("etm"), 23: _ext_flag("ems"),
    28: _ext_record_size_limit, 35: _ext_session_ticket, 41: _ext_pre_shared_key, 42: _ext_early_data,
    43: _ext_supported_versions, 44: _ext_cookie, 45: _ext_psk_modes, 49: _ext_flag("post_handshake_auth"),
    51: _ext_key_share, 57: _ext_quic_transport_parameters, 65281: _ext_reneg, 27: _ext_compress_certificate,
}
# Types tshark reads with a dissector of its own that shows nothing when the extension is empty (a client's
# signed_certificate_timestamp and next_protocol_negotiation requests); any other type without a handler
# here is shown as its data, even empty.
_EMPTY_UNSHOWN = frozenset({18, 13172})


# -- the other messages -------------------------------------------------------------------------------------
def certificate(body: bytes, fields: dict[str, Any], tls13: bool) -> list[dict[str, Any]]:
    """Certificate (RFC 5246 7.4.2 / RFC 8446 4.4.2): the chain, each certificate's x509 fields; returns
    the summaries of the certificates (subject, issuer, san, validity)."""
    c = Cursor(body)
    if tls13:
        n = c.u8("certificate request context length")
        add_field(fields, "tls.handshake.certificate_request_context_length", n)
        c.take(n, "certificate request context")
    total = c.u24("certificates length")
    add_field(fields, "tls.handshake.certificates_length", total)
    certs = c.sub(total, "certificates")
    out = []
    while certs.left():
        n = certs.u24("certificate length")
        add_field(fields, "tls.handshake.certificate_length", n)
        der = certs.take(n, "certificate")
        add_field(fields, "tls.handshake.certificate", der)
        from analyzer.apps.tls.x509 import certificate_fields  # cryptography's x509 (~0.1 s): on first use
        summary = certificate_fields(der, fields)
        summary["sha256"] = hashlib.sha256(der).hexdigest()
        summary["der"] = der
        out.append(summary)
        if tls13:
            en = certs.u16("certificate extensions length")
            add_field(fields, "tls.handshake.extensions_length", en)
            certs.take(en, "certificate extensions")
    return out


def server_key_exchange(body: bytes, fields: dict[str, Any], kx: str, version: int) -> dict[str, Any]:
    """ServerKeyExchange of an ECDHE suite (RFC 8422 5.4): curve, point, signature; other key exchanges keep
    only the message header."""
    if kx != "ECDHE":
        return {}
    c = Cursor(body)
    curve_type = c.u8("curve type")
    add_field(fields, "tls.handshake.server_curve_type", f"0x{curve_type:02x}")
    out: dict[str, Any] = {}
    if curve_type == 3:
        group = c.u16("named curve")
        out["group"] = group
        add_field(fields, "tls.handshake.server_named_curve", hex16(group))
    n = c.u8("point length")
    add_field(fields, "tls.handshake.server_point_len", n)
    add_field(fields, "tls.handshake.server_point", c.take(n, "point"))
    if version >= 0x0303:
        _sig_hash_alg(c.u16("signature algorithm"), fields)
    n = c.u16("signature length")
    add_field(fields, "tls.handshake.sig_len", n)
    add_field(fields, "tls.handshake.sig", c.take(n, "signature"))
    return out


def client_key_exchange(body: bytes, fields: dict[str, Any], kx: str) -> None:
    c = Cursor(body)
    if kx == "ECDHE":
        n = c.u8("point length")
        add_field(fields, "tls.handshake.client_point_len", n)
        add_field(fields, "tls.handshake.client_point", c.take(n, "point"))
    elif kx == "RSA":
        n = c.u16("encrypted pre-master length")
        add_field(fields, "tls.handshake.epms_len", n)
        add_field(fields, "tls.handshake.epms", c.take(n, "encrypted pre-master"))


def certificate_verify(body: bytes, fields: dict[str, Any]) -> None:
    c = Cursor(body)
    _sig_hash_alg(c.u16("signature algorithm"), fields)
    n = c.u16("signature length")
    add_field(fields, "tls.handshake.client_cert_vrfy.sig_len", n)
    add_field(fields, "tls.handshake.client_cert_vrfy.sig", c.take(n, "signature"))


def new_session_ticket(body: bytes, fields: dict[str, Any], tls13: bool) -> None:
    c = Cursor(body)
    add_field(fields, "tls.handshake.session_ticket_lifetime_hint", c.u32("ticket lifetime"))
    if tls13:
        add_field(fields, "tls.handshake.session_ticket_age_add", c.u32("ticket age add"))
        n = c.u8("ticket nonce length")
        add_field(fields, "tls.handshake.session_ticket_nonce_length", n)
        add_field(fields, "tls.handshake.session_ticket_nonce", c.take(n, "ticket nonce"))
    n = c.u16("ticket length")
    add_field(fields, "tls.handshake.session_ticket_length", n)
    add_field(fields, "tls.handshake.session_ticket", c.take(n, "ticket"))
    if tls13:
        _extensions(c, fields, {}, "new_session_ticket")


def finished(body: bytes, fields: dict[str, Any]) -> None:
    add_field(fields, "tls.handshake.verify_data", 1)


def key_update(body: bytes, fields: dict[str, Any]) -> int:
    c = Cursor(body)
    request = c.u8("key update request")
    add_field(fields, "tls.handshake.key_update.request_update", request)
    return request


def key_exchange_of(suite_name: str) -> str:
    """The key exchange named by a TLS 1.2 suite: ``ECDHE``, ``DHE``, ``RSA``, ``PSK`` ..."""
    if "_WITH_" not in suite_name:
        return ""
    kx = suite_name[4:].split("_WITH_", 1)[0]
    return kx.split("_", 1)[0]
