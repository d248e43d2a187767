"""The ``validation_status`` of the tls log (Zeek's ssl.log with policy/protocols/ssl/validate-certs): a server's
certificate chain, as the capture holds it, checked against the system's trust store at the time of the capture,
the result in the words OpenSSL 3 gives Zeek (``ok``, ``unable to get local issuer certificate``...).

Theory of operation
-------------------
* **Trust store**: the system's, where OpenSSL and Python's ``ssl`` find it (``ssl.get_default_verify_paths()``:
  ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set, else Debian's ``/etc/ssl/certs/ca-certificates.crt``), read once
  per process. No bundled list (certifi): the capture is judged by the roots this machine trusts, as Zeek is by
  the Mozilla list it ships. An empty or missing store makes every chain "unable to get local issuer
  certificate", as in Zeek with an empty ``SSL::root_certs``.
* **The decision** ("ok" or not) is ``cryptography``'s X.509 path validation (RFC 5280 and the CA/Browser
  Forum profile for the CAs; any extensions on the server's own certificate, as OpenSSL allows them), at the
  capture's time: what was valid then, not today. No host-name check: Zeek's validation has none either
  (``sni_matches_cert`` is that check).
* **The words**: when the chain fails, the reason is named as OpenSSL's verifier (``X509_verify_cert``) names
  the first error it meets, the order it checks in: it builds the chain from the server's certificate up
  (an issuer from the trust store first, else from the certificates the server sent), and a chain that ends
  outside the store is ``self-signed certificate`` (the server's certificate alone, signed by itself),
  ``self-signed certificate in certificate chain`` (a root the store does not hold) or
  ``unable to get local issuer certificate`` (an issuer nobody sent and the store lacks); a chain that reaches
  the store is then checked from the root down: ``certificate has expired`` / ``certificate is not yet
  valid``. A chain OpenSSL's checks would pass but ``cryptography``'s stricter profile rejects keeps
  ``cryptography``'s reason (no OpenSSL word exists for it). Certificates that cannot be read are left out of
  the chain; when the server's own cannot be read, there is no status (``None``), as in Zeek.
"""

from __future__ import annotations

import datetime
import ssl
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from cryptography import x509

OK = "ok"
SELF_SIGNED = "self-signed certificate"
SELF_SIGNED_IN_CHAIN = "self-signed certificate in certificate chain"
NO_LOCAL_ISSUER = "unable to get local issuer certificate"
EXPIRED = "certificate has expired"
NOT_YET_VALID = "certificate is not yet valid"
MAX_DEPTH = 10                  # certificates in a chain, the server's own included (OpenSSL's default is 100)
CACHE_SIZE = 1024               # chains remembered (one server's chain repeats across its connections)
CACHE_SECONDS = 300             # a chain's result is reused within 5 minutes of capture time (Zeek: 5 minutes)


@lru_cache(maxsize=1)
def default_validator() -> Validator:
    """The process's validator over the system's roots (made at first use)."""
    return Validator()


@lru_cache(maxsize=1)
def system_roots() -> tuple[x509.Certificate, ...]:
    """The system's trusted roots (see the module docstring); empty when none can be read."""
    paths = ssl.get_default_verify_paths()
    files = [Path(p) for p in (paths.cafile, paths.openssl_cafile) if p]
    for path in files:
        if path.is_file():
            return _read_pem(path.read_bytes())
    for d in (paths.capath, paths.openssl_capath):
        if d and Path(d).is_dir():
            found: list[x509.Certificate] = []
            for path in sorted(Path(d).iterdir()):
                if path.is_file() and path.suffix in (".pem", ".crt", ".0"):
                    found += _read_pem(path.read_bytes())
            return tuple({c.fingerprint(_SHA256): c for c in found}.values())
    return ()


def _read_pem(data: bytes) -> tuple[x509.Certificate, ...]:
    try:
        with warnings.catch_warnings():         # a store root with a serial RFC 5280 disallows still loads
            warnings.simplefilter("ignore")
            return tuple(x509.load_pem_x509_certificates(data))
    except ValueError:
        return ()


class Validator:
    """Validates chains against ``roots`` (default: :func:`system_roots`), remembering recent results."""

    def __init__(self, roots: Sequence[x509.Certificate] | None = None):
        self.roots = tuple(system_roots() if roots is None else roots)
        self._by_subject: dict[x509.Name, list[x509.Certificate]] = {}
        for root in self.roots:
            self._by_subject.setdefault(root.subject, []).append(root)
        self._store = None
        self._cache: OrderedDict[tuple, str | None] = OrderedDict()

    def status(self, chain_der: Sequence[bytes], at_ns: int) -> str | None:
        """The validation status of a server's chain (its own certificate first, DER) at ``at_ns``."""
        if not chain_der:
            return None
        key = (tuple(chain_der), at_ns // (CACHE_SECONDS * 1_000_000_000))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        result = self._status(chain_der, at_ns)
        self._cache[key] = result
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return result

    def _status(self, chain_der: Sequence[bytes], at_ns: int) -> str | None:
        certs = []
        for der in chain_der[:MAX_DEPTH]:
            try:
                certs.append(x509.load_der_x509_certificate(der))
            except ValueError:
                if not certs:
                    return None         # the server's own certificate cannot be read: no status
        if not certs:
            return None
        when = datetime.datetime.fromtimestamp(at_ns / 1e9, datetime.UTC)
        reason = self._verify(certs, when)
        if reason is None:
            return OK
        return self._openssl_words(certs, when) or reason

    def _verify(self, certs: list[x509.Certificate], when: datetime.datetime) -> str | None:
        """cryptography's path validation: None when the chain is valid, else its reason."""
        from cryptography.x509 import verification as v

        if not self.roots:
            return NO_LOCAL_ISSUER
        try:
            if self._store is None:
                self._store = v.Store(list(self.roots))
            verifier = (v.PolicyBuilder().store(self._store).time(when).max_chain_depth(MAX_DEPTH)
                        .extension_policies(ca_policy=v.ExtensionPolicy.webpki_defaults_ca(),
                                            ee_policy=v.ExtensionPolicy.permit_all())
                        .build_client_verifier())
            verifier.verify(certs[0], certs[1:])
        except v.VerificationError as err:
            return str(err) or "certificate verification failed"
        except (ValueError, TypeError) as err:        # a key or signature algorithm cryptography cannot use
            return str(err) or "certificate verification failed"
        return None

    def _openssl_words(self, certs: list[x509.Certificate], when: datetime.datetime) -> str | None:
        """The first error OpenSSL's verifier would report for this chain (see the module docstring), or None
        when its chain building and validity checks find nothing wrong."""
        path = [certs[0]]
        sent = certs[1:]
        anchored = False
        while len(path) <= MAX_DEPTH:
            top = path[-1]
            trusted = self._trusted_issuer(top)
            if trusted is not None:
                anchored = True
                if trusted.fingerprint(_SHA256) != top.fingerprint(_SHA256):
                    path.append(trusted)
                break
            if _self_signed(top):
                return SELF_SIGNED if len(path) == 1 else SELF_SIGNED_IN_CHAIN
            issuer = next((c for c in sent if c.subject == top.issuer and c not in path and _issued_by(top, c)),
                          None)
            if issuer is None:
                return NO_LOCAL_ISSUER
            path.append(issuer)
        if not anchored:
            return NO_LOCAL_ISSUER
        for cert in reversed(path):            # OpenSSL checks from the root down
            if when < cert.not_valid_before_utc:
                return NOT_YET_VALID
            if when > cert.not_valid_after_utc:
                return EXPIRED
        return None

    def _trusted_issuer(self, cert: x509.Certificate) -> x509.Certificate | None:
        for root in self._by_subject.get(cert.issuer, ()):
            if _issued_by(cert, root):
                return root
        return None


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:       # noqa: BLE001 - InvalidSignature, ValueError, TypeError: not its issuer
        return False
    return True


def _self_signed(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer and _issued_by(cert, cert)


def _sha256():
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


_SHA256 = _sha256()
