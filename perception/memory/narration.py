"""Proactive narration: a rule-based 'when to speak' trigger over memory events, rate-limited.

Salient events (new object, scene change, new 3D instance, an object back in view or gone) queue up;
at most one message is spoken per ``min_interval_s`` of stream time, folding what queued meanwhile.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass

from perception.memory.events import Event

PRIORITY = {"scene_change": 3, "confirmed": 2, "instance": 2, "refound": 1, "ended": 1}


@dataclass(frozen=True)
class Narration:
    """One short spoken message at stream time ``t`` and the events it covers."""

    t: float
    text: str
    events: tuple[Event, ...]


def _thing(e: Event) -> str:
    looks = " ".join(x for x in (e.colour, e.size) if x)
    return f"{looks + ' ' if looks else ''}object #{e.track_id}"


class Narrator:
    """Turns memory events into rate-limited messages, delivered to a callback and a bounded queue."""

    def __init__(self, min_interval_s: float = 2.0, min_priority: int = 1,
                 on_message: Callable[[Narration], None] | None = None, queue_size: int = 100, max_pending: int = 50):
        self.min_interval_s = min_interval_s
        self.min_priority = min_priority
        self.on_message = on_message
        self.messages: queue.Queue[Narration] = queue.Queue(maxsize=queue_size)
        self.max_pending = max_pending
        self.reset()

    def reset(self) -> None:
        """Forget pending events and the rate limiter."""
        self._pending: list[Event] = []
        self._last_t = float("-inf")
        self._count: int | None = None

    def feed(self, events: list[Event], t: float) -> list[Narration]:
        """Consider one frame's events at stream time ``t``; returns the message spoken now, if any."""
        for e in events:
            if e.kind == "count":
                self._count = e.count
            elif PRIORITY.get(e.kind, 0) >= self.min_priority:
                self._pending.append(e)
        if len(self._pending) > self.max_pending:
            self._pending.sort(key=lambda e: (-PRIORITY[e.kind], -e.t))
            del self._pending[self.max_pending:]
            self._pending.sort(key=lambda e: e.t)
        if not self._pending or t - self._last_t < self.min_interval_s:
            return []
        msg = Narration(t, self._compose(self._pending), tuple(self._pending))
        self._pending = []
        self._last_t = t
        if self.on_message is not None:
            self.on_message(msg)
        if self.messages.full():
            self.messages.get_nowait()
        self.messages.put_nowait(msg)
        return [msg]

    def _compose(self, events: list[Event]) -> str:
        """A short sentence, most important news first."""
        by = {k: [e for e in events if e.kind == k] for k in PRIORITY}
        parts = []
        if by["scene_change"]:
            parts.append("The scene changed")
        new = by["confirmed"]
        if len(new) == 1:
            parts.append(f"New {_thing(new[0])} in the {new[0].region}" if new[0].region else f"New {_thing(new[0])}")
        elif new:
            parts.append(f"{len(new)} new objects ({', '.join(_thing(e) for e in new[:4])})")
        for e in by["instance"][:2]:
            parts.append(f"New 3D instance #{e.instance_id}" + (" at ({:.1f}, {:.1f}, {:.1f}) m".format(*e.position) if e.position else ""))
        back = by["refound"]
        if back:
            parts.append(f"{', '.join(_thing(e) for e in back[:3])} back in view")
        gone = by["ended"]
        if gone:
            parts.append(f"{', '.join(_thing(e) for e in gone[:3])} left" + (f" (+{len(gone) - 3} more)" if len(gone) > 3 else ""))
        text = "; ".join(parts)
        if self._count is not None:
            text += f" ({self._count} in view)"
        return text + "."
