"""TLS over reassembled TCP: records, handshake messages, certificates, key-log decryption and the session
facts (see :mod:`analyzer.apps.tls.session` for the theory of operation)."""

from analyzer.apps.tls.facts import (
    AlertFacts,
    CertificateFacts,
    ClientHelloFacts,
    HandshakeMessage,
    RecordRef,
    ServerHelloFacts,
    TlsSession,
)
from analyzer.apps.tls.keylog import KeyLog, parse_keylog
from analyzer.apps.tls.session import TlsLayer, TlsSink, TlsTracker

__all__ = ["AlertFacts", "CertificateFacts", "ClientHelloFacts", "HandshakeMessage", "KeyLog", "RecordRef",
           "ServerHelloFacts", "TlsLayer", "TlsSession", "TlsSink", "TlsTracker", "parse_keylog"]
