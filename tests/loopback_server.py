"""A real HTTP server on 127.0.0.1 with scripted behaviours, for tests of fetching and updating.

Start one with the `loopback_server` fixture (or `with LoopbackServer() as server:`), then
script paths: `feed` (with ETag/Last-Modified and 304s, optionally gzip), `set_body` (the
content changes), `redirect`, `status` (410, 429 + Retry-After, 500, ...), `drip` (a slow
server), `oversized`, `gzip_bomb`, `double_gzip` and `files` (a folder, e.g. the corpus, with
feedparser's `Header:` test lines honoured). `hits` and `requests` record what was asked.

Fetches from it must be allowed: put `server.authority` ("127.0.0.1:PORT") in the fetch allow
list.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

_CONTENT_TYPES = {
    ".xml": "text/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".json": "application/json",
    ".opml": "text/x-opml",
    ".html": "text/html",
}

_HEADER_LINE = re.compile(r"^Header:\s*([A-Za-z-]+):\s*(.*?)\s*$", re.MULTILINE)


@dataclass
class RecordedRequest:
    """One request the server saw."""

    path: str
    headers: dict[str, str]


@dataclass
class _Reply:
    """What the handler sends: a status, headers, and a body (bytes or chunks made lazily)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: Callable[[], Iterator[bytes]] | None = None
    """A streamed body with no Content-Length (the connection closes after it)."""
    drip_interval: float = 0.0
    """Seconds between single bytes of `body` (a slow server)."""
    conditional: bool = False
    """Answer 304 when the request's validators match."""


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


class LoopbackServer:
    """A threaded HTTP/1.1 server on a loopback address; routes are scripted by the test."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes: dict[str, _Reply] = {}
        self._folders: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.hits: Counter[str] = Counter()
        self.requests: list[RecordedRequest] = []
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def authority(self) -> str:
        """``host:port``, the form the fetch allow list takes."""
        return f"{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.authority}/{path.lstrip('/')}"

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- scripting -----------------------------------------------------------------------------

    def feed(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/rss+xml; charset=utf-8",
        etag: bool = True,
        last_modified: bool = True,
        gzip_body: bool = False,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve `body` at `path` (with validators and 304s unless turned off); return its URL."""
        reply_headers = {"Content-Type": content_type, **(headers or {})}
        if etag:
            reply_headers["ETag"] = _etag(body)
        if last_modified:
            reply_headers["Last-Modified"] = formatdate(time.time(), usegmt=True)
        payload = body
        if gzip_body:
            payload = gzip.compress(body, mtime=0)
            reply_headers["Content-Encoding"] = "gzip"
        self._set(path, _Reply(200, reply_headers, payload, conditional=etag or last_modified))
        return self.url(path)

    def set_body(self, path: str, body: bytes) -> None:
        """Change what `path` serves, keeping its other settings (new ETag and Last-Modified)."""
        with self._lock:
            reply = self._routes[path.lstrip("/")]
            headers = dict(reply.headers)
        gzip_body = headers.get("Content-Encoding") == "gzip"
        self.feed(
            path,
            body,
            content_type=headers.pop("Content-Type"),
            etag="ETag" in headers,
            last_modified="Last-Modified" in headers,
            gzip_body=gzip_body,
            headers={
                k: v
                for k, v in headers.items()
                if k not in ("ETag", "Last-Modified", "Content-Encoding")
            },
        )

    def redirect(self, path: str, location: str, status: int = 301) -> str:
        self._set(path, _Reply(status, {"Location": location}))
        return self.url(path)

    def status(
        self, path: str, code: int, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> str:
        """Answer `code` (410, 429, 500, ...) with these headers (e.g. Retry-After)."""
        self._set(path, _Reply(code, {"Content-Type": "text/plain", **(headers or {})}, body))
        return self.url(path)

    def drip(self, path: str, body: bytes, *, interval: float = 1.0) -> str:
        """Send headers at once, then one byte of `body` every `interval` seconds."""
        headers = {"Content-Type": "application/rss+xml"}
        self._set(path, _Reply(200, headers, body, drip_interval=interval))
        return self.url(path)

    def oversized(self, path: str, size: int, *, declare_length: bool = False) -> str:
        """Stream `size` bytes of XML-ish filler (no Content-Length unless `declare_length`)."""
        block = b"<item><title>filler</title></item>\n" * 1000

        def chunks() -> Iterator[bytes]:
            sent = 0
            while sent < size:
                part = block[: size - sent]
                sent += len(part)
                yield part

        headers = {"Content-Type": "application/rss+xml"}
        if declare_length:
            headers["Content-Length"] = str(size)
        self._set(path, _Reply(200, headers, chunks=chunks))
        return self.url(path)

    def gzip_bomb(self, path: str, decoded_size: int) -> str:
        """A small gzip body (Content-Encoding: gzip) that inflates to `decoded_size` zeros."""
        compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        zeros = b"\0" * (1 << 20)
        parts = []
        for start in range(0, decoded_size, len(zeros)):
            parts.append(compressor.compress(zeros[: decoded_size - start]))
        parts.append(compressor.flush())
        headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
        self._set(path, _Reply(200, headers, b"".join(parts)))
        return self.url(path)

    def double_gzip(self, path: str, body: bytes) -> str:
        """`body` gzipped twice, declared as ``Content-Encoding: gzip, gzip``."""
        payload = gzip.compress(gzip.compress(body, mtime=0), mtime=0)
        headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip, gzip"}
        self._set(path, _Reply(200, headers, payload))
        return self.url(path)

    def files(self, prefix: str, root: Path) -> str:
        """Serve the folder `root` under `/prefix/` with validators; return the base URL.

        A feedparser test file's ``Header: Name: value`` comment lines become response
        headers, as upstream's own test server does.
        """
        with self._lock:
            self._folders[prefix.strip("/")] = root
        return self.url(prefix.strip("/") + "/")

    def _set(self, path: str, reply: _Reply) -> None:
        with self._lock:
            self._routes[path.lstrip("/")] = reply

    # -- serving -------------------------------------------------------------------------------

    def _lookup(self, path: str) -> _Reply | None:
        key = path.split("?", 1)[0].lstrip("/")
        with self._lock:
            if key in self._routes:
                return self._routes[key]
            folders = list(self._folders.items())
        for prefix, root in folders:
            if key.startswith(prefix + "/"):
                return _file_reply(root, key[len(prefix) + 1 :])
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # tests read `hits` and `requests`, not a log

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0].lstrip("/")
                with server._lock:
                    server.hits[path] += 1
                    server.requests.append(RecordedRequest(path, dict(self.headers.items())))
                reply = server._lookup(self.path)
                if reply is None:
                    reply = _Reply(404, {"Content-Type": "text/plain"}, b"not found")
                try:
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _send(self, reply: _Reply) -> None:
                if reply.conditional and _not_modified(reply.headers, self.headers):
                    self.send_response(304)
                    for name in ("ETag", "Last-Modified"):
                        if name in reply.headers:
                            self.send_header(name, reply.headers[name])
                    self.end_headers()
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.chunks is not None:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                    self.end_headers()
                    for part in reply.chunks():
                        if server._stopping.is_set():
                            return
                        self.wfile.write(part)
                    return
                if "Content-Length" not in reply.headers:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.drip_interval:
                    for index in range(len(reply.body)):
                        if server._stopping.wait(reply.drip_interval if index else 0):
                            self.close_connection = True
                            return
                        self.wfile.write(reply.body[index : index + 1])
                        self.wfile.flush()
                    return
                self.wfile.write(reply.body)

        return Handler


def _not_modified(served: dict[str, str], request: object) -> bool:
    """Do the request's validators match what is served?"""
    get = request.get  # type: ignore[attr-defined]
    if_none_match = get("If-None-Match")
    if if_none_match is not None:
        return bool(served.get("ETag")) and served["ETag"] in [
            t.strip() for t in str(if_none_match).split(",")
        ]
    since = get("If-Modified-Since")
    return since is not None and since == served.get("Last-Modified")


def _file_reply(root: Path, relative: str) -> _Reply | None:
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return None
    body = path.read_bytes()
    headers = {"Content-Type": _CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")}
    headers.update(_declared_headers(body))
    headers["ETag"] = _etag(body)
    headers["Last-Modified"] = formatdate(path.stat().st_mtime, usegmt=True)
    return _Reply(200, headers, body, conditional=True)


def _declared_headers(body: bytes) -> dict[str, str]:
    """feedparser's ``Header:`` test lines (in the leading comment) as response headers."""
    head = body[:4096]
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe\0\0", "utf-32-le"),
        (b"\0\0\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            text = head[len(bom) :].decode(codec, errors="ignore")
            break
    else:
        if head[:4] in (b"\0\0\0<", b"<\0\0\0"):
            text = head.decode("utf-32-be" if head[0] == 0 else "utf-32-le", errors="ignore")
        elif head[:2] in (b"\0<", b"<\0"):
            text = head.decode("utf-16-be" if head[0] == 0 else "utf-16-le", errors="ignore")
        else:
            text = head.decode("latin-1")
    comment_end = text.find("-->")
    if comment_end < 0:
        return {}
    headers: dict[str, str] = {}
    for name, value in _HEADER_LINE.findall(text[:comment_end]):
        if name.lower() == "content-type":
            headers["Content-Type"] = value
        elif name.lower() not in ("content-length", "content-encoding", "transfer-encoding"):
            headers[name] = value
    return headers


@pytest.fixture
def loopback_server() -> Iterator[LoopbackServer]:
    """A started `LoopbackServer` on 127.0.0.1, stopped after the test."""
    with LoopbackServer() as server:
        yield server
