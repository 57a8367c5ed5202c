"""Narration grouped for the chat, without Qt: one line per stretch of stream time ("3 people entered, 1 left").

The memory's narrator speaks per event; a busy scene would flood the chat. The digest collects its
messages and, at most once per ``window_s`` seconds of stream time, says what happened by class label
(Tracks.labels): a few tracks by name ("person #3 entered"), many counted ("3 people entered"); the
original messages stay available as the line's details.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from perception.memory.narration import Narration
from perception.types import UNLABELLED

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
    """Feed narration with ``add``; ``flush(t)`` returns at most one line per ``window_s`` of stream time.

    Up to ``name_up_to`` tracks doing the same thing are named ("person #3 entered"), more are counted.
    """

    def __init__(self, window_s: float = 5.0, name_up_to: int = 2):
        self.window_s, self.name_up_to = window_s, name_up_to
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
            ids = list(dict.fromkeys(e.track_id for e in events if e.kind == kind))
            named = [(self._labels.get(i, UNLABELLED), i) for i in ids]
            if 0 < len(named) <= self.name_up_to:  # few: each by name ("person #3 entered")
                parts.append(", ".join(f"{label} #{i}" for label, i in named) + f" {verb}")
            elif named:  # many: counted by class ("3 people entered")
                counts = Counter(label for label, _ in named)
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
