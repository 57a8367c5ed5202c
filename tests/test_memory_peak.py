"""The most (fewest) people in view at once, and when: a one-frame spike of extra boxes does not make the peak, a
window narrows it, and the answer is a count (or a time for 'when')."""

from __future__ import annotations

import pytest

from perception.memory import VideoMemory
from perception.memory.answer.grounded import GroundedAnswerer
from tests.test_memory_churn import _frame


def _busy_middle() -> VideoMemory:
    """12 s at 10 fps: A and B stand mid-image throughout; C walks in at the left edge at 3 s and out at 8 s; D walks
    in at the right edge at 4 s and out at 6 s; at 5 s two boxes flash below A and B for one frame (a detector spike)."""
    mem = VideoMemory()
    for i in range(121):
        boxes = [(1, (100.0, 80.0, 130.0, 150.0)), (2, (140.0, 80.0, 170.0, 150.0))]
        if 30 <= i <= 80:
            x = min(2.0 * (i - 30), 40.0) if i < 70 else 2.0 * (70 - i) + 40.0
            boxes.append((3, (x, 90.0, x + 30.0, 160.0)))
        if 40 <= i <= 60:
            x = 290.0 - min(2.0 * (i - 40), 20.0) if i < 55 else 270.0 + 4.0 * (i - 55)
            boxes.append((4, (x, 90.0, min(x + 30.0, 320.0), 160.0)))
        if i == 50:
            boxes += [(8, (150.0, 170.0, 180.0, 235.0)), (9, (190.0, 170.0, 220.0, 235.0))]
        mem.update(_frame(i, boxes))
    return mem


def _answer(mem: VideoMemory, question: str):
    (chunk,) = list(GroundedAnswerer().answer(mem.snapshot(), question))
    return chunk


def test_the_most_at_once_is_the_steady_peak_not_a_one_frame_spike():
    mem = _busy_middle()
    assert max(mem.snapshot().count_values) >= 5  # the spike is in the memory's own per-frame count
    chunk = _answer(mem, "What was the maximum number of people visible at once?")
    assert chunk.value == 4 and "4, first at" in chunk.text
    assert _answer(mem, "When was it busiest?").value == pytest.approx(4.0, abs=0.6)


def test_the_fewest_at_once_and_a_window():
    mem = _busy_middle()
    assert _answer(mem, "What was the fewest number of people visible at the same time?").value == 2
    assert _answer(mem, "max people at once in the last 3 seconds").value == 2  # 9-12 s: A and B only
    assert _answer(mem, "max people at once between 3 and 8 seconds").value == 4


def test_a_count_at_once_asked_against_a_number_is_yes_or_no():
    mem = _busy_middle()
    assert _answer(mem, "Were there ever more than 3 people at once?").value is True
    assert _answer(mem, "Were there ever more than 4 people at once?").value is False


def test_a_window_in_the_future_is_said_to_be_so():
    mem = _busy_middle()
    chunk = _answer(mem, "most people at once since 30 s")
    assert chunk.value is None and "future" in chunk.text


def test_a_summary_so_far_covers_the_whole_stream_in_a_few_lines():
    mem = VideoMemory()
    for i in range(121):  # 12 s: one stands mid-image; another walks in at the left edge every second from 1 s to 8 s
        boxes = [(k, (min(3.0 * (i - 10 * k), 40.0 * k), 20.0 * k, min(3.0 * (i - 10 * k), 40.0 * k) + 20.0, 20.0 * k + 50.0))
                 for k in range(1, 9) if i >= 10 * k] + [(20, (280.0, 20.0, 300.0, 70.0))]
        mem.update(_frame(i, boxes))
    recent = _answer(mem, "What happened?")  # no window: the last ten seconds
    assert recent.text.startswith("In the last 10 seconds")
    whole = _answer(mem, "Give me a summary of the video so far.")
    lines = whole.text.splitlines()
    assert lines[0] == "Between 0.0 s and 12.0 s:" and whole.value["appeared"] == list(range(1, 9))
    assert len(lines) <= 1 + 6 + 1  # the heading, at most six spans of time, the totals
    assert lines[1].startswith("0.0-2.0 s: 1 came in (#1)") and lines[-1].startswith("8 came")
