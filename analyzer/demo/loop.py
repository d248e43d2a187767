"""The life of the demo's servers (DNS responder, HTTP server): one ``selectors`` loop, a wake-up socket
pair so a stop request (even from a signal handler) ends the loop at once, a background thread or the
caller's, and an idempotent :meth:`stop` that closes every socket."""

from __future__ import annotations

import selectors
import socket
import threading
from typing import Self


class SelectorServer:
    """Base of a server on one selector. A subclass binds its listening sockets, calls :meth:`_init_loop`
    with them, implements :meth:`serve_forever` (returning when ``self._wake_r`` becomes readable) and
    :meth:`_close_connections`; it sets ``thread_name`` and ``port``."""

    thread_name = "server"
    port: int

    def _init_loop(self, listening: tuple[socket.socket, ...]) -> None:
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._sockets = (*listening, self._wake_r, self._wake_w)
        for sock in (*listening, self._wake_r):
            sock.setblocking(False)
            self._sel.register(sock, selectors.EVENT_READ)
        self._thread: threading.Thread | None = None
        self._stopped = False

    def start(self) -> Self:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, name=f"{self.thread_name}-{self.port}",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        raise NotImplementedError

    def _close_connections(self) -> None:
        raise NotImplementedError

    def request_stop(self) -> None:
        """Make the serving loop return soon (safe from a signal handler); :meth:`stop` then closes."""
        if not self._stopped:
            self._stopped = True
            try:
                self._wake_w.send(b"x")
            except OSError:
                pass

    def stop(self) -> None:
        """Stop serving, close every connection and socket (idempotent)."""
        if self._stopped and self._sel is None:
            return
        self.request_stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(3)
        self._close_connections()
        self._sel.close()
        self._sel = None
        for sock in self._sockets:
            sock.close()

    def __enter__(self) -> Self:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc_info) -> None:
        self.stop()
