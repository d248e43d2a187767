"""``python -m analyzer.lab.https_server --listen ADDR:443 --cert C --key K``: the demo site over HTTPS
(HTTP/1.1 keep-alive inside TLS), the lab's server when nginx is not installed."""

from __future__ import annotations

import argparse
import http.server
import socket
import ssl
import sys
import threading

from analyzer.demo.site import site


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "analyzer-lab"
    wbufsize = 1 << 16        # headers and body in one write (one TLS record), not two with Nagle between
    pages = site()

    def do_GET(self) -> None:
        found = self.pages.get(self.path.split("?", 1)[0])
        if found is None:
            self.send_error(404)
            return
        ctype, body = found
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--listen", required=True, action="append", metavar="ADDR:PORT", help="([ADDR]:PORT for IPv6)")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    args = p.parse_args(argv)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["http/1.1"])
    servers = []
    for listen in args.listen:
        host, _, port = listen.rpartition(":")
        v6 = host.startswith("[")
        cls = type("Server6", (http.server.ThreadingHTTPServer,), {"address_family": socket.AF_INET6}) if v6 \
            else http.server.ThreadingHTTPServer
        server = cls((host.strip("[]"), int(port)), Handler)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        servers.append(server)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"ready: https on {', '.join(args.listen)}", flush=True)
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
