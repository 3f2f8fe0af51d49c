"""The tokenizer's fast routes (bytes through a table, a set of stop words and short numbers)
give exactly what its plain definition gives, on every real news text of the corpus and on edge
cases: scoring and the stories' lead terms both read text through it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import pytest

from bench.topic_data import corpus_news
from reader.topic.text import STOP_WORDS, fold, terms, terms_of, words

from .conftest import needs_corpus

EDGES = [
    "a_b __ x1 ab_cd 12_34",
    "don’t stop—now “quoted” – dash ‘single’",
    "tab\tsep\x1cfs\x1dgs\x7fdel",
    "Zürich’s straße ßx",
    "NATO's 2024 summit; e.g. U.S.-led",
    "NATO'S o'sullivan it’s x's_y 's s'",
    "",
    "a",
    "éé",
    "\xa0nbsp\xa0here",
    "x…y",
    "C++ c# .net",
    "١٢٣ digits ٤٥ 12 123 1234 007",
    "日本 language",
    "Ⅻ ² ½ numerals ²³ 1²",
    "outTM™ ﬁne ǆungla ẛx",
    "\u212aelvin \u0130stanbul",
    "ab\u0301cd e\u0301te\u0301",
    "Ærø Øresund Łódź İzmir",
    "the the board of peace board peace",
]

_PLAIN_WORD = re.compile(r"[^\W_]{2,}")
_PLAIN_POSSESSIVE = re.compile(r"['’]s\b")


def plain_fold(text: str) -> str:
    """Lower case, then every non-ASCII character decomposed without its combining marks."""
    lowered = text.lower()
    for char in set(lowered):
        if ord(char) > 127:
            decomposed = unicodedata.normalize("NFKD", char)
            folded = "".join(c for c in decomposed if not unicodedata.combining(c))
            lowered = lowered.replace(char, folded)
    return lowered


def plain_words(text: str, limit: int) -> list[str]:
    """What `words` is defined as: the regular expression on the folded text, possessives cut."""
    head = text[: limit * 12]
    return _PLAIN_WORD.findall(_PLAIN_POSSESSIVE.sub("", plain_fold(head)))[:limit]


def plain_terms_of(sequence: Sequence[str], *, pairs: bool = True) -> list[str]:
    """What `terms_of` is defined as: one loop, a stop word or short number breaking a pair."""
    kept: list[str] = []
    pair_terms: list[str] = []
    previous: str | None = None
    for word in sequence:
        if word in STOP_WORDS or (word.isdigit() and len(word) < 4):
            previous = None
            continue
        kept.append(word)
        if pairs and previous is not None:
            pair_terms.append(f"{previous} {word}")
        previous = word
    return kept + pair_terms


@pytest.mark.parametrize("limit", [400, 60, 3])
def test_words_are_the_plain_definitions_words_on_edge_cases(limit: int) -> None:
    for text in EDGES:
        assert words(text, limit) == plain_words(text, limit), text
        assert fold(text) == plain_fold(text), text


@pytest.mark.parametrize("pairs", [True, False])
def test_terms_are_the_plain_definitions_terms_on_edge_cases(pairs: bool) -> None:
    for text in EDGES:
        found = plain_words(text, 400)
        assert terms_of(found, pairs=pairs) == plain_terms_of(found, pairs=pairs), text
    odd = ["", "5", "12", "١٢", "²³", "1234", "the", "x", "board", "peace", "007", "board"]
    assert terms_of(odd) == plain_terms_of(odd)


@needs_corpus
def test_words_and_terms_are_the_plain_definitions_on_every_real_news_text() -> None:
    texts = [item.text for item in corpus_news()]
    assert len(texts) > 1000
    # Whole texts, the prefix scoring reads, and each line alone (the stories read titles).
    pieces = [*texts, *(t[:3200] for t in texts), *(line for t in texts for line in t.split("\n"))]
    for text in pieces:
        assert fold(text) == plain_fold(text), text[:80]
        for limit in (400, 60):
            found = plain_words(text, limit)
            assert words(text, limit) == found, text[:80]
            assert terms_of(found) == plain_terms_of(found), text[:80]
            assert terms_of(found, pairs=False) == plain_terms_of(found, pairs=False), text[:80]
        assert terms(text) == plain_terms_of(plain_words(text, 400)), text[:80]
