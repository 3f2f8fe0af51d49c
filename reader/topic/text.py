"""Text into terms: the one tokenizer scoring and stories share, with stop words and languages.

Pure Python (no numpy), so commands that only need terms never load anything heavy. Terms are
lower-cased words of two or more letters or digits, accents folded ("Zürich" and "Zurich" are
one term), possessives dropped ("NATO's" is "nato"), and the stop words of seven European
languages left out. Word pairs ("liaison office", "board peace") are made from neighbouring
terms; a stop word between two words breaks the pair.

`language_of` guesses a text's language from its stop words: enough to tell English news from
German or Italian news. Scoring does not use it: every language's stop words are left out of
every text, so an item in another language than the seeds scores on the names it shares with
them (see `reader.topic.profile`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

WORD_LIMIT = 400
"""Words of a text read for scoring: the title and opening say what an article is about, and
bodies can be whole books; this bounds the cost of an item."""

_WORD = re.compile(r"[^\W_]{2,}")
_CHARS_PER_WORD = 12
"""Characters read per word wanted: enough for news prose, so a huge body is never folded whole."""

# Function words of the languages met in European news feeds, plus the reporting verbs and
# page furniture that carry no topic in news copy. Short on purpose: weights learned from the
# store (see `reader.topic.profile`) keep other common words low.
# fmt: off
_STOP = {
    "en": """a about above after again against all also am an and any are as at be because been
        before being below between both but by can could did do does doing down during each
        few for from further had has have having he her here hers herself him himself his how
        i if in into is it its itself just me more most my myself no nor not now of off on
        once only or other our ours ourselves out over own same she should so some such than
        that the their theirs them themselves then there these they this those through to too
        under until up very was we were what when where which while who whom why will with
        would you your yours yourself yourselves may might must shall us one two new also
        said says say told according reported reportedly report reports statement year years
        time times day days week weeks month months like including include includes included
        related news source sources link read photo image video click subscribe story stories
        article articles comment comments mr ms mrs dr et al percent per via get got make made
        many much well back even still way around since another every however including
        across among amid""",
    "de": """der die das den dem des ein eine einer eines einem einen und oder aber nicht ist
        sind war waren wird werden wurde wurden hat haben hatte mit von zu zum zur auf aus bei
        nach für über unter vor im in an am als auch es er sie wir ihr ich du sich noch nur so
        wie wenn dass daß was wer wo schon sehr mehr kann können soll sollen muss müssen hier
        dort durch gegen ohne bis seit um man diese dieser dieses jetzt heute""",
    "fr": """le la les un une des du de et ou mais ne pas est sont était été sera avec pour par
        sur dans au aux ce cette ces il elle ils elles nous vous je tu se qui que quoi dont où
        plus moins très aussi comme son sa ses leur leurs été avoir être fait selon""",
    "it": """il lo la i gli le un una uno di da del della dei delle degli dal dalla nel nella
        con per su tra fra e ed o ma non è sono era stato stata che chi cui come più anche
        questo questa quello quella si ci ne se al alla ai alle suo sua suoi loro ha hanno""",
    "es": """el la los las un una unos unas de del y o pero no es son era fue ser con para por
        en al lo que quien como más muy también este esta estos estas ese esa su sus se le
        les ha han había sobre entre hasta desde""",
    "pt": """o a os as um uma uns umas de do da dos das e ou mas não é são era foi ser com para
        por em no na nos nas ao que quem como mais muito também este esta esse essa seu sua
        se lhe há sobre entre até desde""",
    "nl": """de het een en of maar niet is zijn was waren wordt worden werd heeft hebben had met
        van voor op uit bij naar over onder door te om als ook er zij wij ik je dat dit die
        wat wie waar hier daar nog al meer""",
}
# fmt: on


_NON_ASCII = re.compile("[^\x00-\x7f]")

_FOLDED: dict[str, str] = {}
"""Each non-ASCII character met so far, folded (filled as texts come: a few hundred entries)."""


def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _folded(char: str) -> str:
    folded = _FOLDED.get(char)
    if folded is None:
        folded = _FOLDED[char] = _fold_char(char)
    return folded


def fold(text: str) -> str:
    """Lower case with accents removed: "Zürich" -> "zurich", "Macron’s" -> "macron’s"."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    # Each distinct non-ASCII character once (found by a regular expression, in C). A folded
    # character is fully decomposed, so it folds to itself: the order of replacing is free.
    for char in set(_NON_ASCII.findall(lowered)):
        folded = _folded(char)
        if folded != char:  # most are not (quotes, dashes, other scripts)
            lowered = lowered.replace(char, folded)
    return lowered


STOP_BY_LANGUAGE: dict[str, frozenset[str]] = {
    language: frozenset(fold(word) for word in words.split()) for language, words in _STOP.items()
}
STOP_WORDS: frozenset[str] = frozenset().union(*STOP_BY_LANGUAGE.values())
"""Every language's stop words: a word that is common in any of them carries no topic."""

_DETECT = {
    language: words
    - frozenset().union(*(w for other, w in STOP_BY_LANGUAGE.items() if other != language))
    for language, words in STOP_BY_LANGUAGE.items()
}
"""Stop words unique to each language, for telling languages apart."""


def _byte_table(*, lower: bool) -> bytes:
    """Bytes to bytes: ASCII letters and digits kept (upper case lowered if `lower`), every
    other byte a space (what `_WORD` splits on)."""
    table = bytearray(b" " * 256)
    for byte in b"abcdefghijklmnopqrstuvwxyz0123456789":
        table[byte] = byte
    for byte in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[byte] = byte + 32 if lower else byte
    return bytes(table)


_LOWERED_WORD_BYTES = _byte_table(lower=True)

_SPLIT: dict[str, str | None] = {}
"""Each non-ASCII character met so far, as splitting needs it once lowered and folded: the
ASCII it stands for ("" for a combining mark, which folding removes); " " when that is some
punctuation and no letter or digit (the character is left in place: the byte table makes each
of its UTF-8 bytes a space, as it would that punctuation); None when a letter or digit outside
ASCII (or an upper-case one) stays."""


def _split_form(char: str) -> str | None:
    if char in _SPLIT:
        return _SPLIT[char]
    parts: list[str] = []
    form: str | None = None
    for lowered in char.lower():  # lowering may make more than one character ("İ")
        folded = lowered if lowered.isascii() else _folded(lowered)
        # An upper-case letter left by folding ("™" is "TM") stays upper case in the plain
        # definition, which the table would lower: such texts take the regular expression.
        if any((c.isalnum() and not c.isascii()) or c.isupper() for c in folded):
            break
        parts.append("".join(c if c.isascii() else " " for c in folded))
    else:
        form = "".join(parts)
        if form and not any(c.isalnum() for c in form):
            form = " "
    _SPLIT[char] = form
    return form


def words(text: str, limit: int = WORD_LIMIT) -> list[str]:
    """The text's folded words in order (stop words included), at most `limit` of them.

    The same words as `_WORD.findall(fold(text))` (possessives need no removing: once its
    apostrophe splits it off, the "s" is a word of one letter, and those are left out), by the
    fastest route a text allows: most news is ASCII once its quotes and dashes (no word
    characters) are spaces, and is split as bytes through a table, in C. Only the non-ASCII
    characters that stand for letters or digits ("ü" for "u") are replaced first; the table
    makes the bytes of the others (quotes, dashes) spaces, and lowers ASCII, so the text is
    never lowered as a string. A letter that stays outside ASCII once folded (ß, other
    scripts) takes the regular expression.
    tests/test_text.py checks this against the plain definition on every text of the corpus.
    """
    head = text if len(text) <= limit * _CHARS_PER_WORD else text[: limit * _CHARS_PER_WORD]
    if head.isascii():
        found = head.encode("ascii").translate(_LOWERED_WORD_BYTES).decode("ascii").split()
    else:
        plain = head
        for char in set(_NON_ASCII.findall(head)):
            form = _SPLIT[char] if char in _SPLIT else _split_form(char)
            if form is None:
                return _WORD.findall(fold(head))[:limit]
            if form != " ":
                plain = plain.replace(char, form)
        found = plain.encode("utf-8").translate(_LOWERED_WORD_BYTES).decode("ascii").split()
    return [word for word in found if len(word) > 1][:limit]


def terms_of(sequence: Sequence[str], *, pairs: bool = True) -> list[str]:
    """Content terms of a word sequence: words that are not stop words, then word pairs."""
    kept: list[str] = []
    previous: str | None = None
    pair_terms: list[str] = []
    for word in sequence:
        if word in STOP_WORDS or (word.isdigit() and len(word) < 4):
            previous = None
            continue
        kept.append(word)
        if pairs and previous is not None:
            pair_terms.append(f"{previous} {word}")
        previous = word
    return kept + pair_terms


def terms(text: str, *, limit: int = WORD_LIMIT, pairs: bool = True) -> list[str]:
    """Content terms (words, then word pairs) of the first `limit` words of a text."""
    return terms_of(words(text, limit), pairs=pairs)


_SUFFIXES = (("ings", ""), ("ing", ""), ("ies", "y"), ("ed", ""), ("es", ""), ("s", ""), ("ly", ""))


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """A light English stemmer: "talks" and "talk", "indirectly" and "indirect" become one.

    Only common inflections are cut, and never below four letters, so names mostly survive.
    """
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + replacement
    return word


def language_of(sequence: Iterable[str], default: str = "en") -> str:
    """The language whose own stop words occur most in `sequence` (folded words); `default`
    when none does."""
    counts = dict.fromkeys(_DETECT, 0)
    for word in sequence:
        for language, unique in _DETECT.items():
            if word in unique:
                counts[language] += 1
    best = max(counts, key=lambda language: (counts[language], language == default))
    return best if counts[best] > 0 else default
