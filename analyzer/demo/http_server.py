"""The demo's HTTP/1.1 server: one thread, non-blocking sockets, ``selectors`` (epoll on Linux).

Theory of operation
-------------------
Each connection has a read buffer and a write buffer. When the read buffer holds a whole request head
(``\\r\\n\\r\\n``; bodies are read by Content-Length and ignored) the response is queued whole, headers and
body in one buffer, so it leaves in as few segments as the kernel likes. ``POST /upload`` takes a body and
answers how many bytes came; a request head with ``Expect: 100-continue`` whose body has not arrived gets the
interim ``100 Continue`` first (RFC 9110 10.1.1), which a client such as curl waits for before it sends the
body (``expect_continue=False`` makes it ignore the expectation, as some servers do: curl then waits 1 s). Requests on one connection are answered in order (pipelining works). Whether the connection stays
open after a response is RFC 9112 9.3: HTTP/1.1 persists unless ``Connection: close``; HTTP/1.0 closes unless ``Connection: keep-alive``;
``close_after_response`` makes the server close every connection itself (the server then sends the first
FIN and is the side left in TIME_WAIT, which the TIME_WAIT demonstration needs). A connection idle for
``idle_timeout`` seconds is closed by the server.

``reuse_addr`` sets SO_REUSEADDR on the listening socket before bind (the accepted sockets inherit it,
and so do their TIME_WAIT remains). Binding errors (EADDRINUSE) propagate from the constructor.
"""

from __future__ import annotations

import email.utils
import ipaddress
import selectors
import socket
import time

from analyzer.demo.loop import SelectorServer
from analyzer.demo.site import site

SERVER_NAME = "analyzer-demo/1.0"
MAX_HEAD = 65536
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


class _Conn:
    __slots__ = ("closing", "continued", "inbuf", "last", "outbuf", "peer", "requests", "sock")

    def __init__(self, sock: socket.socket, peer):
        self.sock = sock
        self.peer = peer
        self.inbuf = b""
        self.outbuf = b""
        self.closing = False
        self.continued = False       # 100 Continue sent for the request whose body is still coming
        self.last = time.monotonic()
        self.requests = 0


class HttpServer(SelectorServer):
    """Serves ``pages`` (path -> (content type, body)) on ``addr:port`` until :meth:`stop`."""

    def __init__(self, addr: str = "127.0.0.1", port: int = 0, *, pages: dict | None = None,
                 reuse_addr: bool = True, close_after_response: bool = False, idle_timeout: float = 15.0,
                 log=None, expect_continue: bool = True):
        self.pages = pages if pages is not None else site()
        self.close_after_response = close_after_response
        self.expect_continue = expect_continue
        self.idle_timeout = idle_timeout
        self.reuse_addr = reuse_addr
        self.log = log
        self.requests: list[tuple[str, str, int]] = []       # (method, path, status), in order served
        family = socket.AF_INET6 if ipaddress.ip_address(addr).version == 6 else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            if reuse_addr:
                self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.listener.bind((addr, port))
            self.listener.listen(64)
        except OSError:
            self.listener.close()
            raise
        self.addr = addr
        self.port = self.listener.getsockname()[1]
        self._conns: dict[socket.socket, _Conn] = {}
        self._init_loop((self.listener,))

    thread_name = "http"

    # -- running ---------------------------------------------------------------------------------------
    def serve_forever(self) -> None:
        try:
            while not self._stopped:
                for key, events in self._sel.select(0.5):
                    sock = key.fileobj
                    if sock is self._wake_r:
                        return
                    if sock is self.listener:
                        self._accept()
                        continue
                    conn = self._conns.get(sock)
                    if conn is None:
                        continue
                    if events & selectors.EVENT_READ:
                        self._readable(conn)
                    if events & selectors.EVENT_WRITE and sock in self._conns:
                        self._writable(conn)
                self._expire_idle()
        finally:
            self._close_connections()

    def _close_connections(self) -> None:
        for conn in list(self._conns.values()):
            self._close(conn)

    def _accept(self) -> None:
        while True:
            try:
                sock, peer = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sock.setblocking(False)
            conn = _Conn(sock, peer)
            self._conns[sock] = conn
            self._sel.register(sock, selectors.EVENT_READ)

    def _readable(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:                 # the client closed (its FIN): close our side too
            self._close(conn)
            return
        conn.last = time.monotonic()
        if conn.closing:
            return
        conn.inbuf += data
        self._answer_requests(conn)

    def _answer_requests(self, conn: _Conn) -> None:
        while not conn.closing:
            head_end = conn.inbuf.find(b"\r\n\r\n")
            if head_end < 0:
                if len(conn.inbuf) > MAX_HEAD:
                    self._respond(conn, "GET", 400, "HTTP/1.1", False, "text/plain", b"request head too long\n")
                break
            head = conn.inbuf[:head_end].decode("latin-1")
            lines = head.split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            try:
                body_len = int(headers.get("content-length", "0"))
            except ValueError:
                body_len = 0
            if len(conn.inbuf) < head_end + 4 + body_len:
                if headers.get("expect", "").lower() == "100-continue" and not conn.continued \
                        and self.expect_continue:
                    conn.continued = True
                    conn.outbuf += b"HTTP/1.1 100 Continue\r\n\r\n"
                    self._writable(conn)
                break
            conn.continued = False
            conn.inbuf = conn.inbuf[head_end + 4 + body_len:]
            parts = lines[0].split(" ")
            if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                self._respond(conn, "GET", 400, "HTTP/1.1", False, "text/plain", b"bad request line\n")
                break
            method, target, version = parts
            token = headers.get("connection", "").lower()
            keep = (version == "HTTP/1.1" and "close" not in token) or (version == "HTTP/1.0" and "keep-alive" in token)
            if self.close_after_response:
                keep = False
            path = target.split("?", 1)[0]
            if method == "POST" and path == "/upload":
                self._respond(conn, method, 200, version, keep, "text/plain",
                              f"received {body_len} bytes\n".encode(), path)
            elif method not in ("GET", "HEAD"):
                self._respond(conn, method, 405, version, keep, "text/plain", b"only GET and HEAD\n", path)
            elif path in self.pages:
                ctype, body = self.pages[path]
                self._respond(conn, method, 200, version, keep, ctype, body, path)
            else:
                self._respond(conn, method, 404, version, keep, "text/plain", b"not found\n", path)

    def _respond(self, conn: _Conn, method: str, status: int, version: str, keep: bool, ctype: str,
                 body: bytes, path: str = "") -> None:
        conn.requests += 1
        self.requests.append((method, path, status))
        if self.log is not None:
            self.log(f"{conn.peer[0]} {method} {path} {status}")
        head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
                f"Date: {email.utils.formatdate(usegmt=True)}",
                f"Server: {SERVER_NAME}",
                f"Content-Type: {ctype}",
                f"Content-Length: {len(body)}"]
        if keep:
            if version == "HTTP/1.0":
                head.append("Connection: keep-alive")
            head.append(f"Keep-Alive: timeout={int(self.idle_timeout)}")
        else:
            head.append("Connection: close")
        out = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (b"" if method == "HEAD" else body)
        conn.outbuf += out
        if not keep:
            conn.closing = True
        self._writable(conn)

    def _writable(self, conn: _Conn) -> None:
        if conn.outbuf:
            try:
                sent = conn.sock.send(conn.outbuf)
                conn.outbuf = conn.outbuf[sent:]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._close(conn)
                return
        if conn.outbuf:
            self._sel.modify(conn.sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
            return
        if conn.closing:                 # all sent: the server closes first (its FIN)
            self._close(conn)
            return
        self._sel.modify(conn.sock, selectors.EVENT_READ)

    def _expire_idle(self) -> None:
        now = time.monotonic()
        for conn in list(self._conns.values()):
            if not conn.outbuf and now - conn.last > self.idle_timeout:
                self._close(conn)

    def _close(self, conn: _Conn) -> None:
        if self._conns.pop(conn.sock, None) is None:
            return
        try:
            self._sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()
