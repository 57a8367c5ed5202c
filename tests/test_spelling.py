"""Misspelt questions: words no dictionary knows are read as the question words they misspell; real words, British
spellings, slang and names are left as typed."""

from __future__ import annotations

import pytest

from perception.memory.understand.spelling import Speller, edit_distance
from perception.memory.understand.words import normalise

SPELLER = Speller(["minutes", "people", "arrived", "many", "came", "summary", "how", "in", "the", "view", "into"],
                  class_words=["cars", "fans", "men"], keep=["sitrep"])


@pytest.mark.parametrize("typed,meant", [
    ("minits", "minutes"),  # two edits from a question word, one from 'mints': the question word
    ("peopel", "people"), ("arivd", "arrived"), ("sumry", "summary"),
    ("meny", "many"),  # four letters: a changed vowel ...
    ("carrs", "cars"),  # ... or a doubled letter
    ("howmany", "how many"), ("intoview", "into view"),  # two words without the space between them
])
def test_a_misspelt_word_is_read_as_the_question_word_it_misspells(typed, meant):
    assert SPELLER.correct_word(typed) == meant


@pytest.mark.parametrize("word", [
    "cafe",  # four letters, a changed consonant: not 'came'
    "fense",  # two edits from 'fans', a class word: a class is only one edit away
    "kerb",  # unknown to the (US) dictionary, but no question word is near: as typed
    "mints", "office",  # English words stay, however near a question word
    "sitrep",  # a word to keep
    "zzyzx",  # nothing close: as typed
])
def test_real_words_names_and_far_words_stay(word):
    assert SPELLER.correct_word(word) == word


def test_contractions_and_short_words_are_left_alone():
    assert SPELLER.correct("aren't there mny") == "aren't there mny"


def test_edit_distance_counts_a_swap_of_neighbours_as_one():
    assert edit_distance("form", "from", 2) == 1
    assert edit_distance("people", "peopel", 2) == 1
    assert edit_distance("minutes", "minits", 2) == 2
    assert edit_distance("abc", "xyzuvw", 2) == 3  # over the limit: limit + 1


@pytest.mark.parametrize("typed,normalised", [
    ("how many diff motorbiks in past 15 minits", "how many different motorbike in past 15 minutes"),
    ("wen did the very frist persom apear on camra", "when did the very first person appear on camera"),
    ("how many birds flew of in the last minit and a haf", "how many birds flew off in the last 90 seconds"),
    ("hoe many seperate peopl since 2:15", "how many separate people since 2:15"),
    ("how many in the last 2 mins outside the cafe by the kerb", "how many in the last 2 mins outside the cafe by the kerb"),
])
def test_the_reader_normalises_misspelt_questions(typed, normalised):
    assert normalise(typed) == normalised
