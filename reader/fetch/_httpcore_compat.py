"""httpcore's private parts, behind one wall: a faster pool, and a cheap answer for sniffio.

Checked against httpcore 1.0.9 (pyproject pins ``httpcore>=1.0,<1.1``). Everything here
degrades safely: when the method `LeanConnectionPool` mirrors is not the one it was written
from, httpcore's own pool is used (correct, only slower). `problems()` says what no longer
matches, and `tests/test_compat.py` fails naming this module when httpcore moves under it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import ssl
import sys

import httpcore

CHECKED_SERIES = "1.0."
"""The httpcore release series this module was written against."""

MIRRORED_SHA256 = "ea1547e78a655633653bde5257e611ee458cfd46b8ab4543de13c5bae095b0ae"
"""SHA-256 of the source of `httpcore.AsyncConnectionPool._assign_requests_to_connections` as
`LeanConnectionPool` mirrors it (as in httpcore 1.0.9)."""

_PRIVATE_ATTRIBUTES = (
    "_connections",
    "_requests",
    "_max_connections",
    "_max_keepalive_connections",
)


class LeanConnectionPool(httpcore.AsyncConnectionPool):
    """httpcore 1.0's pool with its request assignment made linear in the connections.

    httpcore re-runs the assignment whenever a request starts or ends, and for every idle
    connection counts the pool by building a list over all connections (which it means as a
    count of idle ones, but counts them all): quadratic in the pool size, a sixth of the
    fetcher's CPU with a few dozen keep-alive connections. This is the same algorithm with
    that count taken as what it evaluates to, `len(self._connections)`; nothing else differs.
    """

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        closing_connections: list[httpcore.AsyncConnectionInterface] = []
        for connection in list(self._connections):
            if connection.is_closed():
                self._connections.remove(connection)
            elif connection.has_expired() or (
                connection.is_idle() and len(self._connections) > self._max_keepalive_connections
            ):
                self._connections.remove(connection)
                closing_connections.append(connection)

        queued_requests = [request for request in self._requests if request.is_queued()]
        for pool_request in queued_requests:
            origin = pool_request.request.url.origin
            available = next(
                (
                    connection
                    for connection in self._connections
                    if connection.can_handle_request(origin) and connection.is_available()
                ),
                None,
            )
            if available is not None:
                pool_request.assign_to_connection(available)
            elif len(self._connections) < self._max_connections:
                connection = self.create_connection(origin)
                self._connections.append(connection)
                pool_request.assign_to_connection(connection)
            else:
                idle = next((c for c in self._connections if c.is_idle()), None)
                if idle is not None:
                    self._connections.remove(idle)
                    closing_connections.append(idle)
                    connection = self.create_connection(origin)
                    self._connections.append(connection)
                    pool_request.assign_to_connection(connection)
        return closing_connections


@functools.cache
def _mirrored_source_hash() -> str | None:
    """The hash of httpcore's own assignment method, or None when its source is not at hand."""
    try:
        source = inspect.getsource(httpcore.AsyncConnectionPool._assign_requests_to_connections)
    except (AttributeError, OSError, TypeError):
        return None
    return hashlib.sha256(source.encode()).hexdigest()


def problems() -> list[str]:
    """What no longer matches the httpcore this module was checked against (empty: all)."""
    found: list[str] = []
    if not httpcore.__version__.startswith(CHECKED_SERIES):
        found.append(f"httpcore {httpcore.__version__} is not the {CHECKED_SERIES}x checked")
    digest = _mirrored_source_hash()
    if digest != MIRRORED_SHA256:
        found.append(
            "AsyncConnectionPool._assign_requests_to_connections changed"
            f" (sha256 {digest}); LeanConnectionPool mirrors the old one"
        )
    probe = httpcore.AsyncConnectionPool()
    missing = [name for name in _PRIVATE_ATTRIBUTES if not hasattr(probe, name)]
    if missing:
        found.append(f"AsyncConnectionPool lost {', '.join(missing)}")
    return found


def lean_pool_applies() -> bool:
    """Whether `LeanConnectionPool` mirrors the installed httpcore's method exactly."""
    return httpcore.__version__.startswith(CHECKED_SERIES) and (
        _mirrored_source_hash() == MIRRORED_SHA256
    )


def connection_pool(
    *,
    ssl_context: ssl.SSLContext,
    max_connections: int,
    max_keepalive_connections: int,
    keepalive_expiry: float,
    network_backend: httpcore.AsyncNetworkBackend,
) -> httpcore.AsyncConnectionPool:
    """An HTTP/1.1 and HTTP/2 pool: the lean one where it applies, else httpcore's own."""
    pool_class = LeanConnectionPool if lean_pool_applies() else httpcore.AsyncConnectionPool
    return pool_class(
        ssl_context=ssl_context,
        max_connections=max_connections,
        max_keepalive_connections=max_keepalive_connections,
        keepalive_expiry=keepalive_expiry,
        http1=True,
        http2=True,
        network_backend=network_backend,
    )


def settle_sniffio() -> None:
    """Make httpcore's per-lock ``import sniffio`` cheap when sniffio is not installed.

    httpcore asks sniffio which async library runs each time it sets up a lock (several per
    request) and falls back to asyncio when the import fails; a failed import is not cached,
    so without sniffio every request searched the whole import path again. We run only on
    asyncio, which is httpcore's answer without sniffio: record the absence once.
    """
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]  # `import` fails at once
