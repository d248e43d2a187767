"""``python -m analyzer.demo.server``: the demo's DNS responder and/or web server in the foreground.

The lab runs this inside its namespaces (``ip netns exec NS python -m analyzer.demo.server ...``) when
dnsmasq or nginx are not installed. It prints one ``ready`` line on stdout once every socket is bound,
and serves until SIGTERM or SIGINT; a bind error is one line on stderr and exit code 2.

    python -m analyzer.demo.server --dns 198.51.100.53:53 --a 198.51.100.80 --aaaa 2001:db8:2::80
    python -m analyzer.demo.server --http 198.51.100.80:80 --http [2001:db8:2::80]:80
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from analyzer.demo.dns import DEMO_NAME, DnsResponder, Zone
from analyzer.demo.http_server import HttpServer
from analyzer.demo.site import site


def parse_endpoint(text: str, default_port: int) -> tuple[str, int]:
    """``ADDR[:PORT]`` or ``[V6ADDR]:PORT``."""
    if text.startswith("["):
        addr, _, rest = text[1:].partition("]")
        return addr, int(rest.lstrip(":") or default_port)
    if text.count(":") == 1:
        addr, port = text.split(":")
        return addr, int(port)
    return text, default_port


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m analyzer.demo.server", description=__doc__.split("\n")[0])
    p.add_argument("--dns", action="append", default=[], metavar="ADDR[:PORT]", help="serve DNS here (UDP+TCP)")
    p.add_argument("--http", action="append", default=[], metavar="ADDR[:PORT]", help="serve HTTP here")
    p.add_argument("--name", default=DEMO_NAME, help="the demo name the zone answers for")
    p.add_argument("--a", default="127.0.0.1", help="the name's IPv4 address")
    p.add_argument("--aaaa", default="::1", help="the name's IPv6 address ('' for none)")
    p.add_argument("--short", action="store_true", help="the web server closes after every response")
    p.add_argument("--no-continue", action="store_true",
                   help="the web server ignores 'Expect: 100-continue' (as some do): such a client waits before "
                        "it sends a request body")
    args = p.parse_args(argv)
    if not args.dns and not args.http:
        p.error("nothing to serve: give --dns and/or --http")
    servers: list = []
    try:
        for ep in args.dns:
            addr, port = parse_endpoint(ep, 53)
            servers.append(DnsResponder(Zone.demo(args.a, args.aaaa or None, args.name), addr, port))
        for ep in args.http:
            addr, port = parse_endpoint(ep, 80)
            servers.append(HttpServer(addr, port, pages=site(args.name), close_after_response=args.short,
                                      expect_continue=not args.no_continue))
    except OSError as exc:
        for s in servers:
            s.stop()
        print(f"analyzer.demo.server: cannot bind: {exc.strerror or exc}", file=sys.stderr)
        return 2
    done = threading.Event()

    def on_signal(signum, frame) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for s in servers:
        s.start()
    where = " ".join(f"{'dns' if isinstance(s, DnsResponder) else 'http'}={s.addr}:{s.port}" for s in servers)
    print(f"ready {where}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        for s in servers:
            s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
