"""Faults as users meet them: a full disk, a stop signal mid-job, a huge seed and a huge body.

Each mode runs whole `reader` commands as processes and prints figures; none asserts (the
tests in tests/test_faults*.py make each fault happen and check the behaviour).
`--reader-src DIR` runs another checkout's `reader` instead of this one, for a before/after
figure on the same machine (`git archive COMMIT | tar -x -C DIR`).

- ``disk-full``: a small tmpfs (root only) holds the database; `--feeds` loopback feeds are
  subscribed, the filesystem is filled but for `--headroom-kib`, and ``reader fetch --all``
  runs. Prints the lines it printed, its exit status, whether its summary came, the items it
  kept and the database's integrity once there is room again.
- ``stop``: a store of `--items` items; ``reader daemon`` gets SIGTERM in each state (idle,
  fetching, a first update's writes, topic refresh, retention) and the time from the signal
  to the process's exit is printed, with what the job kept.
- ``search``: `--items` ordinary items and one with a `--body-mib` body; prints the time of
  ``reader search`` for a word the big body holds (and for one only the others hold).
- ``seed``: ``reader seeds import`` of a folder holding one `--seed-mib` file beside a normal
  seed; prints its time, its peak memory and what it said.

Run: .venv/bin/python -m bench.fault_bench MODE [options]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from tests.filesystem import CannotMount, fill, small_tmpfs
from tests.loopback_server import LoopbackServer

PROJECT = Path(__file__).resolve().parents[1]
BIG_STORE = PROJECT / "tests" / "big_store.py"

_WORDS = (
    "alliance",
    "summit",
    "defence",
    "ministers",
    "eastern",
    "flank",
    "budget",
    "pledge",
    "security",
    "council",
    "talks",
    "treaty",
    "troops",
    "border",
    "capital",
    "leaders",
)


# -- running a checkout's `reader` ------------------------------------------------------------


def reader_env(src: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("READER_")}
    env["PYTHONPATH"] = str(src)
    env.update(extra)
    return env


def reader_command(db: Path, config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "reader", "--db", str(db), "--config", str(config), *args]


@dataclass
class Finished:
    """A command that ran to its end."""

    code: int
    seconds: float
    stdout: str
    stderr: str
    peak_rss_mib: float

    @property
    def lines(self) -> list[str]:
        return (self.stdout + self.stderr).splitlines()


COMMAND_TIMEOUT = 300.0
"""A command still running after this many seconds is killed (exit status -9)."""


def run_reader(src: Path, db: Path, config: Path, *args: str, **env: str) -> Finished:
    """Run one `reader` command (the checkout at `src`) to its end, or kill it after
    `COMMAND_TIMEOUT`: time, output, peak RSS."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            reader_command(db, config, *args),
            cwd=src,
            env=reader_env(src, **env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        while True:  # wait4, not Popen.wait: it also gives the child's peak memory
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > COMMAND_TIMEOUT:
                process.kill()
            time.sleep(0.02)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Finished(
            process.returncode,
            seconds,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_maxrss / 1024,
        )


def knows(src: Path, key: str) -> bool:
    """Whether the checkout at `src` has a setting `key` (older ones refuse unknown keys)."""
    return key in (src / "reader" / "config.py").read_text(encoding="utf-8")


def write_config(folder: Path, **sections: dict[str, object]) -> Path:
    """A settings file: the given sections, a log file in `folder`, one parse worker."""
    tables: dict[str, dict[str, object]] = {
        "fetch": {"parse_workers": 1, "timeout": 30.0},
        "log": {"file": str(folder / "reader.log")},
    }
    for name, values in sections.items():
        tables.setdefault(name, {}).update(values)
    lines: list[str] = []
    for name, values in tables.items():
        lines.append(f"[{name}]")
        for key, value in values.items():
            if isinstance(value, str):
                lines.append(f'{key} = "{value}"')
            elif isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            else:
                lines.append(f"{key} = {value}")
        lines.append("")
    path = folder / "reader.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- a farm of feeds --------------------------------------------------------------------------


def article(number: int, words: int) -> str:
    return " ".join(_WORDS[(number * 7 + k * 13) % len(_WORDS)] + str(k % 50) for k in range(words))


def rss(index: int, items: int, words: int) -> bytes:
    entries = "".join(
        f"<item><guid>urn:bench:{index}-{number}</guid>"
        f"<title>Feed {index} report {number}</title>"
        f"<link>https://example.org/{index}/{number}</link>"
        f"<description>{escape(article(index * 1000 + number, words))}</description></item>"
        for number in range(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {index}</title><link>https://example.org/{index}</link>{entries}"
        "</channel></rss>"
    ).encode()


def quiet(server: LoopbackServer) -> LoopbackServer:
    """Connections a stopped update drops are expected here, not worth a traceback."""
    server._httpd.handle_error = lambda *_: None  # type: ignore[method-assign]
    return server


def write_opml(path: Path, urls: list[str]) -> Path:
    outlines = "".join(
        f'<outline type="rss" text="f{i}" xmlUrl="{u}"/>' for i, u in enumerate(urls)
    )
    path.write_text(
        f'<?xml version="1.0"?><opml version="2.0"><head/><body>{outlines}</body></opml>',
        encoding="utf-8",
    )
    return path


def subscribe(src: Path, db: Path, config: Path, urls: list[str], folder: Path) -> None:
    added = run_reader(src, db, config, "opml", "import", str(write_opml(folder / "f.opml", urls)))
    if added.code != 0:
        raise SystemExit(f"opml import failed: {added.stderr}")


# -- a filesystem that fills up ---------------------------------------------------------------


def integrity(db: Path) -> tuple[str, str, int]:
    """SQLite's integrity check, the full-text index's, and the item count."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        structure = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        try:
            conn.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")
            index = "ok"
        except sqlite3.Error as exc:
            index = str(exc)
        items = int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
    return structure, index, items


def disk_full(args: argparse.Namespace) -> None:
    try:
        _disk_full(args)
    except CannotMount as exc:
        raise SystemExit(f"disk-full: {exc}") from None


def _disk_full(args: argparse.Namespace) -> None:
    src = Path(args.reader_src).resolve()
    print(
        f"disk-full: {args.feeds} feeds x {args.items} items, tmpfs {args.size_mib} MiB,"
        f" {args.headroom_kib} KiB left free; reader from {src}"
    )
    with (
        quiet(LoopbackServer()) as server,
        small_tmpfs(args.size_mib) as fs,
        tempfile.TemporaryDirectory() as work,
    ):
        urls = [server.feed(f"f{i}.xml", rss(i, args.items, args.words)) for i in range(args.feeds)]
        folder = Path(work)
        config = write_config(folder)
        db = fs / "reader.db"
        subscribe(src, db, config, urls, folder)
        filler = fill(fs, leave=args.headroom_kib * 1024)
        fetched = run_reader(src, db, config, "fetch", "--all", READER_FETCH_ALLOW=server.authority)
        lines = fetched.lines
        tracebacks = sum(line.startswith("Traceback") for line in lines)
        summary = [line for line in fetched.stdout.splitlines() if line.startswith("checked ")]
        filler.unlink()
        structure, index, items = integrity(db)
        print(f"  reader fetch --all: exit {fetched.code} in {fetched.seconds:.1f} s")
        print(f"  lines printed: {len(lines)} ({tracebacks} tracebacks)")
        print(f"  summary printed: {'yes: ' + summary[0] if summary else 'no'}")
        print(f"  items kept: {items}; integrity: {structure}; full-text index: {index}")
        print("  last lines:")
        for line in lines[-args.show :]:
            print(f"    {line[:200]}")


# -- stopping the daemon ----------------------------------------------------------------------


def build_store(src: Path, path: Path, items: int, feeds: int) -> float:
    """A big store made by the checkout at `src` (its own schema); seconds taken."""
    script = (
        "import importlib.util, sys\n"
        "from pathlib import Path\n"
        f"spec = importlib.util.spec_from_file_location('big_store', {str(BIG_STORE)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        f"module.build_big_store(Path({str(path)!r}), items={items}, feeds={feeds},"
        f" seeds_dir=Path({str(PROJECT / 'seeds')!r}))\n"
        "import sqlite3\n"
        f"conn = sqlite3.connect({str(path)!r})\n"
        "conn.execute('UPDATE sources SET enabled = 0')  # nothing due unless a state adds feeds\n"
        "conn.commit()\n"
    )
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", script], cwd=src, env=reader_env(src), check=True)
    return time.monotonic() - started


class Daemon:
    """`reader daemon` (DEBUG logs to a file) and the wait for a line in its log."""

    def __init__(self, src: Path, db: Path, config: Path, **env: str) -> None:
        self.log = db.parent / "daemon.stderr"
        with self.log.open("wb") as stderr:
            self.process = subprocess.Popen(
                reader_command(db, config, "daemon", "--log-level", "DEBUG"),
                cwd=src,
                env=reader_env(src, **env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                raise SystemExit(f"the daemon exited before {what}:\n{self.text()[-2000:]}")
            if time.monotonic() > deadline:
                self.process.kill()
                raise SystemExit(f"timed out waiting for {what}")
            time.sleep(0.02)

    def stop(self, timeout: float = 120.0) -> tuple[int, float]:
        """SIGTERM; the exit status and the seconds from the signal to the exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return -9, time.monotonic() - started
        return code, time.monotonic() - started


@dataclass
class StopState:
    """One state the daemon is stopped in."""

    name: str
    config: dict[str, dict[str, object]]
    farm: Callable[[LoopbackServer], list[str]] | None
    """Feeds to serve and subscribe (None: the store's own, all disabled)."""
    ready: Callable[[Daemon, Path, LoopbackServer], bool]
    """True once the daemon is in the state (it gets SIGTERM `settle` seconds later)."""
    settle: float
    kept: Callable[[Path], str]
    """What the stopped job left, in words."""


def _count(db: Path, sql: str) -> int:
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        try:
            return int(conn.execute(sql).fetchone()[0])
        except sqlite3.OperationalError as exc:  # an older checkout's schema
            if "no such column" in str(exc):
                return -1
            raise


GROUPED = "SELECT count(*) FROM items WHERE grouped = 1"
"""Items the story grouping has taken (topic engine v2's queue; -1 before it)."""


def _logged(text: str) -> Callable[[Daemon, Path, LoopbackServer], bool]:
    return lambda daemon, _db, _server: text in daemon.text()


def stop_states(args: argparse.Namespace, base_items: int) -> list[StopState]:
    off = {"topic": {"refresh_every": 0}, "retention": {"days": 0}}
    fast = {"schedule": {"dispatch_every": 1, "batch_size": 1000}}
    items_now = "SELECT count(*) FROM items WHERE identity LIKE 'urn:bench:%'"

    def slow_farm(server: LoopbackServer) -> list[str]:
        body = rss(0, 5, 20)
        return [server.drip(f"s{i}.xml", body, interval=10.0 / len(body)) for i in range(200)]

    def big_farm(server: LoopbackServer) -> list[str]:
        return [server.feed(f"b{i}.xml", rss(i, 200, 120)) for i in range(args.write_feeds)]

    return [
        StopState(
            "idle",
            off,
            None,
            _logged("daemon started"),
            1.0,
            lambda db: "nothing to do",
        ),
        StopState(
            "fetching (slow feeds in flight)",
            {**off, **fast},
            slow_farm,
            lambda _daemon, _db, server: sum(server.hits.values()) >= 4,
            1.0,
            lambda db: f"{_count(db, items_now)} fetched items stored (feeds stay due)",
        ),
        StopState(
            f"writing a first update ({args.write_feeds} feeds x 200 items)",
            {**off, **fast},
            big_farm,
            lambda _daemon, db, _server: _count(db, items_now) > 0,
            0.0,
            lambda db: f"{_count(db, items_now)} items of whole feeds committed",
        ),
        StopState(
            f"topic refresh (scoring {base_items:,} items)",
            {"retention": {"days": 0}, "topic": {"refresh_every": 3600}},
            None,
            _logged('Running job "topic-refresh'),
            3.0,
            lambda db: (
                f"{_count(db, 'SELECT count(*) FROM items WHERE score IS NOT NULL'):,}"
                " items scored and kept"
            ),
        ),
        StopState(
            "topic refresh (grouping stories)",
            {"retention": {"days": 0}, "topic": {"refresh_every": 3600}},
            None,
            lambda _daemon, db, _server: _count(db, GROUPED) > 0,
            1.0,
            lambda db: f"{_count(db, GROUPED):,} items grouped and kept",
        ),
        StopState(
            "retention (pruning in batches)",
            {"topic": {"refresh_every": 0}, "retention": {"days": 30, "keep_per_feed": 10}},
            None,
            _logged('Running job "retention'),
            3.0,
            lambda db: (
                f"{_count(db, 'SELECT count(*) FROM deleted_items'):,} items pruned"
                " (each with its tombstone)"
            ),
        ),
    ]


def stop_in_state(src: Path, base: Path, state: StopState, folder: Path) -> tuple[int, float, str]:
    """A daemon on a copy of `base`, stopped in `state`: exit status, seconds, its log."""
    db = folder / "reader.db"
    shutil.copy(base, db)
    config = write_config(folder, **state.config)
    with quiet(LoopbackServer()) as server:
        if state.farm is not None:
            subscribe(src, db, config, state.farm(server), folder)
        daemon = Daemon(src, db, config, READER_FETCH_ALLOW=server.authority)
        daemon.wait_for(lambda: state.ready(daemon, db, server), f"state {state.name!r}")
        time.sleep(state.settle)
        code, took = daemon.stop()
    return code, took, daemon.text()


def stop(args: argparse.Namespace) -> None:
    src = Path(args.reader_src).resolve()
    with tempfile.TemporaryDirectory(prefix="reader-stop-") as work:
        folder = Path(work)
        base = folder / "base.db"
        seconds = build_store(src, base, args.items, args.feeds)
        base_items = _count(base, "SELECT count(*) FROM items")
        print(
            f"stop: reader daemon on a store of {base_items:,} items ({args.feeds} feeds,"
            f" built in {seconds:.0f} s); SIGTERM in each state, {args.rounds} round(s);"
            f" reader from {src}"
        )
        states = stop_states(args, base_items)
        if _count(base, GROUPED) < 0:
            states = [state for state in states if "grouping" not in state.name]
            print("  (no story queue in this checkout: no grouping state)")
        times: dict[str, list[float]] = {state.name: [] for state in states}
        for round_number in range(args.rounds):
            for state in states:
                run_dir = folder / f"run-{round_number}-{states.index(state)}"
                run_dir.mkdir()
                code, took, log = stop_in_state(src, base, state, run_dir)
                times[state.name].append(took)
                db = run_dir / "reader.db"
                structure, index, _ = integrity(db)
                stopped = [line for line in log.splitlines() if "stopped after" in line]
                print(
                    f"  {state.name}: exit {code} {took:.2f} s after SIGTERM;"
                    f" kept: {state.kept(db)}; integrity {structure}, index {index}"
                    + (f"; {stopped[-1].split(': ', 1)[-1]}" if stopped else "")
                )
                shutil.rmtree(run_dir, ignore_errors=True)
        if args.rounds > 1:
            print("  medians:")
            for name, values in times.items():
                print(f"    {name}: {statistics.median(values):.2f} s (max {max(values):.2f} s)")


# -- a huge body searched; a huge seed imported ----------------------------------------------


def search(args: argparse.Namespace) -> None:
    src = Path(args.reader_src).resolve()
    with tempfile.TemporaryDirectory(prefix="reader-search-") as work:
        folder = Path(work)
        db = folder / "reader.db"
        build_store(src, db, args.items, 50)
        new = knows(src, "max_file_bytes")
        config = write_config(folder, **({"search": {"timeout": args.timeout}} if new else {}))
        seeds = folder / "seeds"
        seeds.mkdir()
        paragraph = "NATO allies met in Brussels to talk about the eastern flank. "
        body = paragraph * (args.body_mib * 1024 * 1024 // len(paragraph))
        (seeds / "huge.txt").write_text(f"A huge seed\n\n{body}\n", encoding="utf-8")
        uncapped = {"seeds": {"max_file_bytes": 2**31 - 1}} if new else {}
        imported = run_reader(
            src, db, write_config(folder, **uncapped), "seeds", "import", str(seeds)
        )
        config = write_config(folder, **({"search": {"timeout": args.timeout}} if new else {}))
        print(
            f"search: {args.items:,} items and one seed of {len(body) / 2**20:.0f} MiB"
            f" (imported in {imported.seconds:.1f} s, exit {imported.code}); reader from {src}"
        )
        for word in ("nato", "w17"):
            found = run_reader(src, db, config, "search", word, "--limit", "20")
            print(
                f"  reader search {word}: exit {found.code} in {found.seconds:.2f} s,"
                f" {sum(1 for line in found.stdout.splitlines() if line[:6].strip().isdigit())}"
                f" hits{'; ' + found.stderr.strip() if found.stderr.strip() else ''}"
            )


def seed(args: argparse.Namespace) -> None:
    src = Path(args.reader_src).resolve()
    with tempfile.TemporaryDirectory(prefix="reader-seed-") as work:
        folder = Path(work)
        seeds = folder / "seeds"
        seeds.mkdir()
        shutil.copy(PROJECT / "seeds" / sorted(os.listdir(PROJECT / "seeds"))[0], seeds)
        paragraph = "NATO allies met in Brussels to talk about the eastern flank. "
        size = args.seed_mib * 1024 * 1024
        (seeds / "dump.txt").write_text(paragraph * (size // len(paragraph)), encoding="utf-8")
        config = write_config(folder)
        imported = run_reader(src, folder / "reader.db", config, "seeds", "import", str(seeds))
        print(f"seed: a {args.seed_mib} MiB seed file beside a normal one; reader from {src}")
        print(
            f"  reader seeds import: exit {imported.code} in {imported.seconds:.1f} s,"
            f" peak memory {imported.peak_rss_mib:.0f} MiB"
        )
        for line in imported.lines:
            print(f"    {line[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reader-src", default=str(PROJECT), help="the checkout whose reader runs")
    modes = parser.add_subparsers(dest="mode", required=True)
    full = modes.add_parser("disk-full", help="reader fetch --all on a full filesystem")
    full.add_argument("--feeds", type=int, default=500)
    full.add_argument("--items", type=int, default=20)
    full.add_argument("--words", type=int, default=200)
    full.add_argument("--size-mib", type=int, default=24)
    full.add_argument("--headroom-kib", type=int, default=1024)
    full.add_argument("--show", type=int, default=6, help="last lines of output to show")
    stopping = modes.add_parser("stop", help="SIGTERM to reader daemon in each state")
    stopping.add_argument("--items", type=int, default=100_000)
    stopping.add_argument("--feeds", type=int, default=200)
    stopping.add_argument("--write-feeds", type=int, default=300)
    stopping.add_argument("--rounds", type=int, default=1)
    searching = modes.add_parser("search", help="reader search over a huge body")
    searching.add_argument("--items", type=int, default=10_000)
    searching.add_argument("--body-mib", type=int, default=50)
    searching.add_argument("--timeout", type=float, default=10.0)
    seeding = modes.add_parser("seed", help="reader seeds import of a huge seed file")
    seeding.add_argument("--seed-mib", type=int, default=50)
    args = parser.parse_args()
    {"disk-full": disk_full, "stop": stop, "search": search, "seed": seed}[args.mode](args)


if __name__ == "__main__":
    main()
