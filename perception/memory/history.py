"""Bounded histories: the visible-object count over time, and the 3D instances seen."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception.memory.events import Event
from perception.types import Instances3D


class CountHistory:
    """Change points of the visible-object count; when full, the shortest-lived values are merged away."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.reset()

    def reset(self) -> None:
        """Forget the history."""
        self.t = np.zeros(self.capacity + 1)
        self.c = np.zeros(self.capacity + 1, dtype=np.int64)
        self.n = 0

    def add(self, t: float, count: int) -> int | None:
        """Record the count at ``t``; returns the previous count when it changed (else None)."""
        if self.n and self.c[self.n - 1] == count:
            return None
        prev = int(self.c[self.n - 1]) if self.n else 0
        self.t[self.n], self.c[self.n] = t, count
        self.n += 1
        if self.n > self.capacity:
            self._compact()
        return prev

    def _compact(self) -> None:
        """Remove the quarter of change points whose values lasted least (keeps the newest)."""
        t, c = self.t[: self.n], self.c[: self.n]
        life = np.diff(t, append=np.inf)
        drop = np.argsort(life, kind="stable")[: max(1, self.n // 4)]
        keep = np.ones(self.n, dtype=bool)
        keep[drop] = False
        keep[0] = keep[-1] = True
        t, c = t[keep], c[keep]
        same = np.concatenate([[False], c[1:] == c[:-1]])
        t, c = t[~same], c[~same]
        self.n = len(t)
        self.t[: self.n], self.c[: self.n] = t, c

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Read-only copies (change times, counts)."""
        t, c = self.t[: self.n].copy(), self.c[: self.n].copy()
        t.setflags(write=False)
        c.setflags(write=False)
        return t, c


def count_at(times: np.ndarray, counts: np.ndarray, t: float) -> int | None:
    """The count in force at time ``t`` (None before the first record)."""
    i = int(np.searchsorted(times, t, side="right")) - 1
    return None if i < 0 else int(counts[i])


@dataclass(frozen=True)
class InstanceSummary:
    """One 3D map instance: when seen, where (centroid, box in metres), how many points."""

    id: int
    first_t: float
    last_t: float
    centroid: tuple[float, float, float]
    extent: tuple[float, float, float]
    points: int


class InstanceBook:
    """3D instances seen so far (at most ``capacity``, the longest-unseen dropped first)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.items: dict[int, InstanceSummary] = {}
        self.distinct = 0

    def reset(self) -> None:
        """Forget every instance."""
        self.items.clear()
        self.distinct = 0

    def update(self, t: float, frame_index: int, inst: Instances3D) -> list[Event]:
        """Fold one frame's instances in; returns 'instance' events for new ones."""
        events = []
        for k in range(len(inst)):
            iid = int(inst.ids[k])
            cen = tuple(float(v) for v in inst.centroids[k])
            ext = tuple(float(v) for v in inst.box_max[k] - inst.box_min[k])
            old = self.items.get(iid)
            if old is None:
                self.distinct += 1
                events.append(Event(t, frame_index, "instance", instance_id=iid, position=cen,  # type: ignore[arg-type]
                                    size=f"{ext[0]:.2f}x{ext[1]:.2f}x{ext[2]:.2f} m"))
            self.items[iid] = InstanceSummary(iid, t if old is None else old.first_t, t, cen, ext,  # type: ignore[arg-type]
                                              int(inst.point_counts[k]))
        if len(self.items) > self.capacity:
            for iid in sorted(self.items, key=lambda i: self.items[i].last_t)[: len(self.items) - self.capacity]:
                del self.items[iid]
        return events
