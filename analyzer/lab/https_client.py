"""``python -m analyzer.lab.https_client --cafile C URL...``: fetch URLs of one host over one TLS connection
(HTTP/1.1 keep-alive), the lab's client when curl is not installed. Python's ``ssl.create_default_context``
writes the TLS secrets to ``$SSLKEYLOGFILE``, as curl and browsers do."""

from __future__ import annotations

import argparse
import http.client
import socket
import ssl
import sys
from urllib.parse import urlsplit


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cafile", required=True)
    p.add_argument("-6", dest="ipv6", action="store_true", help="connect over IPv6 (else IPv4)")
    p.add_argument("urls", nargs="+")
    args = p.parse_args(argv)
    ctx = ssl.create_default_context(cafile=args.cafile)      # honours SSLKEYLOGFILE
    ctx.set_alpn_protocols(["http/1.1"])
    host = urlsplit(args.urls[0]).hostname or ""
    family = socket.AF_INET6 if args.ipv6 else socket.AF_INET
    try:
        addr = socket.getaddrinfo(host, 443, family, socket.SOCK_STREAM)[0][4][0]
    except OSError as exc:
        print(f"https_client: {host}: {exc}", file=sys.stderr)
        return 1
    conn = http.client.HTTPSConnection(host, 443, context=ctx, timeout=20)
    conn.sock = ctx.wrap_socket(socket.create_connection((addr, 443), timeout=20), server_hostname=host)
    failed = 0
    try:
        for url in args.urls:
            parts = urlsplit(url)
            conn.request("GET", parts.path or "/", headers={"User-Agent": "analyzer-lab"})
            resp = conn.getresponse()
            body = resp.read()
            print(f"{url} {resp.status} {len(body)} bytes")
            failed += resp.status != 200
    except (OSError, http.client.HTTPException) as exc:
        print(f"https_client: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
