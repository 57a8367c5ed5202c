"""Identity-level view of a snapshot: the tracks that are one object (merged tracker fragments), filtered by
class, colour, image region and apparent depth, with when and where each was seen."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception.memory.store import MemorySnapshot
from perception.memory.tracks import TrackSummary
from perception.memory.understand import Reading, Region
from perception.types import UNLABELLED

HOLD_FRAMES = 1.5  # a past moment counts tracks seen within this many frame periods (the memory's hold)


@dataclass(frozen=True)
class Person:
    """One identity: its tracks (time order), first and last time seen, and whether it is in view now."""

    id: int
    tracks: tuple[TrackSummary, ...]
    first_t: float
    last_t: float
    present: bool

    @property
    def shown_id(self) -> int:
        """The track id to name it by (the newest track)."""
        return self.tracks[-1].id

    @property
    def ids(self) -> tuple[int, ...]:
        """All its track ids."""
        return tuple(s.id for s in self.tracks)

    def track_at(self, t: float, slack: float = 0.0) -> TrackSummary | None:
        """Its track in view at ``t`` (``slack`` seconds of tolerance), else None."""
        for s in reversed(self.tracks):
            if any(a - slack <= t <= b + slack for a, b in s.intervals):
                return s
        return None

    def position_at(self, t: float) -> tuple[float, float] | None:
        """Image centre at ``t`` from the track covering it (or the nearest one in time)."""
        s = self.track_at(t) or min(self.tracks, key=lambda s: min(abs(t - s.born_t), abs(t - (s.last_seen_t or s.born_t))))
        return None if s is None else s.position_at(min(max(t, s.born_t), s.last_seen_t or s.born_t))

    def visible_during(self, t1: float, t2: float, slack: float = 0.0) -> bool:
        """Whether any of its tracks was in view at some time in [t1, t2]."""
        return any(a - slack <= t2 and b + slack >= t1 for s in self.tracks for a, b in s.intervals)

    @property
    def colour(self) -> str | None:
        """Colour of its longest-observed track."""
        return max(self.tracks, key=lambda s: s.observations).colour

    @property
    def size(self) -> str | None:
        """Size class of its longest-observed track."""
        return max(self.tracks, key=lambda s: s.observations).size

    @property
    def height(self) -> float:
        """Mean box height in pixels (the nearer to the camera, the taller)."""
        return float(max(self.tracks, key=lambda s: s.observations).mean_wh[1])

    @property
    def duration(self) -> float:
        """Seconds in view, over all its tracks."""
        return float(sum(s.visible_duration for s in self.tracks))


class Crowd:
    """The identities of a snapshot that match a reading's class and colour (regions and depth on demand)."""

    def __init__(self, snap: MemorySnapshot, reading: Reading):
        self.snap = snap
        self.reading = reading
        tracks = [s for s in snap.tracks.values() if s.confirmed]
        labelled = any(s.label != UNLABELLED for s in tracks)
        self.class_agnostic = reading.label is not None and not labelled
        if reading.label is not None and labelled:
            tracks = [s for s in tracks if s.label == reading.label]
        groups: dict[int, list[TrackSummary]] = {}
        for s in tracks:
            groups.setdefault(s.identity if s.identity >= 0 else s.id, []).append(s)
        present = set(snap.present_ids)
        people = []
        for key, members in groups.items():
            members.sort(key=lambda s: s.born_t)
            last = max((s.last_seen_t for s in members if s.last_seen_t is not None), default=members[0].born_t)
            people.append(Person(key, tuple(members), members[0].born_t, last, any(s.id in present for s in members)))
        if reading.colour:
            people = [p for p in people if p.colour == reading.colour]
        self.people = sorted(people, key=lambda p: p.first_t)
        self.start_t = min((s.born_t for s in snap.tracks.values()), default=0.0)

    @property
    def slack(self) -> float:
        """Tolerance of 'in view at t' (the memory's hold)."""
        return HOLD_FRAMES * self.snap.frame_period

    @property
    def filtered(self) -> bool:
        """Whether the reading narrows the objects beyond what the memory's own count covers."""
        r = self.reading
        return bool(r.colour or r.region or r.depth or (r.label is not None and not self.class_agnostic))

    def in_region(self, p: Person, t: float, region: Region | None) -> bool:
        """Whether ``p`` was inside ``region`` at ``t`` (True without a region)."""
        if region is None:
            return True
        xy = p.position_at(t)
        w, h = self.snap.image_size
        return xy is not None and region.contains(xy[0], xy[1], w, h)

    def at(self, t: float) -> list[Person]:
        """Identities in view at ``t`` in the asked region and depth (now: the memory's present set)."""
        now = t >= self.snap.time - 1e-6
        out = [p for p in self.people if (p.present if now else p.track_at(t, self.slack) is not None)]
        out = [p for p in out if self.in_region(p, t, self.reading.region)]
        return self.by_depth(out)

    def during(self, t1: float, t2: float) -> list[Person]:
        """Identities in view at some time in [t1, t2] (in the asked region at some point of their visit)."""
        out = [p for p in self.people if p.visible_during(t1, t2, self.slack)]
        r = self.reading.region
        if r is not None:
            out = [p for p in out if any(self.in_region(p, t, r) for t in np.linspace(max(t1, p.first_t), min(t2, p.last_t), 5))]
        return self.by_depth(out)

    def by_depth(self, people: list[Person]) -> list[Person]:
        """Keep the nearer (taller) or farther half when asked; a superlative keeps one."""
        d = self.reading.depth
        if d is None or len(people) < 2:
            return people
        ranked = sorted(people, key=lambda p: -p.height if d == "near" else p.height)
        if self.reading.yes_no or self.reading.intent.startswith("count"):
            med = float(np.median([p.height for p in people]))
            return [p for p in ranked if (p.height >= med if d == "near" else p.height < med)]
        return ranked[:1]

    def count_at(self, t: float) -> int:
        """How many identities were in view at ``t`` (the memory's flicker-proof count when unfiltered)."""
        if not self.filtered:
            if t >= self.snap.time - 1e-6:
                return len(self.snap.present_ids)
            n = self.snap.count_at(t)
            if n is not None:
                return n
        return len(self.at(t))

    def newcomer(self, p: Person) -> bool:
        """Whether ``p`` came into view after the stream began (not there from the first frames)."""
        return p.first_t > self.start_t + 2 * self.snap.frame_period + 1e-6
