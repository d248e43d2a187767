"""What one TLS connection did, as frozen values for the timeline and reports: the handshake step by step
(with frames and times), the negotiated version, cipher and ALPN, the server's certificates, alerts,
application-data records each way, resumption and whether keys decrypted it.

``direction`` is the TCP direction (0 = originator -> responder); ``client_dir`` says which of the two is
the TLS client. Times are integer nanoseconds. Versions and cipher suites are named as Wireshark names them
(``"TLS 1.3"``, ``"TLS_AES_128_GCM_SHA256"``).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_RECORDS_KEPT = 4096      # application-data records listed per direction (the totals count them all)
MAX_CLEAR_SEQUENCE = 100     # entries of TlsSession.clear_sequence kept (Zeek caps its ssl_history at 100 too)
EARLY_ACCEPTED, EARLY_REFUSED = "accepted", "refused"    # TlsSession.early_data: the server's answer to 0-RTT data


@dataclass(frozen=True, slots=True)
class RecordRef:
    """One record: which way, in which frame (the one its last byte arrived in), when, its length."""

    direction: int
    frame: int
    ts_ns: int
    length: int


@dataclass(frozen=True, slots=True)
class HandshakeMessage:
    """One handshake message; ``encrypted``: only seen by decrypting (the TLS 1.3 handshake after
    ServerHello, a TLS 1.2 Finished)."""

    kind: str
    direction: int
    frame: int
    ts_ns: int
    encrypted: bool = False


@dataclass(frozen=True, slots=True)
class ClientHelloFacts:
    frame: int
    ts_ns: int
    sni: str | None
    alpn: tuple[str, ...]
    versions: tuple[str, ...]          # supported_versions (GREASE left out), or the legacy version
    cipher_suites: tuple[str, ...]     # offered, in order (GREASE left out)
    key_share_groups: tuple[str, ...]  # groups of the key shares sent (TLS 1.3)
    psk_offered: bool                  # pre_shared_key extension: asks to resume (TLS 1.3)
    session_ticket_offered: bool       # session_ticket extension (TLS 1.2 resumption by ticket)
    session_id: str                    # hex, "" when empty
    early_data: bool = False


@dataclass(frozen=True, slots=True)
class ServerHelloFacts:
    frame: int
    ts_ns: int
    version: str                       # the negotiated version ("TLS 1.3" from supported_versions)
    cipher_suite: str
    alpn: str | None
    key_share_group: str | None
    psk_accepted: bool
    session_id: str
    hello_retry: bool = False          # a HelloRetryRequest (then a second ClientHello follows)


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    frame: int
    ts_ns: int
    subject: str
    issuer: str
    san: tuple[str, ...]
    not_before: str                    # ISO 8601 UTC
    not_after: str
    encrypted: bool = False            # TLS 1.3: only visible with keys
    sha256: str = ""                   # fingerprint: SHA-256 of the DER bytes, lowercase hex (Zeek's fps)
    from_client: bool = False          # a client certificate (sent by the TLS client)
    der: bytes = b""                   # the certificate as sent (DER), for chain validation


@dataclass(frozen=True, slots=True)
class AlertFacts:
    direction: int
    frame: int
    ts_ns: int
    level: str | None                  # "Warning" / "Fatal"; None when encrypted and not decrypted
    description: str | None            # "Close Notify", ...
    encrypted: bool = False


@dataclass(frozen=True, slots=True)
class TlsSession:
    """One TCP connection that carried TLS (see the module docstring)."""

    stream: int
    client: tuple[object, int]
    server: tuple[object, int]
    client_dir: int
    version: str | None
    cipher_suite: str | None
    alpn: str | None
    sni: str | None
    resumed: bool
    decrypted: bool
    key_note: str | None
    key_problem: str | None        # key_note's code: no_keylog, no_key, unsupported_cipher, decrypt_failed,
    #                                no_client_hello, bytes_lost (None when decrypted or no ServerHello)
    client_hello: ClientHelloFacts | None
    server_hello: ServerHelloFacts | None
    hello_retry: ServerHelloFacts | None
    certificates: tuple[CertificateFacts, ...]
    handshake: tuple[HandshakeMessage, ...]
    alerts: tuple[AlertFacts, ...]
    change_cipher_spec: tuple[RecordRef, ...]
    app_data: tuple[RecordRef, ...]
    app_data_totals: tuple[tuple[int, int], tuple[int, int]]    # (records, bytes) for direction 0 and 1
    first_frame: int
    first_ts_ns: int
    curve: str | None = None       # the key exchange group: ServerHello key_share (1.3), ServerKeyExchange (1.2)
    # (direction, kind) of every record part read in clear, in arrival order (at most MAX_CLEAR_SEQUENCE):
    # handshake messages by their HANDSHAKE_TYPES kind ("unknown" for others), "change_cipher_spec", "alert",
    # "heartbeat". What a passive observer without keys sees, whether or not keys opened the rest.
    clear_sequence: tuple[tuple[int, str], ...] = ()
    # TLS 1.3 early data (a ClientHello with the early_data extension): EARLY_ACCEPTED or EARLY_REFUSED, None
    # while unknown; early_data_why says how it is known (see TlsSink._early_is), early_data_frame where
    early_data: str | None = None
    early_data_why: str | None = None
    early_data_frame: int | None = None
    # through an HTTP proxy: the CONNECT request's target (host:port) and the frame of the proxy's 2xx, after
    # which the TLS began (None: a direct connection)
    tunnel: str | None = None
    tunnel_frame: int | None = None

    def messages(self, kind: str) -> tuple[HandshakeMessage, ...]:
        """The handshake messages of one kind (``"finished"``, ``"new_session_ticket"`` ...) in order."""
        return tuple(m for m in self.handshake if m.kind == kind)

    @property
    def close_notify(self) -> tuple[AlertFacts, ...]:
        """The close_notify alerts (decrypted, or TLS 1.2 alerts without keys are not told apart: see
        ``alerts``)."""
        return tuple(a for a in self.alerts if a.description == "Close Notify")
