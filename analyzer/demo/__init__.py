"""The project's own servers and client, for ``analyzer demo``, ``analyzer lab`` and the recording script.

- :mod:`analyzer.demo.dns`: DNS messages, a small zone, a UDP+TCP responder, a stub resolver;
- :mod:`analyzer.demo.http_server`: an HTTP/1.1 server on ``selectors`` (epoll), keep-alive or not;
- :mod:`analyzer.demo.client`: resolves through the responder, fetches a page and its subresources;
- :mod:`analyzer.demo.server`: both servers in the foreground (``python -m analyzer.demo.server``);
- :mod:`analyzer.demo.run`: ``analyzer demo`` itself (servers + capture on lo + client + timeline).
"""
