"""The question inside a benchmark's or an agent's wrapping (perception/memory/understand/wrappers.py)."""

from __future__ import annotations

import pytest

from perception.memory.understand import read_question
from perception.memory.understand.wrappers import unwrap


@pytest.mark.parametrize("question", [
    "How many people left in the last 10 seconds?",
    "Give the time at which the first person appeared.",
    "Return the number of people who left in the last 10 s.",
    "Report the count of cars.",
    "How many person(s) are visible now?",
    "Is anyone there (left side)?",
    "I saw a bus earlier, but how many cars are there now?",
    "The bus left, right? How many are left?",
    "You are at 1:30 now; is anyone in view?",
])
def test_a_plain_question_is_left_as_it_is(question):
    assert unwrap(question) == question


@pytest.mark.parametrize("wrapped,question", [
    ("How many cars are visible? Answer with a single number.", "How many cars are visible?"),
    ("Is anybody on the left? Respond yes or no.", "Is anybody on the left?"),
    ("When did the first bus arrive? Give the time in seconds.", "When did the first bus arrive?"),
    ("How long was #4 in view? Integer only, no text.", "How long was #4 in view?"),
    ("Question: How many dogs now?\n(A) none (B) one (C) two", "How many dogs now?"),
    ("System: You are a careful video analyst.\nUser: Where is track 2?", "Where is track 2?"),
    ("You are watching a street camera. How many people are there?", "How many people are there?"),
    ("[INST] How many trucks left since 0:40? [/INST]", "How many trucks left since 0:40?"),
    ("### Task\nCount the cyclists in view.\n### Output\nOne integer.", "Count the cyclists in view."),
    ("Q: When did the last car arrive? A:", "When did the last car arrive?"),
    ('Summarise the last minute. Return your answer as JSON: {"summary": "..."}', "Summarise the last minute."),
    ("Based on the video so far, how many buses came in?", "how many buses came in?"),
    ("Coach Dave here - how many of my lads are there now?", "how many of my lads are there now?"),
    ("Mrs Patel here. Is the school bus outside?", "Is the school bus outside?"),
    ("Is anyone here - on the left?", "Is anyone here - on the left?"),
])
def test_instructions_options_and_labels_come_off(wrapped, question):
    assert unwrap(wrapped) == question


@pytest.mark.parametrize("call,words", [
    ("count_exits(class='person', since='0:25')", "count exits person since 0:25"),
    ("get_location(track=6, t=\"0:50\") -> region", "get location track #6 at 0:50"),
    ('ask_video("how many people are in view now") -> int', "how many people are in view now"),
    ('{"task": "count_entries", "object": "bicycle", "window": "last 2 minutes", "return": "int"}',
     "count entries bicycle in the last 2 minutes"),
    ('{"query": "number of cars entering", "window": 5, "unit": "minutes"}', "number of cars entering in the last 5 minutes"),
    ('{"query": "visible duration of track_id=8", "unit": "seconds"}', "visible duration of track_id=8"),
    ('{"query": "number of people", "window": "1:00-2:00"}', "number of people 1:00-2:00"),
])
def test_calls_and_json_become_words(call, words):
    assert unwrap(call) == words


def test_a_json_prompt_reads_to_its_track_and_window():
    duration = read_question('{"query": "visible duration of track_id=8", "unit": "seconds"}')
    assert (duration.intent, duration.track_id, duration.time) == ("duration", 8, None)
    window = read_question('{"query": "number of people", "window": "1:00-2:00"}').time
    assert (window.kind, window.a, window.b) == ("between", 60.0, 120.0)


def test_nothing_but_an_instruction_is_kept_as_written():
    assert unwrap("Answer with a number.") == "Answer with a number."
