"""A loopback feed farm for benchmarks: N feeds x K realistic news items over 127.0.0.x.

Feeds are spread round-robin over `--hosts` loopback addresses (eight by default), so per-host
limits are met as users meet them (many feeds, a few hosts). Every response waits `latency` ms
first. Feeds carry an ETag and Last-Modified and answer 304 to a matching conditional request;
gzip is served when asked for. `GET /stats` returns request counts by status (JSON);
`/stats?feeds=1` adds the requests per feed index (to count duplicate fetches);
`/stats?reset=1` zeroes them.

With ``--articles`` every item carries a one-sentence summary and links to its article page on
the same loopback host (``/article/FEED/ITEM.html``: a news page with navigation, the article's
paragraphs, a related-links box, comments and a footer), for full-article benchmarks.

Run: ``python -m bench.farm --feeds 500 --items 50 --latency 50 --urls-file urls.txt``. It
prints ``ready`` once listening and stops by itself after `--lifetime` seconds or when its
standard input closes (its parent died).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import json
import random
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

HOSTS = tuple(f"127.0.0.{n}" for n in range(1, 9))


def loopback_hosts(count: int) -> tuple[str, ...]:
    """The first `count` loopback addresses from 127.0.0.1."""
    return tuple(f"127.0.0.{n}" for n in range(1, count + 1))


_VOCABULARY = (
    "NATO alliance Japan China Beijing Tokyo Indo-Pacific partnership security defence summit"
    " minister foreign policy Taiwan Strait Korea Philippines Australia exercise navy maritime"
    " cooperation talks statement officials said on Tuesday the a of in and to with for that"
    " regional tensions economic trade sanctions deterrence military drills agreement secretary"
    " general spokesperson warned response criticised welcomed announced visit delegation"
    " interoperability capabilities cyber space supply chains infrastructure investment council"
)
_WORDS = tuple(_VOCABULARY.split())


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(12, 26))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))


def article_page(index: int, n: int) -> bytes:
    """Item `n` of feed `index` as a news web page: the article among page furniture."""
    rng = random.Random(index * 100_003 + n)
    title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 12))).capitalize()
    paragraphs = "".join(f"<p>{_paragraph(rng)}</p>" for _ in range(rng.randint(6, 10)))
    related = "".join(
        f'<li><a href="/article/{index}/{k}.html">Related story {k}</a></li>' for k in range(8)
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)} | Farm News</title>"
        "<script>window.dataLayer = [];</script><style>body{font-family:serif}</style></head>"
        "<body><header><a href='/'>Farm News</a><nav><ul><li><a href='/world'>World</a></li>"
        "<li><a href='/business'>Business</a></li><li><a href='/sport'>Sport</a></li>"
        "<li><a href='/subscribe'>Subscribe</a></li></ul></nav></header>"
        "<div class='cookies'>We use cookies. Accept all?</div>"
        f"<main><article><h1>{escape(title)}</h1><p class='byline'>By Reporter"
        f" {rng.randint(1, 40)}</p>{paragraphs}</article></main>"
        f"<aside><h2>Most read</h2><ul>{related}</ul></aside>"
        "<section class='comments'><h2>Comments</h2><p>First!</p></section>"
        "<footer>Farm News. All rights reserved. Privacy. Terms.</footer></body></html>"
    ).encode()


def feed_document(index: int, items: int, base: str, article_base: str | None = None) -> bytes:
    """RSS 2.0 with `items` news-sized items (about 1.5 KB each), the same on every call; with
    `article_base`, one-sentence summaries linking to article pages there."""
    rng = random.Random(index)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    entries = []
    for n in range(items):
        title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 12))).capitalize()
        body = "".join(f"<p>{_paragraph(rng)}</p>" for _ in range(rng.randint(2, 3)))
        when = start - timedelta(minutes=37 * n + index)
        link = f"https://news.example/{index}/{n}"
        if article_base is not None:
            link = f"{article_base}/article/{index}/{n}.html"
            body = f"<p>{_sentence(rng)}</p>"
        entries.append(
            "<item>"
            f"<title>{escape(title)}</title>"
            f"<link>{link}</link>"
            f'<guid isPermaLink="false">farm-{index}-{n}</guid>'
            f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>"
            f"<dc:creator>Reporter {rng.randint(1, 40)}</dc:creator>"
            f"<category>{rng.choice(_WORDS)}</category><category>World</category>"
            f"<description>{escape(body)}</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Farm feed {index}</title><link>{base}</link>"
        f"<description>Feed {index} of the benchmark farm</description>"
        "<language>en</language>" + "".join(entries) + "</channel></rss>"
    ).encode()


class Farm:
    """The feeds, their cached bodies, and request counts."""

    def __init__(
        self, feeds: int, items: int, latency: float, ports: dict[str, int] | None = None
    ) -> None:
        self.feeds = feeds
        self.items = items
        self.latency = latency
        self.ports = ports
        """With ports (per loopback address), items link to article pages on the farm."""
        self.stats: Counter[str] = Counter()
        self.per_feed: Counter[int] = Counter()
        self._cache: dict[int, tuple[bytes, bytes, str]] = {}
        self.last_modified = format_datetime(datetime(2026, 11, 1, tzinfo=UTC), usegmt=True)

    def body(self, index: int) -> tuple[bytes, bytes, str]:
        """(plain body, gzip body, ETag) of feed `index`, made once."""
        if index not in self._cache:
            article_base = None
            if self.ports is not None:
                hosts = list(self.ports)  # as `feed_urls` spreads the feeds
                host = hosts[index % len(hosts)]
                article_base = f"http://{host}:{self.ports[host]}"
            plain = feed_document(index, self.items, f"https://news.example/{index}/", article_base)
            etag = '"' + hashlib.sha1(plain).hexdigest()[:20] + '"'
            self._cache[index] = (plain, gzip.compress(plain, 5, mtime=0), etag)
        return self._cache[index]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                target = lines[0].split(" ")[1]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                status, reply_headers, body = self.respond(target, headers)
                if self.latency and not target.startswith("/stats"):
                    await asyncio.sleep(self.latency)
                reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
                out = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
                out += [f"{k}: {v}" for k, v in reply_headers.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    def respond(self, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        path, _, query = target.partition("?")
        if path == "/stats":
            counts: dict[str, object] = dict(self.stats)
            if "feeds=1" in query:
                counts["feeds"] = {str(k): v for k, v in self.per_feed.items()}
            document = json.dumps(counts).encode()
            if "reset=1" in query:
                self.stats.clear()
                self.per_feed.clear()
            return 200, {"Content-Type": "application/json"}, document
        if path.startswith("/article/") and self.ports is not None:
            parts = path.removesuffix(".html").split("/")
            if len(parts) == 4 and parts[2].isdigit() and parts[3].isdigit():
                self.stats["article"] += 1
                page = article_page(int(parts[2]), int(parts[3]))
                return 200, {"Content-Type": "text/html; charset=utf-8"}, page
        name = path.rsplit("/", 1)[-1].removesuffix(".xml")
        if not path.startswith("/feed/") or not name.isdigit() or int(name) >= self.feeds:
            self.stats["404"] += 1
            return 404, {}, b""
        plain, zipped, etag = self.body(int(name))
        self.per_feed[int(name)] += 1
        validators = {"ETag": etag, "Last-Modified": self.last_modified}
        if headers.get("if-none-match") == etag or (
            "if-none-match" not in headers
            and headers.get("if-modified-since") == self.last_modified
        ):
            self.stats["304"] += 1
            return 304, validators, b""
        self.stats["200"] += 1
        reply = {"Content-Type": "application/rss+xml; charset=utf-8", **validators}
        if "gzip" in headers.get("accept-encoding", ""):
            reply["Content-Encoding"] = "gzip"
            return 200, reply, zipped
        return 200, reply, plain


def feed_urls(ports: dict[str, int], feeds: int) -> list[str]:
    """Feed i lives on loopback address i mod the number of hosts."""
    hosts = list(ports)
    return [
        f"http://{hosts[i % len(hosts)]}:{ports[hosts[i % len(hosts)]]}/feed/{i}.xml"
        for i in range(feeds)
    ]


async def serve(args: argparse.Namespace) -> None:
    ports: dict[str, int] = {}
    farm = Farm(args.feeds, args.items, args.latency / 1000, ports if args.articles else None)
    servers = []
    for host in loopback_hosts(args.hosts):
        server = await asyncio.start_server(farm.handle, host, 0, backlog=1024)
        ports[host] = server.sockets[0].getsockname()[1]
        servers.append(server)
    for index in range(args.feeds):  # bodies made before timing starts (links need the ports)
        farm.body(index)
    Path(args.urls_file).write_text("\n".join(feed_urls(ports, args.feeds)) + "\n")
    print("ready " + ",".join(f"{h}:{p}" for h, p in ports.items()), flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.buffer.read)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stdin_closed, timeout=args.lifetime)
    for server in servers:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=len(HOSTS), help="loopback addresses")
    parser.add_argument("--latency", type=float, default=50.0, help="ms before each response")
    parser.add_argument("--urls-file", required=True, help="where to write the feed URLs")
    parser.add_argument("--lifetime", type=float, default=900.0, help="stop after this many s")
    parser.add_argument(
        "--articles", action="store_true", help="summaries linking to article pages"
    )
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
