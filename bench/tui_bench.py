"""How the terminal reader copes with a large store (100,000 items by default).

Prints: time from start to the first full screen, time per cursor move over 1,000 rows,
time from submitting a search to its results on screen, and peak RSS. The anchor, measured
in the same run, is the store work alone for the first screen (views with counts, the view's
size and its first page), so the ratio shows what the UI adds on top of the database.

    .venv/bin/python -m bench.tui_bench [--items 100000] [--db PATH]

The store is generated once (in a child process, so its memory does not count) and kept
at --db for the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reader.config import Settings
from reader.core import make_reader
from reader.models import ItemWrite
from reader.store import open_store

FEEDS = 50
WORDS = [
    "NATO",
    "Japan",
    "China",
    "Pacific",
    "alliance",
    "summit",
    "Tokyo",
    "Beijing",
    "Seoul",
    "Canberra",
    "AUKUS",
    "defence",
    "security",
    "navy",
    "exercise",
    "drills",
    "partnership",
    "office",
    "liaison",
    "Taiwan",
    "strait",
    "Philippines",
    "minister",
    "statement",
    "talks",
    "cooperation",
    "deterrence",
    "region",
    "expansion",
    "warns",
    "response",
]
RARE = [
    "Vilnius",
    "Madrid",
    "Hiroshima",
    "Okinawa",
    "Kishida",
    "Stoltenberg",
    "Rutte",
    "Marcos",
    "Albanese",
    "Yoon",
    "Wellington",
    "Yokosuka",
    "Guam",
    "Darwin",
    "Subic",
    "Busan",
]
"""Words each in about 1 of 200 items, for a search with a realistic number of hits."""
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def generate(path: Path, count: int) -> None:
    """Fill a store with `count` items over `FEEDS` feeds (half of them scored)."""
    rng = random.Random(7)
    per_feed = count // FEEDS
    with open_store(path) as store:
        for feed_number in range(FEEDS):
            feed = store.add_feed(
                f"https://feed{feed_number}.example/rss", title=f"Feed {feed_number}"
            )
            items = []
            for n in range(per_feed):
                words = " ".join(rng.choice(WORDS) for _ in range(60))
                if rng.random() < len(RARE) / 200:
                    words += " " + rng.choice(RARE)
                title = " ".join(rng.choice(WORDS) for _ in range(8))
                items.append(
                    ItemWrite(
                        identity=f"{feed_number}-{n}",
                        title=title.capitalize(),
                        link=f"https://feed{feed_number}.example/{n}",
                        author="Desk",
                        published=NOW - timedelta(minutes=rng.randrange(0, 60 * 24 * 365)),
                        updated=None,
                        content_html=f"<p>{words}</p>",
                        text=words,
                        content_hash=str(n),
                        score=rng.random() if n % 2 else None,
                    )
                )
            store.write_items(feed.id, items, now=NOW)


def store_anchor(path: Path) -> float:
    """Seconds of store work behind the first screen, without any UI."""
    from reader.tui.pages import count_view, fetch_page
    from reader.tui.views import build_views

    with make_reader(path, settings=Settings()) as reader:
        started = time.perf_counter()
        views = build_views(reader)
        count_view(reader, views[0])
        fetch_page(reader, views[0], 0)
        return time.perf_counter() - started


async def measure_app(path: Path, moves: int, query: str) -> dict[str, float]:
    from textual import events

    from reader.tui import ReaderApp
    from reader.tui.screens.main import MainScreen
    from reader.tui.widgets.item_list import ItemList

    figures: dict[str, float] = {}
    with make_reader(path, settings=Settings()) as reader:
        started = time.perf_counter()
        app = ReaderApp(reader, clock=lambda: NOW)
        async with app.run_test(size=(120, 36)) as pilot:
            while True:
                screen = app.screen
                if isinstance(screen, MainScreen):
                    items = screen.query_one(ItemList)
                    if items.current_item is not None and screen.nav.views:
                        break
                await asyncio.sleep(0.002)
            for y in range(items.scrollable_content_region.height):  # the first frame
                items.render_line(y)
            figures["first_screen_s"] = time.perf_counter() - started
            figures["items"] = items.total

            # Latency of one move in our code: the key's action, then drawing the rows on
            # screen (cached rows are cheap); the pilot's own idle waits are left out.
            height = items.scrollable_content_region.height
            worst = total = 0.0
            for _ in range(moves):
                started = time.perf_counter()
                items.action_cursor_down()
                for y in range(height):
                    items.render_line(y)
                spent = time.perf_counter() - started
                total += spent
                worst = max(worst, spent)
                await asyncio.sleep(0)  # let page loads and messages through
            figures["move_ms"] = total / moves * 1000
            figures["move_worst_ms"] = worst * 1000
            assert items.cursor == moves, items.cursor
            # Throughput through the whole event loop: `moves` key presses sent at once
            # (a held-down key), until the cursor is there and its row is loaded.
            driver = app._driver
            assert driver is not None
            started = time.perf_counter()
            for _ in range(moves):
                driver.send_message(events.Key("j", "j"))
            while items.cursor != 2 * moves or items.current_item is None:
                await asyncio.sleep(0.001)
            await pilot.pause()
            figures["held_key_ms"] = (time.perf_counter() - started) / moves * 1000

            await pilot.press("slash")
            await pilot.pause()
            await pilot.press(*query)
            started = time.perf_counter()
            driver.send_message(events.Key("enter", "\r"))
            while not (
                items.view is not None
                and items.view.key == "search"
                and items.current_item is not None
            ):
                await asyncio.sleep(0.001)
            for y in range(height):  # the frame that shows the results
                items.render_line(y)
            figures["search_ms"] = (time.perf_counter() - started) * 1000
            figures["search_results"] = items.total
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=1000)
    parser.add_argument("--query", default="vilnius")
    parser.add_argument("--common-query", default="aukus", help="a word in nearly every item")
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "tui_bench.db")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.generate_only:
        generate(args.db, args.items)
        return
    have = 0
    if args.db.exists():
        with open_store(args.db) as store:
            have = store.count_items()
    if have != args.items - args.items % FEEDS:
        args.db.unlink(missing_ok=True)
        print(f"generating {args.items:,} items in {args.db} ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.tui_bench",
                "--generate-only",
                "--db",
                str(args.db),
                "--items",
                str(args.items),
            ],
            check=True,
        )

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import reader.cli.main, reader.tui"], check=True)
    import_s = time.perf_counter() - started  # a fresh interpreter loading the CLI and Textual
    anchor = store_anchor(args.db)
    with open_store(args.db) as store:
        started = time.perf_counter()
        common_hits = len(store.search(args.common_query, limit=500))
        common_ms = (time.perf_counter() - started) * 1000
    figures = asyncio.run(measure_app(args.db, args.moves, args.query))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"items in store:             {int(figures['items']):,}")
    print(f"first full screen:          {figures['first_screen_s']:.3f} s   (aim < 1 s)")
    print(
        f"  + interpreter start and imports: {import_s:.3f} s -> from the shell "
        f"{import_s + figures['first_screen_s']:.3f} s"
    )
    print(
        f"  store work alone (anchor): {anchor:.3f} s   "
        f"ratio UI/anchor {figures['first_screen_s'] / anchor:.1f}x"
    )
    print(
        f"cursor move ({args.moves} rows):   {figures['move_ms']:.2f} ms each, "
        f"worst {figures['move_worst_ms']:.1f} ms (aim < 50 ms)"
    )
    print(f"  held-down key, whole loop: {figures['held_key_ms']:.2f} ms per row")
    print(
        f"search {args.query!r} to results: {figures['search_ms']:.0f} ms "
        f"({int(figures['search_results'])} results; aim < 200 ms)"
    )
    print(
        f"  store.search({args.common_query!r}) alone, a word in nearly every item: "
        f"{common_ms:.0f} ms ({common_hits} results)"
    )
    print(f"peak RSS:                   {peak_mb:.0f} MB (aim < 200 MB)")


if __name__ == "__main__":
    main()
