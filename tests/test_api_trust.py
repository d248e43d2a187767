"""validation_status (analyzer.api.trust): chains made here with cryptography (a root, an intermediate, a
server certificate) checked against a trust store holding the root, at chosen times; each failure in the words
OpenSSL's verifier uses for it (x509_vfy.c's order: the chain is built first, then dates from the root down)."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from analyzer.api.trust import Validator, system_roots

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def _ns(when: datetime.datetime) -> int:
    return int(when.timestamp()) * 1_000_000_000


def _cert(subject: str, issuer: str, key, issuer_key, *, ca: bool, days: tuple[int, int]) -> x509.Certificate:
    b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
         .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(START + days[0] * DAY)
         .not_valid_after(START + days[1] * DAY)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName("www.example.test")]), critical=False)
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki():
    root_key, inter_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("Test Root", "Test Root", root_key, root_key, ca=True, days=(-365, 3650))
    inter = _cert("Test Intermediate", "Test Root", inter_key, root_key, ca=True, days=(-30, 1000))
    leaf = _cert("www.example.test", "Test Intermediate", leaf_key, inter_key, ca=False, days=(0, 90))
    alone = _cert("www.example.test", "www.example.test", leaf_key, leaf_key, ca=False, days=(0, 90))

    def der(*certs):
        return [c.public_bytes(serialization.Encoding.DER) for c in certs]

    return {"root": root, "der": der, "leaf": leaf, "inter": inter, "alone": alone}


@pytest.mark.parametrize("day, expected", [(10, "ok"), (-1, "certificate is not yet valid"),
                                           (91, "certificate has expired")])
def test_a_complete_chain_judged_at_the_capture_time(pki, day, expected):
    v = Validator([pki["root"]])
    assert v.status(pki["der"](pki["leaf"], pki["inter"]), _ns(START + day * DAY)) == expected


def test_failures_of_chain_building(pki):
    der, at = pki["der"], _ns(START + 10 * DAY)
    trusted = Validator([pki["root"]])
    assert trusted.status(der(pki["leaf"]), at) == "unable to get local issuer certificate"   # no intermediate
    assert trusted.status(der(pki["alone"]), at) == "self-signed certificate"
    nobody = Validator([])
    assert nobody.status(der(pki["leaf"], pki["inter"], pki["root"]), at) == \
        "self-signed certificate in certificate chain"
    assert nobody.status(der(pki["leaf"], pki["inter"]), at) == "unable to get local issuer certificate"
    # the root sent along is not trusted for being sent; the same chain with the root in the store is
    assert trusted.status(der(pki["leaf"], pki["inter"], pki["root"]), at) == "ok"


def test_no_status_without_a_readable_server_certificate(pki):
    v = Validator([pki["root"]])
    assert v.status([], 0) is None
    assert v.status([b"\x30\x03\x02\x01\x00"], 0) is None


def test_the_system_store_is_read_and_does_not_trust_a_private_root(pki):
    roots = system_roots()
    if not roots:
        pytest.skip("this machine has no system trust store (/etc/ssl/certs)")
    assert all(isinstance(r, x509.Certificate) for r in roots)
    assert Validator().status(pki["der"](pki["leaf"], pki["inter"]), _ns(START + 10 * DAY)) == \
        "unable to get local issuer certificate"
