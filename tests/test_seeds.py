"""The seed parser on the five real seed articles, and the import into the store."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reader.models import ItemFilter
from reader.sources.seeds import import_seeds, parse_seed, read_seed_file
from reader.store import SQLiteStore

from .conftest import SEEDS_DIR

# Expected values, written beside the files they come from.
EXPECTED = {
    "000_9c72b670fbe4c88a.txt": dict(
        title=(
            "In an interview with TASS, Chinese Ambassador to Russia Zhang Hanhui cautioned "
            "Japan and other countries about the…"
        ),
        author=None,
        published=None,
        source_names=(),
        first_words="In an interview with TASS",
        last_words="promoting peace and prosperity in the region.",
    ),
    "001_49c63d79c2608994.txt": dict(
        title=(
            "China warns Japan and other countries against backing NATO's expansion into the "
            "East and Asia-Pacific region"
        ),
        author=None,
        published=None,
        source_names=("SHTFPlan.com", "RT.com", "KyodoNews.com", "Brighteon.com"),
        first_words="Chinese Ambassador to Russia Zhang Hanhui has warned Japan",
        last_words="joint operations and drills near Japan.",
    ),
    "002_f28d71708d6332bd.txt": dict(
        title=(
            "The Chinese government has issued a statement urging NATO to refrain from "
            "expanding into the Asia-Pacific region"
        ),
        author=None,
        published=None,
        source_names=(),
        first_words="The Chinese government has issued a statement",
        last_words="concerns and interests of all parties involved.",
    ),
    "003_1136e61e36e9a1a6.txt": dict(
        title="China cautions against potential NATO office in Japan",
        author=None,
        published=None,
        source_names=(),
        first_words="NATO Secretary General Jens Stoltenberg speaks",
        last_words="affect peace and stability in this region.",
    ),
    "004_f229af850eb50190.txt": dict(
        title=(
            '"Asia-Pacific version of NATO" created to threaten regional security and stability'
        ),
        author="Zheng Zaixing",
        published=datetime(2023, 3, 3, 0, 50, 38, tzinfo=UTC),
        source_names=("China Military Online",),
        first_words="NATO Secretary-General Jens Stoltenberg recently visited",
        last_words="China Research Centerat the Sejong Institute of the ROK.)",
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_parser_finds_title_author_date_and_sources(name: str) -> None:
    expected = EXPECTED[name]
    article = parse_seed(read_seed_file(SEEDS_DIR / name), name)
    assert article.identity == name
    assert article.title == expected["title"]
    assert article.author == expected["author"]
    assert article.published == expected["published"]
    assert article.source_names == expected["source_names"]
    assert article.text.startswith(str(expected["first_words"]))
    assert article.text.endswith(str(expected["last_words"]))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_body_holds_no_page_furniture(name: str) -> None:
    text = parse_seed(read_seed_file(SEEDS_DIR / name), name).text
    for furniture in ("Source link", "Sources include:", "Related News", "More related stories"):
        assert furniture not in text
    assert "READ MORE:" not in text
    assert "By Zheng Zaixing" not in text
    assert "2023-03-03 00:50:38" not in text


def test_hard_wrapped_lines_are_joined_into_paragraphs() -> None:
    article = parse_seed(read_seed_file(SEEDS_DIR / "001_49c63d79c2608994.txt"), "001")
    first = article.paragraphs[0]
    assert "Japan and other Asian countries against supporting the expansion" in first
    assert any("In an exclusive interview with TASS on August 3" in p for p in article.paragraphs)


def test_headline_is_not_repeated_in_the_body() -> None:
    article = parse_seed(read_seed_file(SEEDS_DIR / "003_1136e61e36e9a1a6.txt"), "003")
    assert article.title not in article.paragraphs


def test_related_headlines_are_kept_apart_from_the_body() -> None:
    article = parse_seed(read_seed_file(SEEDS_DIR / "001_49c63d79c2608994.txt"), "001")
    assert "NATO members are running out of weapons that they can send to Ukraine." in (
        article.related
    )
    assert not any("running out of weapons" in p for p in article.paragraphs)


def test_source_link_with_url_becomes_the_item_link() -> None:
    text = "A headline\n\nA body sentence that ends.\nSource link\nhttps://example.com/story\n"
    article = parse_seed(text, "x.txt")
    assert article.link == "https://example.com/story"
    assert article.paragraphs == ("A body sentence that ends.",)


def test_control_characters_never_reach_the_fields() -> None:
    article = parse_seed("Head\x1b[31mline\n\nBody \x07text\x9b here.\n", "x.txt")
    assert article.title == "Head[31mline"
    assert article.text == "Body text here."


def test_import_twice_gives_five_items_not_ten(store: SQLiteStore) -> None:
    first = import_seeds(store, SEEDS_DIR)
    second = import_seeds(store, SEEDS_DIR)
    assert len(first.new) == 5
    assert second.new == () and second.updated == () and len(second.unchanged) == 5
    assert store.count_items(ItemFilter(source="seeds")) == 5
    assert {i.source for i in store.get_items()} == {"seeds"}


def test_marks_and_tags_survive_reimport_and_edits(store: SQLiteStore, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    report = import_seeds(store, seeds)
    item_id = report.item_ids["003_1136e61e36e9a1a6.txt"]
    store.mark_items([item_id], read=True, starred=True)
    store.add_tags(item_id, ["Japan", "liaison office"])

    path = seeds / "003_1136e61e36e9a1a6.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more paragraph.\n", "utf-8")
    again = import_seeds(store, seeds)

    assert again.updated == ("003_1136e61e36e9a1a6.txt",)
    item = store.get_item(item_id)
    assert item.read and item.starred
    assert item.tags == ("Japan", "liaison office")
    assert item.text is not None and item.text.endswith("One more paragraph.")
    assert store.count_items() == 5


def test_removed_file_is_reported_not_deleted(store: SQLiteStore, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    import_seeds(store, seeds)
    (seeds / "002_f28d71708d6332bd.txt").unlink()
    report = import_seeds(store, seeds)
    assert report.missing == ("002_f28d71708d6332bd.txt",)
    assert store.count_items() == 5


def test_bad_files_are_named_and_the_rest_still_import(store: SQLiteStore, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    (seeds / "empty.txt").write_text("  \n\n", encoding="utf-8")
    (seeds / "latin1.txt").write_bytes("Caf\xe9 society.\n".encode("latin-1"))
    unreadable = seeds / "unreadable.txt"
    unreadable.mkdir()  # a folder named like a seed: reading it fails

    report = import_seeds(store, seeds)

    messages = sorted(str(e) for e in report.errors)
    assert len(messages) == 3
    assert any("empty.txt: empty file" in m for m in messages)
    assert any("latin1.txt: not UTF-8 text" in m for m in messages)
    assert any("unreadable.txt: cannot read" in m for m in messages)
    assert len(report.new) == 5
    assert store.count_items() == 5


def test_search_finds_the_seeds_that_mention_the_liaison_office(store: SQLiteStore) -> None:
    import_seeds(store, SEEDS_DIR)
    hits = store.search('"liaison office"')
    names = {h.item.identity for h in hits}
    assert names == {
        "000_9c72b670fbe4c88a.txt",
        "001_49c63d79c2608994.txt",
        "002_f28d71708d6332bd.txt",
        "003_1136e61e36e9a1a6.txt",
    }
