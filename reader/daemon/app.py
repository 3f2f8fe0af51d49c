"""The background fetch daemon: a few APScheduler jobs on one asyncio loop.

Not one job per feed: per-feed timing lives in the store (`Feed.next_check`, written by the
update pipeline through `reader.schedule.next_check`). A dispatcher job wakes every
`schedule.dispatch_every` seconds, takes the feeds whose next check has passed (oldest first,
at most `schedule.batch_size` at a time) and updates them through the `Reader`'s update
session, which the daemon keeps open for its life. APScheduler never starts a second dispatch
while one runs (``max_instances=1``, ``coalesce``). Beside it run retention and any extra
periodic jobs (the topic refresh).

On SIGINT/SIGTERM the daemon stops taking feeds, lets in-flight updates finish for a short
grace period, cancels what is left (each feed's items and state commit in one transaction, so
a cancelled feed is simply due again next time) and returns within 2 seconds: the long jobs
(topic refresh, retention) ask `Daemon.should_stop` between batches and return, keeping the
batches they committed.

When the database itself fails (`DatabaseError`: a full disk, a damaged or read-only file),
no job can do its work, so the daemon pauses every job: one log line per pause, pauses that
double while the failure lasts, and a small write when each pause ends to see whether the
database takes writes again; when it does, the jobs resume by themselves.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from reader.core import Reader, UpdateSession
from reader.exceptions import DatabaseError, StorageError
from reader.models import Feed, UpdateReport

logger = logging.getLogger("reader.daemon")

SHUTDOWN_GRACE = 0.5
"""Seconds in-flight updates get to finish after a stop signal before they are cancelled
(a cancelled feed is fetched again next time; the whole stop must fit in 2 seconds)."""

PIPELINE_CLOSE_WAIT = 0.3
"""Seconds the parser workers get to exit on stop before they are killed."""

STORAGE_PAUSE_FIRST = 5.0
"""Seconds every job pauses after the database failed (doubling while it keeps failing)."""

STORAGE_PAUSE_MAX = 300.0
"""The longest pause (or `[schedule] max_backoff`, if shorter)."""

DISPATCH_JOB = "dispatch"
RETENTION_JOB = "retention"
HEARTBEAT_JOB = "heartbeat"


@dataclass(frozen=True)
class PeriodicJob:
    """An extra job the daemon runs every `every` seconds, such as the topic re-scoring."""

    name: str
    """A unique job name, used in logs."""
    every: float
    """Seconds between runs; a run still going when the next is due is not doubled."""
    run: Callable[..., object]
    """A coroutine function (awaited on the loop) or a plain function (run in a thread)."""
    stoppable: bool = False
    """`run` takes `should_stop`, a function that turns true when the daemon is stopping:
    a long job asks it between batches and returns."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Daemon:
    """Runs the dispatcher, retention and extra jobs until `request_stop` (or a signal)."""

    def __init__(
        self,
        reader: Reader,
        *,
        now: Callable[[], datetime] = utc_now,
        extra_jobs: Sequence[PeriodicJob] = (),
        shutdown_grace: float = SHUTDOWN_GRACE,
    ) -> None:
        names = [job.name for job in extra_jobs]
        for reserved in (DISPATCH_JOB, RETENTION_JOB, HEARTBEAT_JOB):
            if reserved in names:
                raise ValueError(f"job name {reserved!r} is taken by the daemon itself")
        if len(set(names)) != len(names):
            raise ValueError(f"extra job names must be unique: {names}")
        self.reader = reader
        self.settings = reader.settings
        self._now = now
        self._extra_jobs = tuple(extra_jobs)
        self._shutdown_grace = shutdown_grace
        self._stop_requested: asyncio.Event | None = None
        self._stopping = False
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._session: UpdateSession | None = None
        self.identity = reader.daemon_identity()
        """Who this daemon is to the others: the holder of its leases."""
        self.dispatches = 0
        """Dispatches that found due feeds (for tests and the benchmark)."""
        self.storage_fault: str | None = None
        """The database failure the jobs are paused for (None while it works)."""
        self._paused_until = 0.0
        self._pause = 0.0
        self._checking = asyncio.Lock()

    @property
    def session(self) -> UpdateSession | None:
        """The update session every dispatch shares while `run` runs (None otherwise)."""
        return self._session

    # -- lifecycle -------------------------------------------------------------------------

    def should_stop(self) -> bool:
        """True once a stop was requested: long jobs ask it between batches (any thread)."""
        return self._stopping

    def request_stop(self) -> None:
        """Stop taking new feeds and make `run` return; a second request cancels at once."""
        if self._stopping:
            logger.info("second stop request: cancelling in-flight updates now")
            for task in list(self._in_flight):
                task.cancel()
            return
        self._stopping = True
        if self._stop_requested is not None:
            self._stop_requested.set()

    async def run(self, *, handle_signals: bool = True) -> None:
        """Run the jobs until a stop is requested; return once in-flight work is settled."""
        loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        if self._stopping:
            self._stop_requested.set()
        signals = (signal.SIGINT, signal.SIGTERM) if handle_signals else ()
        for signum in signals:
            loop.add_signal_handler(signum, self._on_signal, signum)
        # One fetcher and parser pool for the daemon's life: starting parser workers (an
        # interpreter each) on every dispatch was about a third of an idle daemon's CPU.
        self._session = await self.reader.update_session().__aenter__()
        await asyncio.to_thread(self.reader.daemon_beat, self.identity)
        scheduler = AsyncIOScheduler(timezone=UTC)
        self._add_jobs(scheduler)
        scheduler.start()
        schedule = self.settings.schedule
        logger.info(
            "daemon started: dispatch every %ss, batch %d, retention %s, %d extra job(s)",
            schedule.dispatch_every,
            schedule.batch_size,
            f"{self.settings.retention.days} days" if self.settings.retention.days else "off",
            len(self._extra_jobs),
        )
        try:
            await self._stop_requested.wait()
            logger.info("stopping: no new feeds; %d job(s) in flight", len(self._in_flight))
            scheduler.pause()
            await self._settle_in_flight()
        finally:
            scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # let the scheduler's loop-side shutdown run
            session, self._session = self._session, None
            try:
                if session is not None:
                    await session.close(PIPELINE_CLOSE_WAIT)
                await self._leave()
            finally:
                for signum in signals:
                    loop.remove_signal_handler(signum)
        logger.info("daemon stopped")

    async def _leave(self) -> None:
        """End our leases (the other daemons take those feeds at once) and leave the list."""
        try:
            await asyncio.to_thread(self.reader.daemon_leave, self.identity.holder)
        except StorageError as exc:  # they expire by themselves
            logger.warning("could not hand back leased feeds: %s", exc)

    async def _release(self, feeds: Sequence[Feed]) -> None:
        try:
            await asyncio.to_thread(self.reader.release_leases, self.identity.holder, feeds)
        except StorageError as exc:  # the leases run out by themselves
            logger.debug("leases not handed back now: %s", exc)

    async def heartbeat(self) -> None:
        """Say we are alive and renew our leases, so no other daemon takes our feeds."""
        await asyncio.to_thread(self.reader.daemon_beat, self.identity)

    def _on_signal(self, signum: int) -> None:
        logger.info("received %s", signal.Signals(signum).name)
        self.request_stop()

    async def _settle_in_flight(self) -> None:
        if not self._in_flight:
            return
        started = time.monotonic()
        _, pending = await asyncio.wait(set(self._in_flight), timeout=self._shutdown_grace)
        if pending:
            logger.info(
                "cancelling %d in-flight job(s) after %.1fs", len(pending), self._shutdown_grace
            )
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=1.0)
        logger.debug("in-flight work settled in %.2fs", time.monotonic() - started)

    def _add_jobs(self, scheduler: AsyncIOScheduler) -> None:
        # One instance at a time, missed runs folded into one, never dropped for being late.
        common: dict[str, Any] = {
            "trigger": "interval",
            "max_instances": 1,
            "coalesce": True,
            "misfire_grace_time": None,
            "next_run_time": datetime.now(UTC),
        }
        schedule = self.settings.schedule
        scheduler.add_job(
            self._tracked,
            args=[HEARTBEAT_JOB, self.heartbeat],
            id=HEARTBEAT_JOB,
            name=HEARTBEAT_JOB,
            seconds=max(schedule.lease / 4, 1),
            **common,
        )
        scheduler.add_job(
            self._tracked,
            args=[DISPATCH_JOB, self.dispatch],
            id=DISPATCH_JOB,
            name=DISPATCH_JOB,
            seconds=max(schedule.dispatch_every, 1),
            **common,
        )
        retention = self.settings.retention
        if retention.days > 0:
            scheduler.add_job(
                self._tracked,
                args=[RETENTION_JOB, self._once(RETENTION_JOB, self.prune)],
                id=RETENTION_JOB,
                name=RETENTION_JOB,
                seconds=max(retention.every, 1),
                **common,
            )
        for job in self._extra_jobs:
            run = partial(job.run, should_stop=self.should_stop) if job.stoppable else job.run
            scheduler.add_job(
                self._tracked,
                args=[job.name, self._once(job.name, _as_coroutine_function(run))],
                id=job.name,
                name=job.name,
                seconds=max(job.every, 0.1),
                **common,
            )

    async def _tracked(self, name: str, work: Callable[[], Coroutine[Any, Any, object]]) -> None:
        """Run one job's work as a task the shutdown can wait for or cancel; log its failure;
        skip it while the jobs are paused for a database failure."""
        if self._stopping or not await self._database_works():
            return
        task = asyncio.create_task(work(), name=f"reader-{name}")
        self._in_flight.add(task)
        try:
            result = await task
            if getattr(result, "stopped", False):  # a long job cut short by the stop
                logger.info("%s stopped between batches; it goes on at its next run", name)
            if self.storage_fault is None:
                self._pause = 0.0  # a job went through: the next failure starts afresh
        except asyncio.CancelledError:
            if not task.cancelled():
                raise  # we ourselves are being cancelled: pass it on
            logger.info("%s cancelled by shutdown", name)
        except DatabaseError as exc:
            self.pause_for(str(exc))
        except Exception:
            logger.exception("%s job failed; it runs again on schedule", name)
        finally:
            self._in_flight.discard(task)

    # -- database failures -----------------------------------------------------------------

    def pause_for(self, fault: str) -> None:
        """Pause every job because the database failed (`fault`: its one-line error).

        One log line per pause. A failure while paused (another job meeting the same full
        disk) changes nothing; each pause after the first is twice as long, until a job
        succeeds again.
        """
        now = time.monotonic()
        if self.storage_fault is not None and now < self._paused_until:
            return
        cap = min(STORAGE_PAUSE_MAX, max(1.0, float(self.settings.schedule.max_backoff)))
        again = self._pause > 0
        self._pause = min(cap, self._pause * 2 if again else STORAGE_PAUSE_FIRST)
        self.storage_fault = fault
        self._paused_until = now + self._pause
        logger.warning(
            "%s; %s for %.0f s",
            fault,
            "still failing: pausing again" if again else "every job pauses",
            self._pause,
        )

    async def _database_works(self) -> bool:
        """False while paused for a database failure; when the pause ends, true if the
        store can take a write again (the jobs resume), else a longer pause."""
        if self.storage_fault is None:
            return True
        async with self._checking:  # jobs due together check once
            if self.storage_fault is None:
                return True
            if time.monotonic() < self._paused_until or self._stopping:
                return False
            try:
                await asyncio.to_thread(self.reader.check_writable)
            except DatabaseError as exc:
                self.pause_for(str(exc))
                return False
            logger.info("the database takes writes again; jobs resume")
            self.storage_fault = None
            return True

    def _once(
        self, name: str, work: Callable[[], Coroutine[Any, Any, object]]
    ) -> Callable[[], Coroutine[Any, Any, object]]:
        """`work` run only while no other daemon on the database runs the job `name`."""

        async def once() -> object:
            lock = self.reader.exclusive(name)
            if not await asyncio.to_thread(lock.__enter__):
                await asyncio.to_thread(lock.__exit__, None, None, None)
                logger.debug("%s: another daemon is running it", name)
                return None
            try:
                return await work()
            finally:
                await asyncio.to_thread(lock.__exit__, None, None, None)

        return once

    # -- jobs ------------------------------------------------------------------------------

    async def dispatch(self) -> UpdateReport | None:
        """Update the feeds that are due, in bounded batches, until none are left.

        Returns the last batch's report (None when nothing was due). A feed whose update did
        not move its next check forward is not taken again in the same dispatch.
        """
        batch_size = max(self.settings.schedule.batch_size, 1)
        taken: set[int] = set()
        report: UpdateReport | None = None
        while not self._stopping:
            due = await asyncio.to_thread(
                self.reader.claim_due_feeds, self.identity.holder, self._now(), limit=batch_size
            )
            fresh = [feed for feed in due if feed.id not in taken]
            if not fresh:
                break
            taken.update(feed.id for feed in fresh)
            self.dispatches += 1
            started = time.monotonic()
            try:
                report = await self._update(fresh)
            finally:  # a feed whose write failed is due again for any daemon, not stuck
                await self._release(fresh)
            if report.stopped_by is not None:
                self.pause_for(report.stopped_by)
                break
            busy = report.new or report.updated or report.errors
            logger.log(
                logging.INFO if busy else logging.DEBUG,
                "dispatch: %d feeds checked, %d new, %d updated, %d not modified, %d errors"
                " in %.2fs",
                report.checked,
                report.new,
                report.updated,
                report.not_modified,
                len(report.errors),
                time.monotonic() - started,
            )
            if len(due) < batch_size:
                break
        return report

    async def _update(self, feeds: Sequence[Feed]) -> UpdateReport:
        """Update `feeds` through the daemon's session, or (called outside `run`, as tests
        do) through one opened for this update. Stories are regrouped by the topic job."""
        if self._session is not None:
            return await self._session.update_feeds(feeds, regroup=False, now=self._now)
        async with self.reader.update_session() as session:
            return await session.update_feeds(feeds, regroup=False, now=self._now)

    async def prune(self) -> int:
        """Run retention once (in a thread; in short batches, stopping when the daemon does)."""
        return await asyncio.to_thread(self.reader.prune, self._now(), should_stop=self.should_stop)


def _as_coroutine_function(run: Callable[[], object]) -> Callable[[], Coroutine[Any, Any, object]]:
    """A job callable the daemon can await: coroutines run on the loop, others in a thread."""
    if asyncio.iscoroutinefunction(run):
        return run

    async def in_thread() -> object:
        result = await asyncio.to_thread(run)
        if asyncio.iscoroutine(result):  # a plain callable that returned a coroutine
            return await result
        return result

    return in_thread
