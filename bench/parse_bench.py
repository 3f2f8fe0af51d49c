"""Parse throughput: our parse_document against plain feedparser.parse (defaults), same run.

Run as `.venv/bin/python -m bench.parse_bench [--rounds N] [--workers N]`. Uses the corpus
news feeds (kind `news-real`); skips with a message when the corpus is absent. Prints items/s
for both, the ratio, and the items/s of a ParserPool with N worker processes.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import feedparser

from reader.parse import ParserPool, parse_document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def news_bodies() -> list[tuple[str, bytes]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    rows = [line.split("\t") for line in manifest.read_text(encoding="utf-8").splitlines()]
    return [
        ("http://127.0.0.1/" + row[0], (CORPUS / row[0]).read_bytes())
        for row in rows
        if len(row) == 5 and row[4] == "news-real"
    ]


def items_per_second(
    bodies: list[tuple[str, bytes]], parse: Callable[[str, bytes], int], rounds: int
) -> tuple[float, int]:
    best = float("inf")
    items = 0
    for _ in range(rounds):
        started = time.perf_counter()
        items = sum(parse(url, body) for url, body in bodies)
        best = min(best, time.perf_counter() - started)
    return items / best, items


def ours(url: str, body: bytes) -> int:
    return len(parse_document(body, url=url).items)


def feedparser_defaults(url: str, body: bytes) -> int:
    return len(feedparser.parse(io.BytesIO(body)).entries)


async def pool_items_per_second(
    bodies: list[tuple[str, bytes]], workers: int, rounds: int
) -> float:
    async with ParserPool(workers, deadline=60) as pool:
        await asyncio.gather(*(pool.parse(body, url=url) for url, body in bodies[:workers]))
        best = float("inf")
        items = 0
        for _ in range(rounds):
            started = time.perf_counter()
            feeds = await asyncio.gather(*(pool.parse(body, url=url) for url, body in bodies))
            best = min(best, time.perf_counter() - started)
            items = sum(len(feed.items) for feed in feeds)
    return items / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="pool workers (default 2)")
    args = parser.parse_args(argv)
    bodies = news_bodies()
    if not bodies:
        print(f"skipped: corpus not found at {CORPUS}")
        return 0
    total_bytes = sum(len(b) for _, b in bodies)
    print(f"{len(bodies)} news feeds, {total_bytes / 1e6:.1f} MB, best of {args.rounds} rounds")
    anchor, anchor_items = items_per_second(bodies, feedparser_defaults, args.rounds)
    print(f"feedparser.parse (defaults, anchor): {anchor:8.0f} items/s  ({anchor_items} items)")
    mine, my_items = items_per_second(bodies, ours, args.rounds)
    print(f"parse_document (one process):        {mine:8.0f} items/s  ({my_items} items)")
    print(f"ratio parse_document / feedparser:   {mine / anchor:8.2f}x")
    pooled = asyncio.run(pool_items_per_second(bodies, args.workers, args.rounds))
    print(f"ParserPool ({args.workers} workers):               {pooled:8.0f} items/s")
    print(f"ratio pool / feedparser:             {pooled / anchor:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
