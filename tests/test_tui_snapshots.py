"""Screenshots of the terminal reader at 120x36 and 80x24, compared with the accepted ones.

The clock is fixed and every item is dated in the past, so relative dates never drift.
Regenerate with `pytest tests/test_tui_snapshots.py --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from reader.store import SQLiteStore
from tests.test_tui import SIZE, fill_store, make_app, settle


def test_main_screen_lists_the_topic_view(store: SQLiteStore, snap_compare: Any) -> None:
    fill_store(store, seeds=False)  # seeds may change; the layout under test does not
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=settle)


def test_reading_pane_shows_the_opened_item(store: SQLiteStore, snap_compare: Any) -> None:
    fill_store(store, seeds=False)  # seeds may change; the layout under test does not

    async def open_second_item(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=open_second_item)


def test_help_screen_lists_the_keys(store: SQLiteStore, snap_compare: Any) -> None:
    fill_store(store, seeds=False)  # seeds may change; the layout under test does not

    async def open_help(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=open_help)


SMALL = (80, 24)


def test_at_80x24_the_list_fills_the_screen(store: SQLiteStore, snap_compare: Any) -> None:
    fill_store(store, seeds=False)  # seeds may change; the layout under test does not
    assert snap_compare(make_app(store), terminal_size=SMALL, run_before=settle)


def test_at_80x24_an_opened_item_fills_the_screen(store: SQLiteStore, snap_compare: Any) -> None:
    fill_store(store, seeds=False)  # seeds may change; the layout under test does not

    async def open_second_item(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SMALL, run_before=open_second_item)


def test_at_80x24_help_fits_the_screen(store: SQLiteStore, snap_compare: Any) -> None:
    fill_store(store, seeds=False)  # seeds may change; the layout under test does not

    async def open_help(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(store), terminal_size=SMALL, run_before=open_help)
