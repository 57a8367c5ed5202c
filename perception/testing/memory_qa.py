"""Questions with expected answers derived from a ScriptedScene's ground truth only (never from the memory).

Definitions follow the answerer's documented semantics: an object is "seen" once a tracker would confirm
it; image regions are the nine thirds-grid cells; sizes and colours are the scripted labels.
Questions whose truth sits within a hair of a boundary (a count change, a grid line) are not asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from perception.testing.memory_scenes import CONFIRM_FRAMES, SceneObject, ScriptedScene

KINDS = ("count_now", "count_at", "count_distinct", "first_seen", "first_seen_colour", "last_seen", "where_at",
         "where_now", "where_now_colour", "colour", "size", "between", "duration")


@dataclass(frozen=True)
class QAItem:
    """One question asked at frame ``ask_frame`` with its expected answer value and tolerance."""

    ask_frame: int
    question: str
    kind: str
    expected: Any
    tolerance: float = 0.0
    long_ago: bool = False


def _region(x: float, y: float, w: int, h: int) -> str:
    col = ("left", "center", "right")[min(2, int(3 * x / w))]
    row = ("top", "middle", "bottom")[min(2, int(3 * y / h))]
    return ("center" if col == "center" else f"middle {col}") if row == "middle" else f"{row} {col}"


class _Truth:
    """Frame-level ground truth of a scene: which objects are confirmed-visible when."""

    def __init__(self, scene: ScriptedScene):
        self.scene = scene
        self.fps = scene.fps
        self.frames: dict[int, np.ndarray] = {}
        self.first: dict[int, int] = {}
        for o in scene.objects:
            bf = math.ceil(o.birth * self.fps - 1e-9)
            df = min(scene.frames, math.ceil(o.death * self.fps - 1e-9))
            self.first[o.id] = bf
            self.frames[o.id] = np.array([i for i in range(bf, df) if scene.confirmed_visible(o, i)], dtype=np.int64)
        self.count = np.zeros(scene.frames + 1, dtype=np.int64)
        for f in self.frames.values():
            self.count[f] += 1
        self.by_id = {o.id: o for o in scene.objects}

    def seen_by(self, o: SceneObject, i: int) -> bool:
        f = self.frames[o.id]
        return len(f) > 0 and f[0] <= i

    def visible(self, o: SceneObject, i: int) -> bool:
        f = self.frames[o.id]
        k = np.searchsorted(f, i)
        return k < len(f) and f[k] == i

    def last_seen_frame(self, o: SceneObject, i: int) -> int:
        f = self.frames[o.id]
        return int(f[np.searchsorted(f, i, side="right") - 1])

    def stable_count(self, i: int, margin: int) -> bool:
        lo, hi = max(0, i - margin), min(len(self.count) - 1, i + margin)
        return bool(np.all(self.count[lo:hi + 1] == self.count[i]))

    def clear_of_grid(self, o: SceneObject, t: float, margin: float = 0.05) -> bool:
        s = self.scene
        x, y = o.center(t)
        fx, fy = 3 * x / s.width, 3 * y / s.height
        return min(abs(fx - round(fx)), abs(fy - round(fy))) > 3 * margin or (
            min(abs(fx - 1), abs(fx - 2)) > 3 * margin and min(abs(fy - 1), abs(fy - 2)) > 3 * margin)


def generate_qa(scene: ScriptedScene, n: int, seed: int = 0, ask_times: int = 12, long_ago_s: float = 60.0) -> list[QAItem]:
    """``n`` questions at ``ask_times`` moments through the stream, about now, the recent and the long-ago past."""
    rng = np.random.default_rng(seed)
    truth = _Truth(scene)
    asks = np.sort(rng.choice(np.arange(int(0.3 * scene.frames), scene.frames - 1), size=ask_times, replace=False))
    items: list[QAItem] = []
    per = math.ceil(n / ask_times)
    for a in asks:
        made, tries = 0, 0
        while made < per and tries < per * 60 and len(items) < n:
            tries += 1
            item = _make(str(rng.choice(KINDS)), int(a), truth, rng, long_ago_s)
            if item is not None and all(item.question != it.question or item.ask_frame != it.ask_frame for it in items):
                items.append(item)
                made += 1
    return items


def _pick(truth: _Truth, i: int, rng: np.random.Generator, long_ago_s: float) -> tuple[SceneObject, bool] | None:
    seen = [o for o in truth.scene.objects if truth.seen_by(o, i)]
    old = [o for o in seen if truth.last_seen_frame(o, i) / truth.fps < i / truth.fps - long_ago_s]
    if old and rng.random() < 0.5:
        return old[int(rng.integers(len(old)))], True
    return (seen[int(rng.integers(len(seen)))], False) if seen else None


def _make(kind: str, i: int, truth: _Truth, rng: np.random.Generator, long_ago_s: float) -> QAItem | None:
    """One question of ``kind`` asked at frame ``i``, or None when no unambiguous one exists."""
    s, fps, now = truth.scene, truth.fps, i / truth.fps
    if kind == "count_now":
        if not truth.stable_count(i, 3):
            return None
        q = str(rng.choice(["How many objects are visible now?", "How many objects can you see right now?",
                            "How many boxes are in view at the moment?"]))
        return QAItem(i, q, kind, int(truth.count[i]))
    if kind == "count_at":
        t = float(rng.uniform(1.0, now - 1.0))
        f = int(math.floor(t * fps + 1e-9))
        if not truth.stable_count(f, 3):
            return None
        q = str(rng.choice([f"How many objects were visible at {t:.2f} s?", f"How many objects were in view at t={t:.2f}?",
                            f"How many objects could be seen at {int(t // 60)}:{t % 60:05.2f}?"]))
        return QAItem(i, q, kind, int(truth.count[f]), long_ago=now - t > long_ago_s)
    if kind == "count_distinct":
        if any(abs(truth.first[o.id] + CONFIRM_FRAMES - i) <= 3 for o in s.objects):
            return None
        n = sum(1 for o in s.objects if truth.seen_by(o, i))
        q = str(rng.choice(["How many distinct objects have been seen so far?", "How many different objects have you seen in total?"]))
        return QAItem(i, q, kind, n)
    if kind == "first_seen_colour":
        colour = str(rng.choice(sorted({o.colour for o in s.objects})))
        seen = [o for o in s.objects if o.colour == colour and truth.seen_by(o, i - 3)]
        if not seen:
            return None
        first = min(truth.first[o.id] for o in seen) / fps
        return QAItem(i, f"When was a {colour} object first seen?", kind, first, 0.5, now - first > long_ago_s)
    if kind == "where_now_colour":
        vis = [o for o in s.objects if truth.visible(o, i)]
        colour = str(rng.choice(sorted({o.colour for o in vis}))) if vis else None
        same = [o for o in vis if o.colour == colour]
        if len(same) != 1 or not truth.clear_of_grid(same[0], now) or not all(truth.visible(same[0], k) for k in (i - 3, i)):
            return None
        return QAItem(i, f"Where is the {colour} object now?", kind, _region(*same[0].center(now), s.width, s.height))
    if kind == "where_now":
        vis = [o for o in s.objects if all(truth.visible(o, k) for k in range(i - 3, i + 1)) and truth.clear_of_grid(o, now)]
        if not vis:
            return None
        o = vis[int(rng.integers(len(vis)))]
        return QAItem(i, f"Where is object {o.id} now?", kind, _region(*o.center(now), s.width, s.height))
    pick = _pick(truth, i, rng, long_ago_s)
    if pick is None:
        return None
    o, old = pick
    oid = o.id
    if kind == "first_seen":
        q = str(rng.choice([f"When was object {oid} first seen?", f"When did track #{oid} first appear?",
                            f"At what time did object {oid} show up?"]))
        return QAItem(i, q, kind, truth.first[oid] / fps, 0.5, old)
    if kind == "last_seen":
        if o.death > now - 1.0 or truth.visible(o, i):
            return None
        q = str(rng.choice([f"When was object {oid} last seen?", f"When did object {oid} leave?", f"When did track {oid} disappear?"]))
        return QAItem(i, q, kind, truth.last_seen_frame(o, i) / fps, 0.5, old)
    if kind == "where_at":
        f = truth.frames[oid]
        f = f[f <= i - 3]
        if len(f) == 0:
            return None
        k = int(f[int(rng.integers(len(f)))])
        if not all(truth.visible(o, j) for j in range(k - 3, k + 4)) or not truth.clear_of_grid(o, k / fps):
            return None
        t = k / fps
        q = str(rng.choice([f"Where was object {oid} at {t:.1f} s?", f"Where was track {oid} at t={t:.1f}?"]))
        return QAItem(i, q, kind, _region(*o.center(t), s.width, s.height), long_ago=now - t > long_ago_s)
    if kind == "colour":
        q = str(rng.choice([f"What colour is object {oid}?", f"What color was track {oid}?"]))
        return QAItem(i, q, kind, o.colour, long_ago=old)
    if kind == "size":
        q = str(rng.choice([f"How big is object {oid}?", f"What size was object {oid}?"]))
        return QAItem(i, q, kind, o.size, long_ago=old)
    if kind == "duration":
        if not all(truth.visible(o, k) == truth.visible(o, i) for k in range(i - 3, i + 1)):
            return None
        d = float(np.sum(truth.frames[oid] <= i)) / fps
        q = str(rng.choice([f"How long was object {oid} visible?", f"For how long was track {oid} in view?"]))
        return QAItem(i, q, kind, d, max(0.5, 0.03 * d), old)
    if kind == "between":
        t2 = float(rng.uniform(6.0, now - 5.0))
        t1 = t2 - float(rng.uniform(5.0, 30.0))
        if t1 < 0:
            return None
        came, went, edges = [], [], []
        for ob in s.objects:
            if not truth.seen_by(ob, i):
                continue
            b = truth.first[ob.id] / fps
            edges.append(b)
            if t1 <= b <= t2:
                came.append(ob.id)
            if not truth.visible(ob, i):
                last = truth.last_seen_frame(ob, i) / fps
                edges.append(last)
                if t1 <= last <= t2:
                    went.append(ob.id)
        if any(min(abs(e - t1), abs(e - t2)) < 0.5 for e in edges):
            return None
        q = f"What happened between {t1:.1f} s and {t2:.1f} s?"
        return QAItem(i, q, kind, {"appeared": sorted(came), "disappeared": sorted(went)}, long_ago=now - t2 > long_ago_s)
    raise ValueError(f"unknown question kind {kind}")


def is_correct(item: QAItem, value: Any) -> bool:
    """Whether an answer's machine-readable value matches the expected one."""
    exp = item.expected
    if value is None:
        return False
    if isinstance(exp, float):
        return isinstance(value, (int, float)) and abs(float(value) - exp) <= item.tolerance
    if isinstance(exp, dict):
        return isinstance(value, dict) and all(sorted(value.get(k, [])) == v for k, v in exp.items())
    return bool(value == exp)
