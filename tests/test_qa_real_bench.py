"""bench/qa_real: truth from gt on a small hand-made sequence, the committed bank against the shared gt, and grading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import qa_peak_bank
from bench.qa_real import extract, is_correct
from bench.qa_real_bank import BANK, build
from bench.qa_real_truth import SequenceTruth


@pytest.fixture
def small_seq(tmp_path: Path) -> Path:
    """10 fps, 30 frames, 100 x 100: id 1 always (right of centre), id 2 frames 11-20 (left), id 3 frames 21-30 (half outside, right),
    id 4 always but outside the image (never visible)."""
    (tmp_path / "img1").mkdir()
    (tmp_path / "gt").mkdir()
    (tmp_path / "seqinfo.ini").write_text("[Sequence]\nname=small\nimDir=img1\nframeRate=10\nseqLength=30\n"
                                          "imWidth=100\nimHeight=100\nimExt=.jpg\n")
    rows = [(f, 1, 55, 60, 10, 30) for f in range(1, 31)]
    rows += [(f, 2, 5, 10, 10, 30) for f in range(11, 21)]
    rows += [(f, 3, 90, 60, 20, 30) for f in range(21, 31)]
    rows += [(f, 4, 120, 10, 10, 30) for f in range(1, 31)]
    rows.sort()
    (tmp_path / "gt" / "gt.txt").write_text("".join(f"{f},{i},{x},{y},{w},{h},-1,-1,-1,-1\n" for f, i, x, y, w, h in rows))
    return tmp_path


def test_truth_on_a_small_sequence(small_seq: Path) -> None:
    seq = SequenceTruth(small_seq)
    assert seq.count_now(0.5).value == 1  # type: ignore[union-attr]
    assert seq.count_now(1.0) is None  # id 2 enters at this very frame: the count is not stable over +-1 frame
    assert seq.count_now(1.5).value == 2  # type: ignore[union-attr]
    assert seq.count_distinct(2.5).value == 3  # type: ignore[union-attr]
    assert seq.count_window(1.8, "entered", window_s=1.0).value == 1  # type: ignore[union-attr]
    assert seq.count_window(2.5, "left", window_s=1.0).value == 1  # type: ignore[union-attr]
    assert seq.count_window(2.0, "left", window_s=1.0) is None  # the exit is on the window's end frame
    assert seq.when_first(2.5).value == 0.0  # type: ignore[union-attr]
    assert seq.when_first(2.5, newcomer=True).value == 1.0  # type: ignore[union-attr]
    assert seq.when_last(2.5).value == 2.0  # type: ignore[union-attr]
    assert seq.when_last(2.5, ago=True).value == 0.5  # type: ignore[union-attr]
    assert seq.duration_leaver(2.5).value == pytest.approx(0.9)  # type: ignore[union-attr]
    assert seq.duration_newcomer(2.5).value == pytest.approx(0.5)  # type: ignore[union-attr]
    assert seq.presence(1.5, "left").value is True  # type: ignore[union-attr]
    assert seq.presence(0.5, "left").value is False  # type: ignore[union-attr]
    assert seq.presence(2.5, "right").value is True  # type: ignore[union-attr]
    assert seq.compare(2.5, "more", ago_s=1.0).value is False  # type: ignore[union-attr]


def test_committed_bank_is_what_the_gt_gives(shared_data: Path) -> None:
    assert json.loads(BANK.read_text())["items"] == build(shared_data / "mot")


def test_peak_truth_on_a_small_sequence(small_seq: Path) -> None:
    items = qa_peak_bank.items_for(SequenceTruth(small_seq), "small")
    last = [it for it in items if it["t"] == 2.9]  # asked at the last frame
    assert {it["truth"] for it in last if it["kind"] == "count_peak_most"} == {2}  # id 1 with id 2, then with id 3
    assert {it["truth"] for it in last if it["kind"] == "count_peak_fewest"} == {1}  # id 1 alone, frames 1-10
    assert {it["truth"] for it in last if it["kind"] == "when_peak_when_most"} == {1.0}  # two in view from frame 11 on
    window = {it["truth"] for it in last if it["kind"] == "count_peak_most_window"}
    assert window == {2} and all("{n}" not in it["question"] for it in items)


def test_committed_peak_bank_is_what_the_gt_gives(shared_data: Path) -> None:
    assert json.loads(qa_peak_bank.BANK.read_text())["items"] == qa_peak_bank.build(shared_data / "mot")


def test_grading() -> None:
    assert is_correct(extract({"value": 3, "answer": "5 people"}, "count"), 3, "count")
    assert is_correct(extract({"value": None, "answer": "I see five people now."}, "count"), 5, "count")
    assert not is_correct(extract({"answer": "Closest matches: 1.6 s: object #55"}, "count"), 1, "count")
    assert is_correct(extract({"answer": "Yes, two people on the left."}, "bool"), True, "bool")
    assert not is_correct(extract({"answer": "Closest matches in memory: 0.4 s"}, "bool"), False, "bool")
    assert is_correct(extract({"value": 2.9}, "seconds"), 1.0, "seconds")
    assert not is_correct(extract({"value": 3.1}, "seconds"), 1.0, "seconds")
    assert not is_correct(True, 1, "count")
