"""The tokenizer's fast path (ASCII text once quotes and dashes are spaces) finds the same words
as its regular expression, on every real news text of the corpus and on edge cases."""

from __future__ import annotations

import pytest

from bench.topic_data import corpus_news
from reader.topic.text import _POSSESSIVE, _WORD, fold, words

from .conftest import needs_corpus

EDGES = [
    "a_b __ x1 ab_cd 12_34",
    "don’t stop—now “quoted” – dash ‘single’",
    "tab\tsep\x1cfs\x1dgs\x7fdel",
    "Zürich’s straße ßx",
    "NATO's 2024 summit; e.g. U.S.-led",
    "",
    "a",
    "éé",
    "\xa0nbsp\xa0here",
    "x…y",
    "C++ c# .net",
    "١٢٣ digits ٤٥",
    "日本 language",
    "Ⅻ ² ½ numerals",
]


def by_expression(text: str, limit: int) -> list[str]:
    """What `words` returned before its fast path: the regular expression alone."""
    head = text[: limit * 12]
    return _WORD.findall(_POSSESSIVE.sub("", fold(head)))[:limit]


@pytest.mark.parametrize("limit", [400, 60, 3])
def test_words_are_the_regular_expressions_words_on_edge_cases(limit: int) -> None:
    for text in EDGES:
        assert words(text, limit) == by_expression(text, limit), text


@needs_corpus
def test_words_are_the_regular_expressions_words_on_every_real_news_text() -> None:
    texts = [item.text for item in corpus_news()]
    assert len(texts) > 1000
    for text in texts:
        for limit in (400, 60):
            assert words(text, limit) == by_expression(text, limit), text[:80]
