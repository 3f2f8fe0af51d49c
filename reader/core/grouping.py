"""Stories grouped while an update stores items, rather than all after it.

A first update of many feeds stores thousands of items; grouping them all once the last feed
was stored made the command wait for it (on 300 feeds x 50 items, a fifth of its time) while
the fetch and the parser workers had long finished. `GroupAlong` groups the story queue in
full batches (`GROUP_BATCH`, as `refresh_topic` takes them, in date order) as items are
committed: in a process of its own (`python -m reader.core.grouping DAYS`, on its own
connection to the store) when the store's location is known, so grouping does not share the
updating process's interpreter lock with the fetch and the store writes; else on a thread.
The refresh after the update groups what is left, scores, and does everything else it does.
Only the story queue is worked here: the profile, its term statistics and the scores are
`refresh_topic`'s, after the update, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reader.exceptions import StorageError
from reader.store.base import Store
from reader.topic.refresh import GROUP_BATCH, REGROUP_KEY, STORIES_LOCK, decide_batch
from reader.topic.stories import LEAD_CHARS

log = logging.getLogger("reader.update")

FINISH_WAIT = 60.0
"""Seconds the grouping process gets to finish its batches once the update is done."""

_LOCATION_VARIABLE = "READER_GROUPING_DB"
"""How the grouping process is told its database (a PostgreSQL URL may hold a password)."""

# The directory holding the `reader` package, so the process imports this same code.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def group_full_batches(store: Store, story_days: int) -> int:
    """Group the story queue while a full batch waits in it; how many items were grouped.

    Nothing is done while a full regroup is due (`refresh_topic` walks it first, and places
    the queued items as it goes), nor while another process groups (`STORIES_LOCK`)."""
    with store.exclusive(STORIES_LOCK) as mine:
        # One process groups at a time (a daemon's refresh may be at it): two would place
        # the same queued items twice.
        return _group_full_batches(store, story_days) if mine else 0


def _group_full_batches(store: Store, story_days: int) -> int:
    grouped = 0
    if store.get_meta(REGROUP_KEY) is not None:
        return grouped
    while store.count_ungrouped() >= GROUP_BATCH:
        leads = store.ungrouped_leads(limit=GROUP_BATCH, max_chars=LEAD_CHARS)
        store.apply_story_changes(decide_batch(store, story_days, leads))
        grouped += len(leads)
    return grouped


class GroupAlong:
    """Groups full batches of the story queue as an update stores items.

    `stored(n)` is told of each feed's new items (on the event loop); once a batch's worth
    arrived since the last pass, a pass starts unless one runs. `finish()` lets the last pass
    end. With `location`, passes run in a grouping process started with the first one;
    without, on a thread. A failure (the process does not start or dies, the store fails)
    only ends the grouping along: the refresh after the update groups what is left."""

    def __init__(self, store: Store, story_days: int, location: str | None = None) -> None:
        self._store = store
        self._story_days = story_days
        self._location = location if location and location != ":memory:" else None
        self._thread: ThreadPoolExecutor | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._starting: asyncio.Future[asyncio.subprocess.Process] | None = None
        self._running: asyncio.Future[object] | None = None
        self._arrived = 0
        self._failed = False
        self._finishing = False

    def start_early(self) -> None:
        """Start the grouping process now, when items will surely come (a first update):
        its interpreter start and imports then overlap the fetch instead of delaying the
        first pass, and with it every later one. Without a location, nothing to start."""
        if self._location is not None and self._starting is None and self._process is None:
            self._starting = asyncio.ensure_future(_start(self._location, self._story_days))

    def stored(self, new_items: int) -> None:
        """`new_items` more items were committed."""
        self._arrived += new_items
        if self._failed or self._finishing or self._arrived < GROUP_BATCH:
            return
        if self._running is not None and not self._running.done():
            return
        self._arrived = 0
        running: asyncio.Future[object]
        if self._location is not None:
            running = asyncio.ensure_future(self._pass_in_process())
        else:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(1, thread_name_prefix="reader-group")
            running = asyncio.get_running_loop().run_in_executor(
                self._thread, group_full_batches, self._store, self._story_days
            )
        running.add_done_callback(self._done)
        self._running = running

    def _done(self, future: asyncio.Future[object]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            if self._arrived >= GROUP_BATCH:  # more arrived meanwhile
                self.stored(0)
            return
        self._failed = True
        if not isinstance(exc, StorageError | OSError | EOFError):
            log.error("grouping stories during the update failed", exc_info=exc)

    async def _pass_in_process(self) -> object:
        process = self._process
        if process is None:
            assert self._location is not None
            self.start_early()
            assert self._starting is not None
            process = self._process = await self._starting
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b"group\n")
        await process.stdin.drain()
        answer = await process.stdout.readline()
        if not answer.strip().isdigit():
            raise EOFError("the grouping process ended")
        return int(answer)

    async def finish(self) -> None:
        """Let the pass running end, and a last one if a batch arrived meanwhile; stop the
        process and release the thread."""
        self._finishing = True
        running = self._running
        if running is not None:
            await asyncio.wait({running})
            if self._arrived >= GROUP_BATCH and not self._failed and self._process is not None:
                with contextlib.suppress(OSError, EOFError, StorageError):
                    await self._pass_in_process()
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        process, self._process = self._process, None
        if process is None and self._starting is not None:  # started early, never used
            with contextlib.suppress(OSError):
                process = await self._starting
        if process is not None:
            await _stop(process)

    def kill(self) -> None:
        """Stop the grouping process at once (the update was cancelled or failed). A batch it
        was writing is rolled back by the store; its items wait in the queue."""
        self._finishing = True
        if self._process is not None:
            _kill(self._process)
        elif self._starting is not None:  # started early: killed once it is there
            self._starting.add_done_callback(_kill_started)


async def _start(location: str, story_days: int) -> asyncio.subprocess.Process:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    env[_LOCATION_VARIABLE] = location  # not argv, which any user can read
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "reader.core.grouping",
        str(story_days),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        # Nothing it prints may reach a terminal the reader's UI is drawing on; its own
        # session, so a Ctrl-C goes to the reader alone, which stops it.
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Close its input (it exits after the pass it is in) and wait; kill it if it lingers."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), FINISH_WAIT)
    except TimeoutError:  # what it did not commit waits in the queue for the refresh
        _kill(process)
        await process.wait()
    except BaseException:
        _kill(process)
        raise


def _kill_started(starting: asyncio.Future[asyncio.subprocess.Process]) -> None:
    if not starting.cancelled() and starting.exception() is None:
        _kill(starting.result())


def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()


def serve(location: str, story_days: int) -> None:
    """The grouping process: for each ``group`` line on stdin, group the full batches
    waiting and answer how many items it grouped; exit at the end of stdin."""
    from reader.store import open_store

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the updating process stops it
    with open_store(location) as store:
        for line in sys.stdin:
            if line.strip() != "group":
                continue
            try:
                grouped = group_full_batches(store, story_days)
            except StorageError:
                return
            print(grouped, flush=True)


if __name__ == "__main__":
    serve(os.environ[_LOCATION_VARIABLE], int(sys.argv[1]))
    # The update waits for this exit: the store is closed and every answer flushed, so the
    # interpreter's teardown (freeing what the grouping held) would only add to that wait.
    os._exit(0)
