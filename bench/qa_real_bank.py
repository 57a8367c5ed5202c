"""Build the question bank for bench/qa_real.py: hand-written phrasings, truth computed from each sequence's gt.

    .venv/bin/python bench/qa_real_bank.py [--data ../shared/data/mot] [--out bench/qa_real_questions.json]
    .venv/bin/python bench/qa_real_bank.py --data /tmp/sparse --like PETS09-S2L2 --out /tmp/sparse/bank.json

Only questions whose truth is well defined at their time are kept (see bench/qa_real_truth.py); each item stores
its sequence, time, question, kind, answer type, truth and a one-line definition of the truth.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.qa_real_truth import SequenceTruth, Truth
from perception.io.atomic import atomic_write_text

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "mot"
BANK = REPO / "bench" / "qa_real_questions.json"

WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 10: "ten", 15: "fifteen", 20: "twenty", 30: "thirty"}
ANSWER_TYPE = {"count_now": "count", "count_distinct": "count", "count_entered": "count", "count_left": "count",
               "presence": "bool", "compare": "bool", "when_first": "seconds", "when_last": "seconds", "duration": "seconds"}


@dataclass(frozen=True)
class Plan:
    """Per sequence: times to ask at, windows (s), absolute reference times (s) and the most items per kind."""

    times: tuple[float, ...]
    windows: tuple[float, ...]
    marks: tuple[float, ...]
    per_kind: int


PLANS = {
    "TUD-Campus": Plan((0.6, 1.0, 1.2, 1.6, 2.0, 2.4, 2.72), (1.0, 2.0), (0.4, 1.0), 5),
    "PETS-S3-MF1": Plan((3.0, 5.0, 6.0, 8.0, 10.0, 12.0, 14.0, 15.0), (2.0, 3.0, 5.0, 10.0), (2.0, 4.0, 5.0), 7),
    "PETS09-S2L2": Plan(tuple(float(t) for t in range(5, 65, 5)) + (17.0, 22.0, 36.0, 47.0, 53.0, 58.0),
                        (5.0, 10.0, 20.0), (10.0, 20.0, 30.0), 12),
}


def span(seconds: float, words: bool) -> str:
    """'1 second', 'ten seconds', '2.5 seconds'."""
    n = int(seconds) if float(seconds).is_integer() else seconds
    text = WORDS.get(n, str(n)) if words and isinstance(n, int) else str(n)
    return f"{text} second" + ("" if n == 1 else "s")


def mark(seconds: float) -> str:
    """An absolute time as written in a question: '12' or '2.5'."""
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


# A phrasing: (template, truth variant). Slots: {dur} / {durw} a window in digits / words, {s} an absolute time.
PHRASINGS: dict[str, list[tuple[str, str]]] = {
    "count_now": [
        ("How many people are visible right now?", "now"),
        ("How many persons can you see at the moment?", "now"),
        ("How many pedestrians are in view currently?", "now"),
        ("Right now, how many folks are in the picture?", "now"),
        ("What's the number of people on screen at the moment?", "now"),
        ("Count the pedestrians that are visible now.", "now"),
        ("How many persons are in the frame currently?", "now"),
        ("How many people can be seen in the scene right now?", "now"),
    ],
    "count_distinct": [
        ("How many different people have appeared so far?", "distinct"),
        ("How many distinct persons have you seen since the start?", "distinct"),
        ("In total, how many individual pedestrians have shown up until now?", "distinct"),
        ("How many unique folks have been in view so far?", "distinct"),
        ("Since the video began, how many different people have been seen?", "distinct"),
        ("What is the total number of distinct pedestrians observed up to now?", "distinct"),
        ("How many separate persons has the camera seen so far?", "distinct"),
    ],
    "count_entered": [
        ("How many people came into view in the last {dur}?", "window"),
        ("How many pedestrians entered the scene over the past {durw}?", "window"),
        ("How many persons have appeared since t={s} s?", "since"),
        ("In the last {durw}, how many folks walked into the picture?", "window"),
        ("How many new arrivals were there in the past {dur}?", "window"),
        ("Since the {s}-second mark, how many people have entered the frame?", "since"),
        ("How many pedestrians showed up during the last {durw}?", "window"),
    ],
    "count_left": [
        ("How many people left the view in the last {dur}?", "window"),
        ("How many pedestrians walked out of the picture over the past {durw}?", "window"),
        ("How many persons have exited since t={s} s?", "since"),
        ("In the past {dur}, how many folks disappeared from view?", "window"),
        ("Since {s} seconds in, how many people have gone out of the frame?", "since"),
        ("How many pedestrians have left the scene during the last {durw}?", "window"),
    ],
    "presence": [
        ("Is anyone in the {region} of the picture right now?", "yes"),
        ("Is there somebody in the {region} of the frame at the moment?", "yes"),
        ("Are there any pedestrians in the {region} of the image currently?", "yes"),
        ("Can you see anybody in the {region} of the view now?", "yes"),
        ("Is the {region} of the picture empty of people right now?", "empty"),
        ("Any persons in the {region} of the scene currently?", "yes"),
        ("Does the {region} of the frame have any folks in it at the moment?", "yes"),
    ],
    "compare": [
        ("Are there more people now than {durw} ago?", "more_ago"),
        ("Are fewer pedestrians visible now than {dur} ago?", "fewer_ago"),
        ("Is it busier now than at t={s} s?", "more_at"),
        ("Compared with {dur} ago, are more persons in view at the moment?", "more_ago"),
        ("Is the scene less crowded now than it was at {s} seconds?", "fewer_at"),
        ("Do we have more folks in the picture currently than {durw} ago?", "more_ago"),
        ("Has the number of people gone down compared with {dur} ago?", "fewer_ago"),
        ("Is the crowd bigger right now than at the {s}-second mark?", "more_at"),
    ],
    "when_first": [
        ("When did the first person appear?", "first"),
        ("At what time did somebody first show up?", "first"),
        ("When was a pedestrian first seen?", "first"),
        ("What time did the first person come into view?", "first"),
        ("How many seconds into the video did anyone first appear?", "first"),
        ("When did the first folks show up in the picture?", "first"),
        ("When did the first person who wasn't there at the start appear?", "newcomer"),
        ("At what time did the first new pedestrian, one not present at the beginning, walk in?", "newcomer"),
        ("When did someone first walk into view after t={s} s?", "since"),
        ("After the {s}-second mark, when did the first person come into the picture?", "since"),
    ],
    "when_last": [
        ("When did the most recent newcomer appear?", "when"),
        ("At what time did the latest new person show up?", "when"),
        ("When did the last new pedestrian come into view?", "when"),
        ("How long ago did the most recent newcomer appear?", "ago"),
        ("How many seconds ago did somebody new last enter the picture?", "ago"),
        ("How long has it been since a new person showed up?", "ago"),
        ("When was the newest person first seen?", "when"),
    ],
    "duration": [
        ("How long has there been at least one person in view?", "occupied"),
        ("For how long has the scene had somebody in it?", "occupied"),
        ("How long has the picture had at least one pedestrian in it?", "occupied"),
        ("How long has the most recent newcomer been visible?", "newcomer"),
        ("How long was the latest new person in view?", "newcomer"),
        ("For how many seconds has the newest pedestrian been on screen?", "newcomer"),
        ("How long was the person who left most recently in view?", "leaver"),
        ("How long did the last pedestrian to leave stay in the picture?", "leaver"),
    ],
}
REGION_WORDS = {"left": ["left half"], "right": ["right half"], "top": ["top half", "upper half"],
                "bottom": ["bottom half", "lower half"], "centre": ["middle third (left to right)", "central third, left to right,"]}


@dataclass(frozen=True)
class Candidate:
    """One question at one time with its truth, before selection."""

    kind: str
    phrasing: int
    t: float
    question: str
    truth: Truth
    slot: str


def candidates(seq: SequenceTruth, kind: str, plan: Plan) -> list[Candidate]:
    """Every phrasing of ``kind`` at every planned time and slot value whose truth is well defined."""
    out = []
    for p, (template, variant) in enumerate(PHRASINGS[kind]):
        for t in plan.times:
            for text, truth, slot in _fill(seq, kind, variant, template, t, plan):
                if truth is not None:
                    out.append(Candidate(kind, p, t, text, truth, slot))
    return out


def _fill(seq: SequenceTruth, kind: str, variant: str, template: str, t: float, plan: Plan):
    """(question text, truth, slot value) for each slot value the template takes at time ``t``."""
    windows = lambda fn: [(template.format(dur=span(w, False), durw=span(w, True)), fn(w), f"window {w}") for w in plan.windows]
    marks = lambda fn: [(template.format(s=mark(m)), fn(m), f"mark {m}") for m in plan.marks if m < t]
    one = lambda fn: [(template, fn(), "")]
    table: dict[tuple[str, str], Callable[[], list]] = {
        ("count_now", "now"): lambda: one(lambda: seq.count_now(t)),
        ("count_distinct", "distinct"): lambda: one(lambda: seq.count_distinct(t)),
        ("count_entered", "window"): lambda: windows(lambda w: seq.count_window(t, "entered", window_s=w)),
        ("count_entered", "since"): lambda: marks(lambda m: seq.count_window(t, "entered", since_s=m)),
        ("count_left", "window"): lambda: windows(lambda w: seq.count_window(t, "left", window_s=w)),
        ("count_left", "since"): lambda: marks(lambda m: seq.count_window(t, "left", since_s=m)),
        ("compare", "more_ago"): lambda: windows(lambda w: seq.compare(t, "more", ago_s=w)),
        ("compare", "fewer_ago"): lambda: windows(lambda w: seq.compare(t, "fewer", ago_s=w)),
        ("compare", "more_at"): lambda: marks(lambda m: seq.compare(t, "more", at_s=m)),
        ("compare", "fewer_at"): lambda: marks(lambda m: seq.compare(t, "fewer", at_s=m)),
        ("when_first", "first"): lambda: one(lambda: seq.when_first(t)),
        ("when_first", "newcomer"): lambda: one(lambda: seq.when_first(t, newcomer=True)),
        ("when_first", "since"): lambda: marks(lambda m: seq.when_first(t, since_s=m)),
        ("when_last", "when"): lambda: one(lambda: seq.when_last(t)),
        ("when_last", "ago"): lambda: one(lambda: seq.when_last(t, ago=True)),
        ("duration", "occupied"): lambda: one(lambda: seq.duration_occupied(t)),
        ("duration", "newcomer"): lambda: one(lambda: seq.duration_newcomer(t)),
        ("duration", "leaver"): lambda: one(lambda: seq.duration_leaver(t)),
    }
    if kind == "presence":
        out = []
        for region, words in REGION_WORDS.items():
            truth = seq.presence(t, region)
            if truth is not None and variant == "empty":
                truth = Truth(not truth.value, truth.frame, "NOT (" + truth.definition + ") -- the question asks whether the region is empty")
            out += [(template.format(region=w), truth, w) for w in words]
        return out
    return table[(kind, variant)]()


def select(cands: list[Candidate], per_kind: int, used: collections.Counter) -> list[Candidate]:
    """Up to ``per_kind`` candidates spread over times, least-used phrasing and slot value first, no repeated question at one time;
    for yes/no kinds, alternate between true and false answers while both remain."""
    by_t: dict[float, list[Candidate]] = collections.defaultdict(list)
    for c in cands:
        by_t[c.t].append(c)
    chosen: list[Candidate] = []
    asked: set[tuple[float, str]] = set()
    want = True
    while len(chosen) < per_kind and any(by_t.values()):
        for t in sorted(by_t):
            pool = [c for c in by_t[t] if (t, c.question) not in asked]
            if not pool or len(chosen) >= per_kind:
                by_t[t] = pool
                continue
            yes_no = isinstance(pool[0].truth.value, bool)
            best = min(pool, key=lambda c: (yes_no and c.truth.value != want,
                                            used[(c.kind, c.phrasing)] + used[(c.kind, c.slot)], pool.index(c)))
            want = not best.truth.value if yes_no else want
            chosen.append(best)
            asked.add((t, best.question))
            used[(best.kind, best.phrasing)] += 1
            used[(best.kind, best.slot)] += 1
            by_t[t] = [c for c in pool if c is not best]
    return sorted(chosen, key=lambda c: c.t)


def build(data: Path, plans: dict[str, Plan] = PLANS) -> list[dict]:
    """The bank: every sequence of ``plans`` found under ``data``, every kind."""
    items: list[dict] = []
    used: collections.Counter = collections.Counter()
    for name, plan in plans.items():
        seq = SequenceTruth(data / name)
        for kind in PHRASINGS:
            for c in select(candidates(seq, kind, plan), plan.per_kind, used):
                items.append({"sequence": name, "t": c.t, "question": c.question, "kind": kind, "type": ANSWER_TYPE[kind],
                              "truth": c.truth.value, "frame": c.truth.frame + 1, "definition": c.truth.definition})
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="folder holding the MOT sequences")
    ap.add_argument("--out", type=Path, default=BANK)
    ap.add_argument("--like", choices=sorted(PLANS), help="ask every sequence with gt under --data at the times of "
                    "this shared sequence's plan (copies of it, such as bench/sparse_copy.py makes)")
    args = ap.parse_args()
    plans = PLANS
    if args.like:
        plans = {p.name: PLANS[args.like] for p in sorted(args.data.iterdir()) if (p / "gt" / "gt.txt").is_file()}
        if not plans:
            ap.error(f"no sequence with gt/gt.txt under {args.data}")
    items = build(args.data, plans)
    doc = {"about": "Questions about real MOT sequences with truth computed from gt/gt.txt by bench/qa_real_bank.py. "
                    "t: stream seconds (frame index / frameRate); frame: the 1-based gt frame the truth is computed at "
                    "(the first frame at or after t). Counts are graded exact, yes/no exact, seconds within 2 s.",
           "items": items}
    atomic_write_text(args.out, json.dumps(doc, indent=1) + "\n")
    table = collections.Counter((it["sequence"], it["kind"]) for it in items)
    for name in plans:
        print(name, {k: table[(name, k)] for k in PHRASINGS})
    print(f"wrote {len(items)} questions to {args.out}")


if __name__ == "__main__":
    main()
