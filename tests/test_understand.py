"""The question reader on paraphrase groups written independently of it (tests/data/qa_paraphrases.json):
all five questions of a group must read to the group's intent and slots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perception.memory.understand import INTENTS, read_question

GROUPS = json.loads((Path(__file__).parent / "data" / "qa_paraphrases.json").read_text(encoding="utf-8"))["groups"]


def _slots(r) -> dict:
    """The reading in the file's slot vocabulary."""
    out: dict = {"class": r.label or ("object" if r.label_word else None)}
    spec = r.reference if r.intent == "compare" else r.time
    if spec is not None:
        key = {"last": "window_s", "ago": "window_s" if r.intent == "compare" else "at_s", "since": "since_s", "at": "at_s"}.get(spec.kind)
        if key:
            out[key] = spec.a
    if r.region is not None:
        out["region"] = r.region.name.split()[0].replace("center", "centre")
    return {k: v for k, v in out.items() if v is not None}


@pytest.mark.parametrize("group", GROUPS, ids=[f"{g['intent']}-{i}" for i, g in enumerate(GROUPS)])
def test_paraphrases_read_to_one_intent_and_slots(group):
    want = dict(group["slots"])
    for q in group["questions"]:
        r = read_question(q)
        assert r.intent in INTENTS and 0.0 <= r.confidence <= 1.0
        got = _slots(r)
        assert r.intent == group["intent"], (q, r.intent, got)
        for k, v in want.items():
            if k == "class" and v == "object":
                assert got.get(k) in (None, "object"), (q, got)
            else:
                assert got.get(k) == v, (q, k, got)
