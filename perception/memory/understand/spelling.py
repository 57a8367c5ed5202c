"""Spelling mistakes in questions: a word no English dictionary knows becomes the question word it is closest to
('minits' -> 'minutes', 'peopel' -> 'people', 'arivd' -> 'arrived'), or two question words typed without a space
('howmany' -> 'how many'); any other word is left as typed (a name, a British spelling, jargon).

The English dictionary is pyspellchecker's; only the preference for the question's own words is the reader's idea.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache

from spellchecker import SpellChecker

# words two glued ones may be made of, besides the question words ('inthe', 'whendid', 'intoview')
_GLUE = frozenset("a an the in on at to of is are was were did do does has have how when what where who now any more "
                  "less many much long last first there their from into view".split())
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")  # "aren't" is one word
_EDIT_COST = math.log(300.0)
_RARE = 100  # an English word seen fewer times in the dictionary's corpus is no word a question means ('truk', 'sumy')


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance of ``a`` and ``b`` (edits, swaps of neighbours), or ``limit + 1`` once over."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _slip_of_four(typed: str, word: str) -> bool:
    """Whether ``word`` differs from the four letters ``typed`` by a lost, added or swapped letter, or one vowel."""
    if len(word) != len(typed) or sorted(word) == sorted(typed):
        return True
    changed = [(a, b) for a, b in zip(typed, word) if a != b]
    return len(changed) == 1 and all(c in "aeiou" for c in changed[0])


class Speller:
    """Corrects the misspelt words of a lower-case question towards ``words`` (the words questions turn on, up to two
    edits away) and ``class_words`` (one edit away: a misspelt word read as a class changes what is counted); ``keep``
    are words never corrected (slang and jargon the reader knows: 'sitrep', 'peaced')."""

    def __init__(self, words: Iterable[str], class_words: Iterable[str] = (), keep: Iterable[str] = (), min_length: int = 4):
        self.words, self.class_words = frozenset(words), frozenset(class_words) - frozenset(words)
        self.vocabulary = self.words | self.class_words | frozenset(keep)
        self.min_length = min_length
        self._english = SpellChecker(distance=1)
        self._by_letter: dict[str, list[tuple[str, int]]] = {}
        for w in sorted(self.words | self.class_words):
            self._by_letter.setdefault(w[0], []).append((w, 1 if w in self.class_words else 2))

    def known(self, word: str) -> bool:
        """Whether ``word`` is a question word, a word to keep or an English word (not a rare one)."""
        return word in self.vocabulary or self._english.word_frequency[word] >= _RARE

    @lru_cache(maxsize=4096)  # noqa: B019 (one speller per process)
    def correct_word(self, word: str) -> str:
        """``word``, or the question word it most likely misspells (see module doc); the first letter is kept as typed,
        and a word of four letters only loses, gains or swaps a letter or changes a vowel ('meny' is 'many', but
        'cafe' is no 'came')."""
        if len(word) < self.min_length or self.known(word):
            return word
        split = self._split(word)
        if split:
            return split
        limit = 1 if len(word) <= 4 else 2
        scored = [(self._score(w, d), w) for w, most in self._by_letter.get(word[0], ())
                  if (d := edit_distance(word, w, min(limit, most))) <= min(limit, most)
                  and (len(word) > 4 or _slip_of_four(word, w))]
        return max(scored)[1] if scored else word

    def correct(self, text: str) -> str:
        """``text`` with each misspelt word corrected."""
        return _WORD.sub(lambda m: m.group(0) if "'" in m.group(0) else self.correct_word(m.group(0)), text)

    def _split(self, word: str) -> str | None:
        """Two question words (or words of ``_GLUE``) typed without the space between them, if ``word`` is that."""
        parts = [(word[:i], word[i:]) for i in range(1, len(word))]
        ok = [f"{a} {b}" for a, b in parts if all(p in self.vocabulary or p in _GLUE for p in (a, b)) and min(len(a), len(b)) > 1]
        return ok[0] if len(ok) == 1 else None

    def _score(self, word: str, distance: int) -> float:
        """How likely ``word`` is what was meant: its English frequency, a 300th for each edit."""
        return math.log1p(self._english.word_frequency[word]) - _EDIT_COST * distance
