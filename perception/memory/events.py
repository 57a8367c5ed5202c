"""Memory events and the abstract memory: a bounded text timeline that compacts its oldest lines."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

EVENT_KINDS = ("born", "confirmed", "lost", "refound", "ended", "count", "instance", "scene_change")
TIMELINE_KINDS = frozenset({"confirmed", "refound", "ended", "instance", "scene_change"})


@dataclass(frozen=True)
class Event:
    """Something the memory noticed at time ``t``: track lifecycle, count change, new 3D instance, scene change."""

    t: float
    frame_index: int
    kind: str
    track_id: int = -1
    instance_id: int = -1
    region: str | None = None
    position: tuple[float, float, float] | None = None
    colour: str | None = None
    size: str | None = None
    count: int | None = None
    previous: int | None = None

    @property
    def text(self) -> str:
        """One human sentence, e.g. '12.3 s: object #7 appeared (red, large, top left)'."""
        what = self._what()
        details = ", ".join(x for x in (self.colour, self.size, self.region) if x)
        if self.position is not None:
            details = ", ".join(x for x in (details, "at ({:.2f}, {:.2f}, {:.2f}) m".format(*self.position)) if x)
        return f"{self.t:.1f} s: {what}" + (f" ({details})" if details else "")

    def _what(self) -> str:
        obj = f"object #{self.track_id}"
        return {
            "born": f"{obj} detected",
            "confirmed": f"{obj} appeared",
            "lost": f"{obj} went out of sight",
            "refound": f"{obj} seen again",
            "ended": f"{obj} left",
            "count": f"{self.count} objects visible (was {self.previous})",
            "instance": f"new 3D instance #{self.instance_id}",
            "scene_change": "the scene changed",
        }[self.kind]


class Timeline:
    """The abstract memory: event lines in time order, at most ``capacity``; the oldest get summarised."""

    def __init__(self, capacity: int, compact: int):
        self.capacity = capacity
        self.compact = compact
        self.lines: deque[tuple[float, str]] = deque()

    def reset(self) -> None:
        """Forget every line."""
        self.lines.clear()

    def add(self, event: Event) -> None:
        """Record an event worth a line."""
        if event.kind not in TIMELINE_KINDS:
            return
        k = len(self.lines)
        while k > 0 and self.lines[k - 1][0] > event.t:  # 'left' lines arrive after the fact
            k -= 1
        self.lines.insert(k, (event.t, event.text))
        if len(self.lines) > self.capacity:
            old = [self.lines.popleft() for _ in range(self.compact)]
            self.lines.appendleft((old[0][0], self._summary(old)))

    @staticmethod
    def _summary(lines: list[tuple[float, str]]) -> str:
        """One line standing for many: counts of what happened in their time span."""
        kinds: Counter[str] = Counter()
        for _, text in lines:
            body = text.split(": ", 1)[1]
            if body.startswith("summary"):
                for part in body.split("[", 1)[1].rstrip("]").split("; "):
                    n, k = part.split(" ", 1)
                    kinds[k] += int(n)
                continue
            for key, label in (("appeared", "appearances"), ("seen again", "reappearances"), ("left", "departures"),
                               ("3D instance", "new 3D instances"), ("scene changed", "scene changes")):
                if key in body:
                    kinds[label] += 1
                    break
        t0 = lines[0][0]
        t1 = lines[-1][0]
        parts = "; ".join(f"{n} {k}" for k, n in kinds.items())
        return f"{t0:.1f} s: summary {t0:.1f}-{t1:.1f} s [{parts}]"
