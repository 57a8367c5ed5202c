"""Narration grouped for the chat, without Qt: one line per stretch of stream time ("3 people entered, 1 left").

The memory's narrator speaks per event; a busy scene would flood the chat. The digest collects its
messages and, at most once per ``window_s`` seconds of stream time, says what happened by class label
(Tracks.labels); the original messages stay available as the line's details.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from perception.memory.narration import Narration

_VERBS = (("confirmed", "entered"), ("ended", "left"), ("refound", "came back"))


@dataclass
class DigestLine:
    """One grouped narration line: stream time, first frame it covers, the summary and the original messages."""

    t: float
    frame: int
    text: str
    details: list[str] = field(default_factory=list)


def plural(label: str, n: int) -> str:
    """'1 person', '3 people', '2 chairs'."""
    if n == 1:
        return f"1 {label}"
    irregular = {"person": "people", "child": "children", "mouse": "mice"}
    word = irregular.get(label) or (label + "es" if label.endswith(("s", "x", "ch", "sh")) else label + "s")
    return f"{n} {word}"


class NarrationDigest:
    """Feed narration with ``add``; ``flush(t)`` returns at most one line per ``window_s`` of stream time."""

    def __init__(self, window_s: float = 5.0):
        self.window_s = window_s
        self.reset()

    def reset(self) -> None:
        """Forget pending messages (a new source)."""
        self._pending: list[Narration] = []
        self._labels: dict[int, str] = {}
        self._last_t = float("-inf")

    def add(self, said: Narration, labels: dict[int, str]) -> None:
        """Queue one narrator message; ``labels`` maps track IDs to class names."""
        self._pending.append(said)
        self._labels.update(labels)

    def flush(self, t: float, force: bool = False) -> DigestLine | None:
        """The grouped line for what queued, if ``window_s`` passed since the last one (or ``force``)."""
        if not self._pending or (not force and t - self._last_t < self.window_s):
            return None
        pending, self._pending = self._pending, []
        self._last_t = t
        events = [e for n in pending for e in n.events]
        parts = []
        for kind, verb in _VERBS:
            seen: set[int] = set()
            counts: Counter[str] = Counter()
            for e in events:
                if e.kind == kind and e.track_id not in seen:
                    seen.add(e.track_id)
                    counts[self._labels.get(e.track_id, "object")] += 1
            if counts:
                parts.append(", ".join(plural(label, n) for label, n in counts.most_common()) + f" {verb}")
        instances = len({e.instance_id for e in events if e.kind == "instance"})
        if instances:
            parts.append(f"{instances} new 3D object{'s' if instances > 1 else ''} mapped")
        if any(e.kind == "scene_change" for e in events):
            parts.insert(0, "the scene changed")
        text = "; ".join(parts) if parts else pending[-1].text
        frames = [e.frame_index for e in events if e.frame_index >= 0]
        return DigestLine(pending[0].t, min(frames) if frames else -1, text[:1].upper() + text[1:],
                          [n.text for n in pending])
