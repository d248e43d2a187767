"""Zeek-like identifiers: ``uid`` for a connection (``C`` + 17 base62 characters), ``fuid`` for a file (``F``...).

Zeek draws them at random; ours are a hash of what identifies the thing — for a connection its protocol, its
two endpoints (originator first) and the time of its first packet — so the same capture always gives the same
uids, whether it is analysed in one process or split into files and chunks on a Dask cluster, and the
``conn``, ``dns``, ``http`` and ``files`` tables join on them.
"""

from __future__ import annotations

import hashlib

from analyzer.compiled import compiled

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LENGTH = 17


# the two base62 digits of 0..3843, least significant first: _base62 takes two digits a division
_PAIRS = tuple(_ALPHABET[r % 62] + _ALPHABET[r // 62] for r in range(62 * 62))


def _base62(digest: bytes) -> str:
    """The digest's number as _LENGTH base62 digits, least significant first (8 pairs and one digit)."""
    n = int.from_bytes(digest, "big")
    out = []
    for _ in range(_LENGTH // 2):
        n, r = divmod(n, 3844)
        out.append(_PAIRS[r])
    out.append(_ALPHABET[n % 62])
    return "".join(out)


# the same text in C (analyzer/columnar/_speedups.c; None where not built, or pure Python): 1.44 -> 0.29 us
_base62_compiled = compiled("base62_17")
_b62 = _base62_compiled if _base62_compiled is not None else _base62


def connection_uid(proto: str, orig_h: str, orig_p: int, resp_h: str, resp_p: int, first_ts_ns: int) -> str:
    """The uid of a connection (TCP or UDP): stable for the same connection in the same capture."""
    key = f"{proto}|{orig_h}|{orig_p}|{resp_h}|{resp_p}|{first_ts_ns}".encode()
    return "C" + _b62(hashlib.blake2b(key, digest_size=16).digest())


def file_uid(conn_uid: str, depth: int, is_orig: bool) -> str:
    """The fuid of an HTTP body: the connection's uid, the transaction's depth (1-based) and the direction."""
    key = f"{conn_uid}|{depth}|{'orig' if is_orig else 'resp'}".encode()
    return "F" + _b62(hashlib.blake2b(key, digest_size=16).digest())
