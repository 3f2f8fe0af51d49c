"""ParserPool: real worker processes; hostile documents fail alone, within the deadline."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from reader.exceptions import ParseError
from reader.models import ParsedFeed
from reader.normalize import to_item_writes
from reader.parse import ParserPool, parse_document

DATA = Path(__file__).resolve().parent / "data" / "parse"
URL = "https://pool.example.com/feed.xml"
RSS = (DATA / "rss_basic.xml").read_bytes()


def slow_rss(count: int) -> bytes:
    """Many entries in a legacy encoding, which takes feedparser's (slow) path in full."""
    items = "".join(
        f"<item><guid>id-{n}</guid><title>Japan NATO Pacific {n}</title>"
        f"<description><![CDATA[<p>Japan NATO Pacific {n}</p>]]></description></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0" encoding="iso-8859-1"?>'
        f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'
    ).encode("iso-8859-1")


def billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n' for n in range(1, 10))
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol0 "lol">\n'
        f"{entities}]>\n"
        '<rss version="2.0"><channel><title>bomb</title>'
        "<item><title>&lol9;</title><description>&lol9;</description></item>"
        "</channel></rss>"
    ).encode()


def quadratic_blowup() -> bytes:
    """One big 'safe' entity referenced many times: megabytes in, gigabytes if expanded."""
    big = "a" * 1_000_000
    refs = "&a;" * 2000
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "{big}">]>\n'
        f'<rss version="2.0"><channel><title>q</title><item><title>x</title>'
        f"<description>{refs}</description></item></channel></rss>"
    ).encode()


def deep_nesting(depth: int) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>deep</title><item>'
        "<title>x</title><description>" + "<div>" * depth + "</description></item></channel></rss>"
    ).encode()


def assert_not_expanded(outcome: ParsedFeed | BaseException, limit: int) -> None:
    """A bomb either fails as ParseError or parses without its expansion (bounded fields)."""
    if isinstance(outcome, BaseException):
        assert isinstance(outcome, ParseError), repr(outcome)
        return
    for item in outcome.items:
        for value in (item.title, item.content_html, item.text):
            assert value is None or len(value) <= limit


async def test_pool_parses_like_parse_document() -> None:
    async with ParserPool(2, deadline=30) as pool:
        feed = await pool.parse(RSS, url=URL)
    direct = parse_document(RSS, url=URL)
    assert [i.identity for i in feed.items] == [i.identity for i in direct.items]
    assert feed.items[0].content_html == direct.items[0].content_html
    assert feed.ttl == direct.ttl


async def test_pool_reports_parse_errors_as_parse_error() -> None:
    async with ParserPool(1, deadline=30) as pool:
        with pytest.raises(ParseError, match="HTML page") as caught:
            await pool.parse(b"<html><body>hello</body></html>", url=URL)
        assert caught.value.url == URL
        # The worker survives a parse error and takes the next job.
        assert (await pool.parse(RSS, url=URL)).title == "Pacific Desk"


async def test_pool_passes_caps_through() -> None:
    async with ParserPool(1, deadline=30) as pool:
        feed = await pool.parse(RSS, url=URL, max_items=2, max_field_chars=10)
    assert len(feed.items) == 2
    assert all(len(i.title or "") <= 10 for i in feed.items)


async def test_a_document_over_the_deadline_fails_alone_and_the_worker_is_replaced() -> None:
    slow = slow_rss(30_000)
    async with ParserPool(2, deadline=0.5) as pool:
        outcomes = await asyncio.gather(
            pool.parse(slow, url="https://slow.example.com/"),
            pool.parse(RSS, url=URL),
            pool.parse(RSS, url=URL),
            return_exceptions=True,
        )
        assert isinstance(outcomes[0], ParseError)
        assert "deadline" in outcomes[0].message
        assert outcomes[0].url == "https://slow.example.com/"
        assert all(isinstance(o, ParsedFeed) for o in outcomes[1:])
        # The replacement worker parses the next documents.
        again = await asyncio.gather(*(pool.parse(RSS, url=URL) for _ in range(3)))
        assert all(feed.title == "Pacific Desk" for feed in again)


def markup_heavy(repeats: int) -> bytes:
    """Escaped markup that every stage copies and grows: memory use many times its size."""
    text = b"&amp;lt;b&amp;gt;x " * repeats
    return (
        b'<rss version="2.0"><channel><title>t</title><item><title>x</title>'
        b"<description>" + text + b"</description></item></channel></rss>"
    )


async def test_a_document_over_the_memory_limit_fails_alone() -> None:
    async with ParserPool(1, deadline=30, memory_limit_mb=100) as pool:
        with pytest.raises(ParseError, match="100 MiB parse memory limit"):
            await pool.parse(markup_heavy(400_000), url=URL)
        # The same worker (it caught its MemoryError) or a replacement goes on.
        assert (await pool.parse(RSS, url=URL)).title == "Pacific Desk"


async def test_entity_bomb_and_deep_nesting_fail_or_stay_bounded_within_the_deadline() -> None:
    async with ParserPool(2, deadline=2) as pool:
        outcomes = await asyncio.gather(
            pool.parse(billion_laughs(), url=URL),
            pool.parse(quadratic_blowup(), url=URL),
            pool.parse(deep_nesting(200_000), url=URL),
            pool.parse(RSS, url=URL),
            return_exceptions=True,
        )
    for outcome in outcomes[:3]:
        assert_not_expanded(outcome, 200_000)
    assert isinstance(outcomes[3], ParsedFeed)


async def test_parse_outside_the_context_manager_is_refused() -> None:
    pool = ParserPool(1)
    with pytest.raises(RuntimeError, match="not started"):
        await pool.parse(RSS, url=URL)


class _CountingHandler(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = b'<!ENTITY secret "LEAKED">'
        self.send_response(200)
        self.send_header("Content-Type", "application/xml-dtd")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def dtd_server() -> Iterator[tuple[str, list[str]]]:
    _CountingHandler.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _CountingHandler.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_external_entities_and_dtds_are_never_fetched(dtd_server: tuple[str, list[str]]) -> None:
    base, requests = dtd_server
    documents = [
        # External DTD subset.
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{base}/a.dtd">'
        '<rss version="2.0"><channel><title>t</title><item><title>&secret;</title>'
        "<guid>1</guid></item></channel></rss>",
        # External general entity.
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY ext SYSTEM "{base}/b.xml">]>'
        '<rss version="2.0"><channel><title>t</title><item><title>x &ext;</title>'
        "<guid>1</guid></item></channel></rss>",
        # External parameter entity.
        f'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY % p SYSTEM "{base}/c.dtd"> %p;]>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        "<entry><id>1</id><title>&secret;</title></entry></feed>",
        # Public identifier with a system URL.
        f'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//X//DTD//EN" "{base}/d.dtd">'
        '<rss version="0.91"><channel><title>t</title><item><title>y</title>'
        "<link>https://x.example/</link></item></channel></rss>",
    ]
    for document in documents:
        try:
            feed = parse_document(document.encode(), url=URL)
        except ParseError:
            continue
        for item in feed.items:
            assert "LEAKED" not in (item.title or "")
    assert requests == []


async def test_closing_the_pool_fails_a_document_in_flight_with_parse_error() -> None:
    pool = ParserPool(1, deadline=60)
    await pool.__aenter__()
    in_flight = asyncio.create_task(pool.parse(slow_rss(30_000), url="https://slow.example.com/"))
    await asyncio.sleep(0.5)
    await pool.close()
    with pytest.raises(ParseError, match="parser process died"):
        await in_flight
    with pytest.raises(RuntimeError, match="not started"):
        await pool.parse(RSS, url=URL)


async def test_workers_ignore_a_terminal_interrupt_in_their_own_session() -> None:
    async with ParserPool(1, deadline=30) as pool:
        assert (await pool.parse(RSS, url=URL)).title == "Pacific Desk"
        [pid] = pool.worker_pids
        # Not in our session or process group: a Ctrl-C in the terminal never reaches them.
        assert os.getsid(pid) != os.getsid(0)
        assert os.getpgid(pid) != os.getpgrp()
        # And an interrupt sent to the worker itself changes nothing.
        os.kill(pid, signal.SIGINT)
        await asyncio.sleep(0.2)
        assert (await pool.parse(RSS, url=URL)).title == "Pacific Desk"
        assert pool.worker_pids == (pid,)


async def test_parse_for_store_returns_the_items_as_normalize_writes_them() -> None:
    async with ParserPool(1, deadline=30) as pool:
        parsed, writes = await pool.parse_for_store(RSS, url=URL)
    direct = parse_document(RSS, url=URL)
    assert [i.identity for i in parsed.items] == [i.identity for i in direct.items]
    assert writes == to_item_writes(direct)
