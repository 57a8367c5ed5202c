"""The built-in answerer against questions generated from a scripted scene's ground truth."""

from __future__ import annotations

import collections

from perception.memory import MemoryStage
from perception.testing.memory_qa import KINDS, generate_qa, is_correct
from perception.testing.memory_scenes import ScriptedScene


def test_builtin_answerer_is_at_least_95_percent_correct():
    scene = ScriptedScene(seed=11, duration_s=320.0, jitter_px=2.0)
    items = generate_qa(scene, 220, seed=11)
    assert len(items) >= 200
    assert {it.kind for it in items} == set(KINDS)
    assert sum(it.long_ago for it in items) >= 50  # about things gone for over a minute, long out of STAR memory
    by_frame = collections.defaultdict(list)
    for it in items:
        by_frame[it.ask_frame].append(it)
    stage = MemoryStage(narrate=False)
    asked = []
    for i in range(scene.frames):
        stage.process(scene.result(i))
        asked += [(it, stage.ask(it.question)) for it in by_frame.get(i, [])]
    answers = [(it, fut.result(timeout=30)) for it, fut in asked]
    stage.close()
    wrong = [(it.question, it.expected, a.value) for it, a in answers if not is_correct(it, a.value)]
    accuracy = 1 - len(wrong) / len(answers)
    assert accuracy >= 0.95, wrong
    assert all(a.citations for _, a in answers)


def test_questions_do_not_depend_on_the_memory():
    scene = ScriptedScene(seed=3, duration_s=120.0)
    a = generate_qa(scene, 50, seed=3)
    b = generate_qa(ScriptedScene(seed=3, duration_s=120.0), 50, seed=3)
    assert a == b  # same ground truth, same questions: nothing but the script feeds the generator
