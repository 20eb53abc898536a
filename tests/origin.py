"""An image origin for the image proxy's tests: an HTTP server on 127.0.0.1 (or another loopback address) that
counts the connections it accepts and records each request, with routes for every way an origin can go wrong."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(255, -1, -1)) * 8
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@dataclass
class Origin:
    host: str
    port: int
    connections: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    redirect_to: str = ""
    slow_seconds: float = 3.0

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        """Requests for `path` (its query aside)."""
        return sum(1 for p, _ in self.requests if p.split("?", 1)[0] == path)


def _handler(origin: Origin) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _send(self, status: int, kind: str, body: bytes, extra: dict[str, str] | None = None,
                  length: bool = True) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            if length:
                self.send_header("Content-Length", str(len(body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            origin.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            path = self.path.split("?", 1)[0]
            if path in ("/a.png", "/b.png", "/c.png", "/referer.png") or path.startswith("/img/"):
                self._send(200, "image/png", PNG, {"Set-Cookie": "session=secret; Path=/"})
            elif path in ("/a.jpg", "/labelled-png.jpg"):
                self._send(200, "image/png" if path.startswith("/labelled") else "image/jpeg", JPEG)
            elif path == "/html.png":
                self._send(200, "image/png", HTML)
            elif path == "/page":
                self._send(200, "text/html; charset=utf-8", HTML)
            elif path == "/big.jpg":
                self._send(200, "image/jpeg", JPEG + b"\x00" * 20_000)
            elif path == "/big-unannounced.jpg":
                self._send(200, "image/jpeg", JPEG + b"\x00" * 20_000, length=False)
            elif path == "/slow.jpg":
                time.sleep(origin.slow_seconds)
                self._send(200, "image/jpeg", JPEG)
            elif path == "/redirect":
                self._send(302, "text/plain", b"", {"Location": "/a.jpg"})
            elif path == "/redirect-away":
                self._send(302, "text/plain", b"", {"Location": origin.redirect_to})
            elif path == "/loop":
                self._send(302, "text/plain", b"", {"Location": "/loop"})
            else:
                self._send(404, "text/plain", b"not here")

    return Handler


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        super().__init__((origin.host, 0), _handler(origin))
        origin.port = self.server_address[1]

    def verify_request(self, request: socket.socket | tuple[bytes, socket.socket], client_address: object) -> bool:
        self.origin.connections += 1
        return True


@contextmanager
def serving(host: str = "127.0.0.1") -> Iterator[Origin]:
    """An origin listening on `host` until the block ends."""
    origin = Origin(host, 0)
    server = _Server(origin)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()
