"""Search as users type it: forgiving plain text, operators when written, hints not errors.

The parser is pure (text to tree); the store tests run the compiled FTS5 queries on a real
SQLite file holding the real seeds and two real news feeds of the shared corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reader.exceptions import InvalidSearchQueryError
from reader.normalize import to_item_writes
from reader.parse import parse_document
from reader.query import (
    SEARCH_SYNTAX,
    And,
    Field,
    Near,
    Not,
    Or,
    Phrase,
    Term,
    parse_query,
    positive_words,
)
from reader.sources.seeds import import_seeds
from reader.store import SQLiteStore, open_store

from .conftest import BACKENDS, CORPUS, SEEDS_DIR, fresh_pg_database, needs_corpus
from .test_cli import assert_user_error, run

NOW = datetime(2026, 3, 1, tzinfo=UTC)
# Real news feeds that mention NATO, Greenland and it's (TIME World, Deutsche Welle).
NEWS_FEEDS = (
    "fastfeedparser/news/9f9555d69283aeda.xml",
    "fastfeedparser/news/14dda539770f94e3.xml",
)


# -- the parser (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "tree"),
    [
        ("Asia-Pacific", Term("Asia-Pacific")),
        ("U.S.", Term("U.S.")),
        ("it's", Term("it's")),
        ("C++", Term("C++")),
        ("nato -greenland", And((Term("nato"), Not(Term("greenland"))))),
        ("NOT nato", Not(Term("nato"))),
        ("nato not greenland", And((Term("nato"), Term("not"), Term("greenland")))),
        ('"liaison office" tokyo', And((Phrase("liaison office"), Term("tokyo")))),
        ("nato OR aukus", Or((Term("nato"), Term("aukus")))),
        ("a OR b c", Or((Term("a"), And((Term("b"), Term("c")))))),
        ("(a OR b) c", And((Or((Term("a"), Term("b"))), Term("c")))),
        ("liais*", Term("liais", prefix=True)),
        ('"asia pac"*', Phrase("asia pac", prefix=True)),
        ("title:japan", Field("title", Term("japan"))),
        ("Title:japan", Field("title", Term("japan"))),
        ('title:"a phrase"', Field("title", Phrase("a phrase"))),
        ("title:(a OR b)", Field("title", Or((Term("a"), Term("b"))))),
        ("-title:china", Not(Field("title", Term("china")))),
        ("title:-china x", And((Not(Field("title", Term("china"))), Term("x")))),
        ("NEAR(nato japan, 5)", Near((Term("nato"), Term("japan")), 5)),
        ("NEAR(nato japan)", Near((Term("nato"), Term("japan")), 10)),
        ("https://example.com/x", Term("https://example.com/x")),
        ("note: nato", And((Term("note:"), Term("nato")))),
        ("a AND b", And((Term("a"), Term("b")))),
        ("NOT NOT nato", Term("nato")),
    ],
)
def test_plain_text_and_written_operators_parse_to_the_expected_tree(
    typed: str, tree: object
) -> None:
    assert parse_query(typed) == tree


@pytest.mark.parametrize(
    ("typed", "tree"),
    [
        ('"unclosed phrase', Phrase("unclosed phrase")),
        ("(a OR b", Or((Term("a"), Term("b")))),
        ("a)) b", And((Term("a"), Term("b")))),
        ("nato OR", Term("nato")),
        ("OR nato AND", Term("nato")),
        ("nato AND (", Term("nato")),
        ("nato --- —", Term("nato")),
        ("title:", Term("title")),
        ("nato NOT", Term("nato")),
    ],
)
def test_what_would_be_a_syntax_error_is_mended_the_obvious_way(typed: str, tree: object) -> None:
    assert parse_query(typed) == tree


@pytest.mark.parametrize("typed", ["", "   ", "AND", "OR OR", "-", "+++", '""', "()", "NEAR("])
def test_a_query_with_nothing_to_look_for_gets_a_one_line_hint(typed: str) -> None:
    with pytest.raises(InvalidSearchQueryError) as caught:
        parse_query(typed)
    assert "nothing to search for" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_positive_words_leave_out_exclusions() -> None:
    tree = parse_query('title:nato "asia pacific" -greenland OR x*')
    assert list(positive_words(tree)) == ["nato", "asia pacific", "x"]


def test_the_syntax_text_fits_78_columns_and_names_every_operator() -> None:
    assert all(len(line) <= 78 for line in SEARCH_SYNTAX.splitlines())
    for operator in ('"', "OR", "-word", "NOT", "*", "title:", "NEAR("):
        assert operator in SEARCH_SYNTAX


# -- the store (real SQLite, real text) ----------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def news_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SQLiteStore]:
    """The seeds and, when the corpus is here, two real news feeds (once per backend)."""
    location: Path | str = tmp_path_factory.mktemp("search") / "reader.db"
    if request.param == "postgresql":
        location = fresh_pg_database(request, "search_news")
    with open_store(location) as store:
        import_seeds(store, SEEDS_DIR)
        for relative in NEWS_FEEDS if CORPUS.is_dir() else ():
            url = f"https://news.example/{Path(relative).name}"
            feed = store.add_feed(url)
            parsed = parse_document((CORPUS / "feeds" / relative).read_bytes(), url=url, now=NOW)
            store.write_items(feed.id, to_item_writes(parsed), now=NOW)
        yield store


def words_of(store: SQLiteStore, item_id: int) -> str:
    """Everything the index holds for an item, lower-cased."""
    item = store.get_item(item_id)
    parts = [item.title, item.author, item.source, " ".join(item.source_names), item.text]
    return " ".join(p or "" for p in parts).lower()


@pytest.mark.parametrize(
    ("typed", "pattern"),
    [
        ("Asia-Pacific", r"asia\W+pacific"),
        ("U.S.", r"\bu\.\s?s\b"),
        ("asia-pacific security", r"asia\W+pacific"),
    ],
)
def test_words_with_hyphens_and_dots_are_found_as_written_in_the_seeds(
    news_store: SQLiteStore, typed: str, pattern: str
) -> None:
    hits = news_store.search(typed)
    assert hits
    assert all(re.search(pattern, words_of(news_store, h.item.id)) for h in hits)


@needs_corpus
def test_apostrophes_and_symbols_are_searched_as_words(news_store: SQLiteStore) -> None:
    hits = news_store.search("it's")
    assert hits and all(re.search(r"\bit\W+s\b", words_of(news_store, h.item.id)) for h in hits)
    news_store.search("C++")  # runs (no such column, no syntax error)


@needs_corpus
def test_a_leading_minus_leaves_items_out(news_store: SQLiteStore) -> None:
    with_nato = {h.item.id for h in news_store.search("nato", limit=1000)}
    without = {h.item.id for h in news_store.search("nato -greenland", limit=1000)}
    greenland = {h.item.id for h in news_store.search("greenland", limit=1000)}
    assert with_nato & greenland, "the corpus feeds mention both; the test needs that"
    assert without == with_nato - greenland
    assert news_store.search("nato -greenland") == news_store.search("nato NOT greenland")


@needs_corpus
def test_not_alone_lists_every_other_item_newest_first(news_store: SQLiteStore) -> None:
    total = news_store.count_items()
    nato = {h.item.id for h in news_store.search("nato", limit=1000)}
    others = news_store.search("NOT nato", limit=1000)
    assert {h.item.id for h in others} == {i.id for i in news_store.get_items()} - nato
    assert len(others) == total - len(nato)
    dates = [news_store.get_item(h.item.id).date for h in others]
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    assert news_store.search("-nato -greenland", limit=1000) == news_store.search(
        "NOT (nato OR greenland)", limit=1000
    )


@needs_corpus
def test_or_phrase_prefix_and_field_operators_work_when_written(news_store: SQLiteStore) -> None:
    def ids(query: str) -> set[int]:
        return {h.item.id for h in news_store.search(query, limit=1000)}

    assert ids("nato OR greenland") == ids("nato") | ids("greenland")
    assert ids('"liaison office"') <= ids("liaison office")
    assert ids("liais*") >= ids("liaison")
    titles = ids("title:greenland")
    assert titles and titles <= ids("greenland")
    for item_id in titles:
        assert "greenland" in (news_store.get_item(item_id).title or "").lower()
    assert ids("title:(nato OR greenland)") == ids("title:nato") | ids("title:greenland")
    assert ids("NEAR(nato greenland, 3)") <= ids("nato greenland")


def test_an_exclusion_inside_or_gets_a_hint_not_a_database_message(
    news_store: SQLiteStore,
) -> None:
    with pytest.raises(InvalidSearchQueryError, match=r"write \(a OR b\) -c") as caught:
        news_store.search("nato OR -greenland")
    assert "fts5" not in str(caught.value) and "syntax" not in str(caught.value)


# -- the command line ----------------------------------------------------------------------


def test_reader_search_takes_plain_text_and_prints_a_hint_for_nothing(tmp_path: Path) -> None:
    run(tmp_path, "seeds", "import")
    for query in ("Asia-Pacific", "U.S.", "it's", "C++", "nato -greenland", "NOT nato"):
        result = run(tmp_path, "search", "--", query)
        assert "Error" not in result.stderr
    assert "Asia-Pacific" in run(tmp_path, "search", "Asia-Pacific").stdout
    assert_user_error(run(tmp_path, "search", "+++", check=False), "nothing to search for")
    help_text = run(tmp_path, "search", "--help").stdout
    assert '"exact phrase"' in help_text and "title:japan" in help_text
