"""Address safety: feeds may only reach public addresses, checked after DNS, every hop.

The check lives in the network backend that opens every TCP connection, so the address that
was vetted is the address that is connected to: no gap for DNS rebinding between a check and
a second lookup. A user-given allow list of exact ``host:port`` pairs makes exceptions (tests
and local feed servers).
"""

from __future__ import annotations

import asyncio
import ipaddress
import select
import socket
import ssl
import typing
from collections.abc import Iterable

import httpcore

from reader.exceptions import BlockedAddressError, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})


def is_public_address(address: IPAddress) -> bool:
    """True for an address on the public internet (not loopback, private, link-local, ...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return bool(
        address.is_global
        and not (
            address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        )
    )


def authority(host: str, port: int) -> str:
    """``host:port`` as written in an allow list (IPv6 literals in brackets)."""
    host = host.strip("[]").lower()
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_allowed(address: IPAddress, host: str, port: int, allow: frozenset[str]) -> bool:
    """May a connection to `host` (resolved to `address`) on `port` be made?"""
    if is_public_address(address):
        return True
    return authority(host, port) in allow or authority(str(address), port) in allow


def literal_address(host: str) -> IPAddress | None:
    """The IP address a host name spells literally, or None for a DNS name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` resolves to (a literal resolves to itself), in DNS order."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(host, f"cannot resolve {host}: {exc}") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


async def vetted_addresses(host: str, port: int, allow: frozenset[str]) -> list[IPAddress]:
    """Resolve `host` and keep only the addresses we may connect to.

    Raises `BlockedAddressError` when none is left (naming what it resolved to).
    """
    addresses = await resolve(host, port)
    vetted = [a for a in addresses if is_allowed(a, host, port, allow)]
    if not vetted:
        shown = ", ".join(str(a) for a in addresses) or "nothing"
        raise BlockedAddressError(
            authority(host, port),
            f"refused: resolves to non-public address {shown}"
            f' (allow it with [fetch] allow = ["{authority(host, port)}"])',
        )
    return vetted


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, vets, and connects to the vetted address."""

    def __init__(self, allow: frozenset[str], inner: httpcore.AsyncNetworkBackend | None = None):
        self.allow = allow
        self.inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await vetted_addresses(host, port, self.allow)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        last_error: Exception | None = None
        for address in addresses:
            try:
                # Connect to the checked address itself; TLS still verifies `host` (SNI).
                stream = await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
                return CheapInfoStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError(path, "refused: feeds are fetched over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class CheapInfoStream(httpcore.AsyncNetworkStream):
    """A network stream that answers httpcore's frequent ``is_readable`` checks cheaply.

    httpcore asks every idle pooled connection whether it is readable each time a request
    starts or ends; anyio builds a dict of attributes (and calls getpeername) per ask. With a
    few dozen pooled connections that was a large share of the fetcher's CPU, so the socket
    is looked up once here. Everything else is passed through.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")
        # One poll object for the stream's life: registering anew on every ask cost a third
        # of each check, and the pool asks about every idle connection very often.
        self._poller: select.poll | None = None
        fd = -1 if self._socket is None else self._socket.fileno()
        if fd >= 0:
            self._poller = select.poll()
            self._poller.register(fd, select.POLLIN)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return CheapInfoStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":
            if self._poller is None or self._socket is None or self._socket.fileno() < 0:
                return True
            return bool(self._poller.poll(0))
        if info == "socket":
            return self._socket
        return self._inner.get_extra_info(info)
