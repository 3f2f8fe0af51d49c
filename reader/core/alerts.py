"""Alerts: a new item that scores high (or matches the alert query) is sent to a command
and/or a webhook, at most once per story.

Which items to alert on is decided purely (`choose_alerts`); sending is bounded by
``[alerts] timeout`` and never raises: a failing command or webhook is logged, and the update
that preceded it has already been stored. Only items stored after the previous run are looked
at (a mark kept in the store), so the cost follows what is new; the first run only sets it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reader.config import Settings
from reader.exceptions import FeedError
from reader.models import Item, ItemFilter
from reader.query import parse_query
from reader.store.base import Store
from reader.textsafe import plain

if TYPE_CHECKING:
    from reader.fetch import Fetcher

log = logging.getLogger("reader.alerts")

MARK_KEY = "alerts.after_item_id"
"""Store meta key: alerts have looked at every item up to this id."""

SUMMARY_CHARS = 600


@dataclass(frozen=True)
class AlertReport:
    """What one run of the alerts did."""

    considered: int = 0
    """New items that qualified (score or query)."""
    sent: int = 0
    """Alerts delivered by at least one channel."""
    failed: int = 0
    """Alerts no channel delivered (each failure is logged)."""


def alerts_enabled(settings: Settings) -> bool:
    alerts = settings.alerts
    wants = alerts.min_score > 0 or bool(alerts.query)
    return wants and bool(alerts.command or alerts.webhook)


def choose_alerts(candidates: Sequence[Item], alerted_stories: set[int]) -> list[Item]:
    """At most one item per story (its best-scored candidate), none for a story that was
    alerted before; an item without a story stands alone. Best first."""
    chosen: dict[object, Item] = {}
    for item in candidates:
        if item.story_id is not None and item.story_id in alerted_stories:
            continue
        key: object = ("story", item.story_id) if item.story_id is not None else ("item", item.id)
        best = chosen.get(key)
        if best is None or (item.score or 0.0) > (best.score or 0.0):
            chosen[key] = item
    return sorted(chosen.values(), key=lambda i: (-(i.score or 0.0), i.id))


def alert_document(item: Item) -> dict[str, Any]:
    """What the command reads on standard input and the webhook receives: one JSON object."""
    text = " ".join((item.summary or item.text or "").split())
    return {
        "id": item.id,
        "title": item.title,
        "link": item.link,
        "source": item.source,
        "published": None if item.date is None else item.date.astimezone(UTC).isoformat(),
        "score": None if item.score is None else round(item.score, 4),
        "matched": list(item.score_terms),
        "tags": list(item.tags),
        "story_id": item.story_id,
        "story_sources": item.story_size,
        "summary": text[:SUMMARY_CHARS],
    }


def qualifying(store: Store, settings: Settings) -> tuple[list[Item], int]:
    """The new items that qualify for an alert, and the mark to move to afterwards."""
    upto = store.last_item_id()
    mark = store.get_meta(MARK_KEY)
    if mark is None:  # the first run: nothing from before alerts were set up
        return [], upto
    alerts = settings.alerts
    new = [i for i in store.get_alert_candidates(int(mark), min_score=None) if i.id <= upto]
    by_score = {i.id for i in new if alerts.min_score > 0 and (i.score or 0.0) >= alerts.min_score}
    by_query: set[int] = set()
    if alerts.query and new:
        where = ItemFilter(query=parse_query(alerts.query), ids=tuple(i.id for i in new))
        by_query = {i.id for i in store.get_items(where)}
    return [i for i in new if i.id in by_score or i.id in by_query], upto


async def send_alerts(store: Store, settings: Settings) -> AlertReport:
    """Alert on what arrived since the last run (see the module doc); never raises for a
    failing channel."""
    if not alerts_enabled(settings):
        return AlertReport()
    candidates, upto = await asyncio.to_thread(qualifying, store, settings)
    stories = {i.story_id for i in candidates if i.story_id is not None}
    alerted = await asyncio.to_thread(store.alerted_stories, sorted(stories))
    chosen = choose_alerts(candidates, alerted)
    sent: list[int] = []
    failed = 0
    if chosen:
        from reader.fetch import Fetcher  # the HTTP stack loads only when an alert goes out

        async with Fetcher(settings.fetch, settings.fetch_allow) as fetcher:
            for item in chosen:
                if await _deliver(item, settings, fetcher):
                    sent.append(item.id)
                else:
                    failed += 1
    await asyncio.to_thread(store.record_alerts, sent, datetime.now(UTC))
    await asyncio.to_thread(store.set_meta, MARK_KEY, str(upto))
    return AlertReport(considered=len(candidates), sent=len(sent), failed=failed)


async def _deliver(item: Item, settings: Settings, fetcher: Fetcher) -> bool:
    """Send one alert by every configured channel; True when at least one took it."""
    body = json.dumps(alert_document(item), ensure_ascii=False).encode()
    alerts = settings.alerts
    delivered = False
    if alerts.command:
        delivered |= await _run_command(alerts.command, body, alerts.timeout, item)
    if alerts.webhook:
        delivered |= await _post(fetcher, alerts.webhook, body, alerts.timeout, item)
    return delivered


async def _run_command(argv: Sequence[str], body: bytes, timeout: float, item: Item) -> bool:
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        log.warning("alert for item %d: cannot run %s: %s", item.id, plain(argv[0]), exc)
        return False
    try:
        _, stderr = await asyncio.wait_for(process.communicate(body), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        log.warning("alert for item %d: %s took over %g s; stopped", item.id, argv[0], timeout)
        return False
    if process.returncode != 0:
        first = (stderr or b"").decode("utf-8", "replace").strip().splitlines()[:1]
        log.warning(
            "alert for item %d: %s exited with %d%s",
            item.id,
            plain(argv[0]),
            process.returncode,
            f": {plain(first[0])}" if first else "",
        )
        return False
    return True


async def _post(fetcher: Fetcher, url: str, body: bytes, timeout: float, item: Item) -> bool:
    try:
        status = await asyncio.wait_for(fetcher.post_json(url, body), timeout)
    except TimeoutError:
        log.warning("alert for item %d: webhook took over %g s", item.id, timeout)
        return False
    except FeedError as exc:
        log.warning("alert for item %d: webhook failed: %s", item.id, plain(exc.message))
        return False
    if not 200 <= status < 300:
        log.warning("alert for item %d: webhook answered HTTP %d", item.id, status)
        return False
    return True
