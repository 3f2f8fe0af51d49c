"""Bounded, incremental decoding of response bodies (gzip, deflate), so no body can blow memory.

We ask for compressed bodies, read the raw bytes ourselves and inflate them here with
`zlib.decompressobj(...).decompress(data, max_length)`: output never exceeds the cap plus one
byte per call, so a gzip bomb or a doubled `Content-Encoding` fails fast with a clear error.
"""

from __future__ import annotations

import zlib

ACCEPT_ENCODING = "gzip, deflate"
"""What we ask servers for: only encodings decoded here."""


class BodyTooLarge(Exception):
    """The decoded body passed the cap (the caller turns this into `ResponseTooLargeError`)."""


class UnsupportedEncoding(Exception):
    """A `Content-Encoding` we did not ask for and cannot decode."""


class _Inflater:
    """One gzip or deflate layer, restarted on concatenated gzip members."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._started = False
        self._raw_fallback = False
        self._new()

    def _new(self) -> None:
        if self.encoding == "gzip":
            self._z = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif self._raw_fallback:
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        else:
            self._z = zlib.decompressobj(zlib.MAX_WBITS)  # zlib-wrapped "deflate" (the RFC)

    def feed(self, data: bytes, budget: int) -> bytes:
        """Inflate `data`, returning at most `budget + 1` bytes (more means over the cap)."""
        out = bytearray()
        pending = data
        while True:
            try:
                chunk = self._z.decompress(pending, budget + 1 - len(out))
            except zlib.error:
                if self.encoding == "deflate" and not self._started and not self._raw_fallback:
                    # Many servers send raw deflate without the zlib header: retry that way.
                    self._raw_fallback = True
                    self._new()
                    chunk = self._z.decompress(pending, budget + 1 - len(out))
                else:
                    raise
            self._started = True
            out += chunk
            if len(out) > budget:
                return bytes(out)
            pending = self._z.unconsumed_tail
            if self._z.eof:
                rest = self._z.unused_data
                if self.encoding == "gzip" and rest.strip(b"\0"):
                    self._new()  # another gzip member follows
                    self._started = False
                    pending = rest
                    continue
                return bytes(out)
            if not chunk:
                return bytes(out)

    def finish(self, budget: int) -> bytes:
        """What is left after the last input (bounded like `feed`)."""
        return self.feed(b"", budget)


class BodyDecoder:
    """Turns raw response bytes into the decoded body, layer by layer, within `max_bytes`.

    `content_encoding` is the header as sent (``"gzip"``, ``"gzip, gzip"``, ...); layers are
    undone in reverse order. Raises `BodyTooLarge` as soon as any stage passes `max_bytes`,
    `UnsupportedEncoding` for encodings other than gzip/deflate/identity, and `zlib.error`
    for corrupt data.
    """

    def __init__(self, content_encoding: str | None, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
        names = ["gzip" if n == "x-gzip" else n for n in names if n != "identity"]
        for name in names:
            if name not in ("gzip", "deflate"):
                raise UnsupportedEncoding(name)
        self._layers = [_Inflater(n) for n in reversed(names)]
        self._raw_seen = 0
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, raw: bytes) -> None:
        """Take the next raw chunk from the network."""
        self._raw_seen += len(raw)
        if self._raw_seen > self.max_bytes:
            raise BodyTooLarge
        data = raw
        for layer in self._layers:
            data = layer.feed(data, self.max_bytes - self._size)
            self._check(data)
        self._append(data)

    def finish(self) -> bytes:
        """Flush every layer and return the whole decoded body."""
        for index, layer in enumerate(self._layers):
            data = layer.finish(self.max_bytes - self._size)
            self._check(data)
            for later in self._layers[index + 1 :]:
                data = later.feed(data, self.max_bytes - self._size)
                self._check(data)
            self._append(data)
        return b"".join(self._parts)

    def _check(self, data: bytes) -> None:
        if self._size + len(data) > self.max_bytes:
            raise BodyTooLarge

    def _append(self, data: bytes) -> None:
        if data:
            self._parts.append(data)
            self._size += len(data)
