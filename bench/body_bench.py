"""Opening an item in the terminal reader: its body, from the stored sanitized HTML to the styled
`Text` the reading pane draws, timed over every corpus item that has HTML.

    .venv/bin/python -m bench.body_bench [--rounds 3] [--reader-src DIR]

`--reader-src DIR` also times another checkout in the same run (a child process with DIR first
on the path), for a before/after: a checkout from before the block walk (`reader.core.item_body`)
is timed through its own `reader.tui.render.html_to_text`. Prints the mean and the slowest body.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PROJECT = Path(__file__).resolve().parent.parent


def corpus_bodies() -> list[str]:
    """The sanitized HTML of every corpus item that has some (as the store keeps it)."""
    from reader.parse import parse_document

    bodies = []
    for path in sorted((CORPUS / "feeds").rglob("*")):
        if path.is_file():
            try:
                parsed = parse_document(path.read_bytes(), url="https://corpus.example/f")
            except Exception:  # not a feed: the parse tests' business
                continue
            bodies += [item.content_html for item in parsed.items if item.content_html]
    return bodies


def show_function() -> Callable[[str], object]:
    """HTML to the reading pane's `Text`, as this checkout does it."""
    try:
        from reader.core import item_body
    except ImportError:
        from reader.tui.render import html_to_text  # type: ignore[attr-defined]

        return html_to_text  # type: ignore[no-any-return]
    from reader.models import Item
    from reader.tui.render import body_text

    def show(html: str) -> object:
        item = Item(id=1, source_id=1, source="s", identity="i", content_html=html)
        return body_text(item_body(item))

    return show


def measure(rounds: int) -> dict[str, float]:
    bodies = corpus_bodies()
    show = show_function()
    means, slowest = [], 0.0
    for _round in range(rounds):
        times = []
        for html in bodies:
            started = time.perf_counter()
            show(html)
            times.append(time.perf_counter() - started)
        means.append(statistics.fmean(times))
        slowest = max(times) if not slowest else min(slowest, max(times))
    largest = max(len(html) for html in bodies)
    return {
        "bodies": len(bodies),
        "mean_ms": min(means) * 1e3,
        "slowest_ms": slowest * 1e3,
        "largest_chars": largest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds")
    parser.add_argument("--reader-src", type=Path, help="another checkout to time as well")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        json.dump(measure(args.rounds), sys.stdout)
        return
    if not (CORPUS / "feeds").is_dir():
        raise SystemExit(f"no corpus at {CORPUS}")
    checkouts = [PROJECT] + ([args.reader_src.resolve()] if args.reader_src else [])
    for checkout in checkouts:
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        command = [sys.executable, str(Path(__file__).resolve()), "--child"]
        output = subprocess.run(
            [*command, "--rounds", str(args.rounds)],
            env=env,
            cwd=checkout,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        figures = json.loads(output)
        print(
            f"{checkout}: {figures['bodies']} bodies, mean {figures['mean_ms']:.2f} ms, "
            f"slowest {figures['slowest_ms']:.1f} ms (largest body {figures['largest_chars']:,} "
            "chars)"
        )


if __name__ == "__main__":
    main()
