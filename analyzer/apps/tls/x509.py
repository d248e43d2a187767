"""X.509 certificates seen in a TLS Certificate message, read with ``cryptography``'s x509 module: Wireshark's
main ``x509af.*``/``x509ce.*``/``x509sat.*``/``x509if.*``/``pkcs1.*`` fields and a summary (subject, issuer,
SAN, validity) for the session facts. A certificate the library cannot read gets a note-worthy summary
(``error``) and no x509 fields, never an exception: every exception ``cryptography`` documents for a malformed
certificate (:data:`_UNREADABLE`) is caught where the certificate is read."""

from __future__ import annotations

import datetime
import warnings
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from analyzer.decode.packet import add_field

# DER string tags -> the x509sat field a DirectoryString of that type is shown as.
_STRING_FIELDS = {12: "x509sat.uTF8String", 19: "x509sat.printableString", 20: "x509sat.teletexString",
                  28: "x509sat.universalString", 30: "x509sat.bmpString", 22: "x509sat.IA5String"}
# Attributes Wireshark shows under their own field rather than a DirectoryString.
_OWN_FIELDS = {NameOID.COUNTRY_NAME: "x509sat.CountryName", NameOID.EMAIL_ADDRESS: "pkcs9.emailAddress",
               NameOID.DOMAIN_COMPONENT: "x509sat.domainComponent"}
# What cryptography raises for a certificate it cannot read, at load time (a bad version, bad DER) or when a
# lazily parsed part is reached (a duplicate extension, an unknown general name type, an unknown key type).
# (KeyError: cryptography's Name reads an attribute whose ASN.1 string tag it has no type for, e.g. 14, as a
# KeyError of that tag, when the issuer or subject is first read)
_UNREADABLE = (ValueError, TypeError, KeyError, UnsupportedAlgorithm, x509.InvalidVersion, x509.DuplicateExtension,
               x509.UnsupportedGeneralNameType)
# A named curve's OID (pkcs1.namedCurve) by the name cryptography gives the curve of an EC key, lower case
_CURVE_OIDS = {name.lower(): oid.dotted_string for name, oid in vars(ec.EllipticCurveOID).items()
               if isinstance(oid, ObjectIdentifier)}


def certificate_fields(der: bytes, fields: dict[str, Any]) -> dict[str, Any]:
    """Add the certificate's fields to ``fields``; return its summary."""
    try:
        with warnings.catch_warnings():     # a non-positive serial number: decoded all the same, no warning
            warnings.simplefilter("ignore")
            cert = x509.load_der_x509_certificate(der)
            return _fields(cert, fields)
    except KeyError as exc:
        return {"error": f"certificate not readable: a name attribute of an unknown string type (ASN.1 tag {exc})"}
    except _UNREADABLE as exc:
        return {"error": f"certificate not readable: {exc}"}


def _fields(cert: x509.Certificate, fields: dict[str, Any]) -> dict[str, Any]:
    add_field(fields, "x509af.version", cert.version.value)
    serial = cert.serial_number
    add_field(fields, "x509af.serialNumber", serial.to_bytes(serial.bit_length() // 8 + 1, "big", signed=False)
              if serial >= 0 else serial.to_bytes(20, "big", signed=True))
    add_field(fields, "x509af.algorithm.id", cert.signature_algorithm_oid.dotted_string)
    _name(cert.issuer, fields)
    before, after = cert.not_valid_before_utc, cert.not_valid_after_utc
    for t in (before, after):
        if t.year < 2050:
            add_field(fields, "x509af.utcTime", t.strftime("%Y-%m-%d %H:%M:%S (UTC)"))
        else:
            add_field(fields, "x509af.generalizedTime", t.strftime("%Y-%m-%d %H:%M:%S (UTC)"))
    _name(cert.subject, fields)
    key = cert.public_key()
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    add_field(fields, "x509af.algorithm.id", cert.public_key_algorithm_oid.dotted_string)
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        add_field(fields, "x509af.subjectPublicKey",
                  key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1))
        n = numbers.n
        add_field(fields, "pkcs1.modulus", n.to_bytes(n.bit_length() // 8 + 1, "big"))
        add_field(fields, "pkcs1.publicExponent", numbers.e)
    else:
        if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name.lower() in _CURVE_OIDS:
            add_field(fields, "pkcs1.namedCurve", _CURVE_OIDS[key.curve.name.lower()])
        add_field(fields, "x509af.subjectPublicKey", _bit_string_of(spki))
    san: list[str] = []
    for ext in cert.extensions:
        add_field(fields, "x509af.extension.id", ext.oid.dotted_string)
        if ext.critical:
            add_field(fields, "x509af.critical", 1)
        value = ext.value
        if isinstance(value, x509.SubjectAlternativeName):
            for name in value:
                if isinstance(name, x509.DNSName):
                    add_field(fields, "x509ce.dNSName", name.value)
                    san.append(name.value)
                elif isinstance(name, x509.IPAddress):
                    # tshark's x509ce.iPAddress holds no value of its own: the address is in a field per version
                    add_field(fields, "x509ce.IPAddress.ipv6" if name.value.version == 6 else "x509ce.IPAddress.ipv4",
                              str(name.value))
                    san.append(str(name.value))
        elif isinstance(value, x509.BasicConstraints) and value.ca:
            add_field(fields, "x509ce.cA", 1)
        elif isinstance(value, x509.SubjectKeyIdentifier):
            add_field(fields, "x509ce.SubjectKeyIdentifier", value.digest)
        elif isinstance(value, x509.AuthorityKeyIdentifier) and value.key_identifier is not None:
            add_field(fields, "x509ce.keyIdentifier", value.key_identifier)
    add_field(fields, "x509af.algorithm.id", cert.signature_algorithm_oid.dotted_string)
    add_field(fields, "x509af.encrypted", cert.signature)
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "san": tuple(san), "not_before": _iso(before), "not_after": _iso(after)}


def _name(name: x509.Name, fields: dict[str, Any]) -> None:
    for attr in name:
        add_field(fields, "x509if.oid", attr.oid.dotted_string)
        value = attr.value if isinstance(attr.value, str) else attr.value.hex()
        own = _OWN_FIELDS.get(attr.oid)
        if own is not None:
            add_field(fields, own, value)
            continue
        tag = getattr(getattr(attr, "_type", None), "value", 12)
        add_field(fields, _STRING_FIELDS.get(tag, "x509sat.uTF8String"), value)


def _bit_string_of(spki: bytes) -> bytes:
    """The subjectPublicKey BIT STRING's content (after its unused-bits byte) in a SubjectPublicKeyInfo."""
    # SEQUENCE { AlgorithmIdentifier, BIT STRING }: skip the outer header and the algorithm, then read
    at = _skip_header(spki, 0)
    at = _skip_tlv(spki, at)
    start = _skip_header(spki, at)
    return spki[start + 1:]


def _skip_header(der: bytes, at: int) -> int:
    n = der[at + 1]
    return at + 2 + (n & 0x7F if n & 0x80 else 0)


def _skip_tlv(der: bytes, at: int) -> int:
    n = der[at + 1]
    if n & 0x80:
        k = n & 0x7F
        length = int.from_bytes(der[at + 2:at + 2 + k], "big")
        return at + 2 + k + length
    return at + 2 + n


def _iso(t: datetime.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
