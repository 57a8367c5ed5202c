"""Identity-level view of a snapshot: the tracks that are one object (merged tracker fragments), filtered by
class, colour, image region and apparent depth, with when and where each was seen.

Counts survive tracker churn: a track starting inside the image just after a similar one vanished close by
continues it; someone is still in the scene while hidden behind another person for a moment; arrivals and
departures happen at the image border or away from everyone else, and never by a fragment seen for a blink
(which is no distinct person either)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

from perception.memory.store import MemorySnapshot
from perception.memory.tracks import TrackSummary
from perception.memory.understand import Reading, Region
from perception.types import UNLABELLED

HOLD_FRAMES = 1.5  # a past moment counts tracks seen within this many frame periods (the memory's hold)
HIDDEN_HOLD_S = 1.5  # someone last seen well inside the image (not at its edge) stays counted this long: hidden, not gone
MERGE_GAP_S = 2.5  # a track starting inside the image continues an identity lost at most this long before ...
PERSON_GAP_S = 6.0  # ... (between people this long: nobody appears from nothing mid-image; missed for seconds, one walks on) ...
MERGE_DISTANCE = 1.0  # ... within this many box heights (x (1 + gap s)) of where it was last seen ...
MERGE_SIZE_RATIO = 1.6  # ... with a box height within this ratio (and the same dominant colour)
WARM_UP_S = 2.0  # an identity first seen this soon after the stream began and ...
WARM_UP_FRAGMENT_S = 6.0  # ... seen under this long in all is continued within HIDDEN_HOLD_S whatever its height and colour
EDGE_MARGIN = 1.5  # a box within this many box widths of the image border is at the edge (where people walk in and out)
MIN_VISIT_S = 1.0  # an arrival or departure is someone in view at least this long (shorter: a spurious fragment)
PEAK_HOLD_S = 0.5  # a count at t includes who was in the scene this long before, away from the border
PEAK_SAMPLES = 16  # ... sampled at every frame, or at most this many instants
EXTREME_SPAN_S = 1.0  # the most (fewest) at once is of median counts over this long either side (the largest of noisy
EXTREME_CANDIDATES = 4  # counts is too large), taken where the memory's own count, so smoothed, is highest (lowest) ...
EXTREME_GRID = 4  # ... and at this many instants spread over the window (the memory's count is of every class and
# place, and its peak can be where the people asked about are fewer)
NEAR_OTHERS = 0.75  # someone appearing (vanishing) within this many box heights of another is emerging from (going behind) them


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

    def confirming_at(self, t: float) -> bool:
        """Whether ``t`` falls between one of its tracks' first detection and its first confirmed sighting."""
        return any(s.intervals and s.born_t <= t <= s.intervals[0][0] for s in self.tracks)

    def gap_at(self, t: float, gap_s: float) -> float | None:
        """When it was last seen before ``t``, if ``t`` falls in a gap of at most ``gap_s`` between two sightings."""
        spans = sorted(iv for s in self.tracks for iv in s.intervals)
        return next((b for (_, b), (c, _) in zip(spans, spans[1:]) if b <= t <= c and c - b <= gap_s), None)

    def spans(self, gap_s: float) -> list[tuple[float, float]]:
        """Its time spans in view (first detection on), joining gaps of at most ``gap_s``."""
        out: list[list[float]] = []
        for a, b in sorted([(s.born_t, s.born_t) for s in self.tracks] + [iv for s in self.tracks for iv in s.intervals]):
            if out and a - out[-1][1] <= gap_s:
                out[-1][1] = max(out[-1][1], b)
            else:
                out.append([a, b])
        return [(a, b) for a, b in out]

    def edge_distance(self, t: float, image_size: tuple[int, int]) -> float:
        """Distance of its box at ``t`` from the nearest image border, in box widths (0: touching it)."""
        xy = self.position_at(t)
        if xy is None:
            return 0.0
        s = self.track_at(t) or self.tracks[0 if t <= self.first_t else -1]
        w, h = max(s.mean_wh[0], 1.0), max(s.mean_wh[1], 1.0)
        iw, ih = image_size
        gap = min(xy[0] - w / 2, xy[1] - h / 2, iw - xy[0] - w / 2, ih - xy[1] - h / 2)
        return max(gap, 0.0) / w

    @property
    def colour(self) -> str | None:
        """Colour of its longest-observed track."""
        return max(self.tracks, key=lambda s: s.observations).colour

    @property
    def size(self) -> str | None:
        """Size class of its longest-observed track."""
        return max(self.tracks, key=lambda s: s.observations).size

    @property
    def label(self) -> str:
        """Class name of its longest-observed track ("object" when the detector gives none)."""
        return max(self.tracks, key=lambda s: s.observations).label

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
        if reading.label is not None and labelled:  # unlabelled tracks are of unknown class: they may be what is asked
            tracks = [s for s in tracks if s.label in (reading.label, UNLABELLED)]
        groups: dict[int, list[TrackSummary]] = {}
        for s in tracks:
            groups.setdefault(s.identity if s.identity >= 0 else s.id, []).append(s)
        present = set(snap.present_ids)
        people = []
        for key, members in groups.items():
            members.sort(key=lambda s: s.born_t)
            last = max((s.last_seen_t for s in members if s.last_seen_t is not None), default=members[0].born_t)
            people.append(Person(key, tuple(members), members[0].born_t, last, any(s.id in present for s in members)))
        first = min((s.born_t for s in snap.tracks.values()), default=0.0)
        self.stream_t = float(snap.count_times[0]) if len(snap.count_times) else first  # the first frame's time
        # from when identities are counted: the first track when it came in the detector's first seconds (people there
        # from the start, found as its models settle), else the first frame (the view was empty until someone came)
        self.start_t = first if first <= self.stream_t + WARM_UP_S else self.stream_t
        people = self._merge_fragments(sorted(people, key=lambda p: p.first_t))
        if reading.colour:
            people = [p for p in people if p.colour == reading.colour]
        self.people = people
        # when each identity can be in the scene at all: from its first sighting to HIDDEN_HOLD_S after its last
        # (a question about one moment then looks at a few identities, not at every one the memory holds)
        self._from = np.array([p.first_t for p in people]) - self.slack
        self._until = np.array([p.last_t for p in people]) + HIDDEN_HOLD_S + self.slack
        self._present = np.array([p.present for p in people], bool)

    def _merge_fragments(self, people: list[Person]) -> list[Person]:
        """Join identities the tracker split: one that starts inside the image (not walking in across its border)
        shortly after another vanished close by, with a similar box height and colour (any, right after a warm-up
        blob), continues it (time order, greedy)."""
        size = self.snap.image_size
        self.merged = 0  # identities joined here (beyond the memory's own links)
        out: list[Person] = []
        recent: list[int] = []  # indices into out of identities seen within the longest merge gap of the newest start
        for p in people:
            best, best_cost = None, np.inf
            recent = [k for k in recent if out[k].last_t >= p.first_t - max(MERGE_GAP_S, PERSON_GAP_S)]
            if p.first_t > self.start_t + 2 * self.snap.frame_period and p.edge_distance(p.first_t, size) > EDGE_MARGIN:
                for k in recent:
                    q = out[k]
                    gap = p.first_t - q.last_t
                    if not 0 < gap <= (PERSON_GAP_S if p.label == q.label == "person" else MERGE_GAP_S):
                        continue
                    ratio = p.height / max(q.height, 1.0)
                    alike = 1 / MERGE_SIZE_RATIO <= ratio <= MERGE_SIZE_RATIO and not (p.colour and q.colour and p.colour != q.colour)
                    if not alike and not (gap <= HIDDEN_HOLD_S and self._warm_up_blob(q)):
                        continue
                    a, b = q.position_at(q.last_t), p.position_at(p.first_t)
                    if a is None or b is None:
                        continue
                    cost = float(np.hypot(b[0] - a[0], b[1] - a[1])) / (MERGE_DISTANCE * max(p.height, q.height) * (1 + gap))
                    if cost <= 1.0 and cost < best_cost:
                        best, best_cost = k, cost
            if best is None:
                recent.append(len(out))
                out.append(p)
                continue
            q = out[best]
            self.merged += 1
            out[best] = Person(q.id, q.tracks + p.tracks, q.first_t, max(q.last_t, p.last_t), q.present or p.present)
        return out

    def _warm_up_blob(self, q: Person) -> bool:
        """Whether ``q`` is a short identity from the detector's first seconds, before its models settle (a blob of
        several people, or of someone and the scenery they uncover): its height and colour say nothing of who it was."""
        return q.first_t <= self.stream_t + WARM_UP_S and q.duration < WARM_UP_FRAGMENT_S

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

    def around(self, t: float) -> list[Person]:
        """Identities whose time span allows them to be in the scene at ``t`` (a superset of ``in_scene``)."""
        now = t >= self.snap.time - 1e-6
        near = (self._from <= t) & ((self._until >= t) | (self._present & now))
        return [self.people[i] for i in np.flatnonzero(near)]

    def at(self, t: float) -> list[Person]:
        """Identities in view at ``t`` in the asked region and depth (now: the memory's present set)."""
        out = [p for p in self.around(t) if self.in_scene(p, t)]
        out = [p for p in out if self.in_region(p, t, self.reading.region)]
        return self.by_depth(out)

    def in_scene(self, p: Person, t: float) -> bool:
        """Whether ``p`` was in the scene at ``t``: seen then (the memory's hold), detected but not yet confirmed, or
        last seen less than ``HIDDEN_HOLD_S`` before, well inside the image (not at its edge) next to someone
        (behind whom it may be)."""
        if t >= self.snap.time - 1e-6 and p.present:
            return True
        if p.track_at(t, self.slack) is not None or p.confirming_at(t):
            return True
        gone = p.gap_at(t, HIDDEN_HOLD_S)
        if gone is None and p.last_t < t <= p.last_t + HIDDEN_HOLD_S:
            gone = p.last_t
        return gone is not None and not self.at_edge(p, gone) and self._near_others(p, gone)

    def occupied_since(self, t: float) -> float | None:
        """Start of the unbroken stretch up to ``t`` with at least one identity in the scene (None: nobody at ``t``)."""
        spans = []
        for p in self.people:
            for a, b in p.spans(MERGE_GAP_S):
                if b == p.last_t and not self.at_edge(p, b):
                    b += HIDDEN_HOLD_S
                spans.append((a, max(b, a) + self.slack))
        start, cover = None, -np.inf
        for a, b in sorted(spans):
            if a > t:
                break
            if a > cover:
                start = a
            cover = max(cover, b)
        return start if cover >= t else None

    def at_edge(self, p: Person, t: float) -> bool:
        """Whether ``p``'s box at ``t`` is at the image border."""
        return p.edge_distance(t, self.snap.image_size) <= EDGE_MARGIN

    def _near_others(self, p: Person, t: float) -> bool:
        """Whether another identity in view at ``t`` is within ``NEAR_OTHERS`` box heights of ``p`` (the taller's
        height, at most twice the shorter's: by a close-up's height everything in the picture is near it)."""
        a = p.position_at(t)
        if a is None:
            return False
        for q in self.around(t):
            if q is p or not q.first_t - self.slack <= t <= q.last_t + self.slack or q.track_at(t, self.slack) is None:
                continue
            b = q.position_at(t)
            reach = NEAR_OTHERS * min(max(p.height, q.height), 2 * min(p.height, q.height))
            if b is not None and np.hypot(b[0] - a[0], b[1] - a[1]) <= reach:
                return True
        return False

    def blink(self, p: Person) -> bool:
        """Whether ``p`` is a spurious fragment, not a person: seen under ``MIN_VISIT_S`` in all, appearing and
        vanishing inside the image (not walking in or out across its border), and not in the scene now."""
        return (p.duration < MIN_VISIT_S and not self.in_scene(p, self.snap.time) and not self.at_edge(p, p.first_t)
                and not self.at_edge(p, p.last_t))

    def arrived(self, p: Person) -> bool:
        """Whether ``p`` walked into view after the stream began: a newcomer (in view now or for ``MIN_VISIT_S``)
        that appeared at the image border, or inside it away from everyone else (not emerging from behind someone)."""
        if not self.newcomer(p) or not (p.present or p.last_t - p.first_t >= MIN_VISIT_S):
            return False
        return self.at_edge(p, p.first_t) or not self._near_others(p, p.first_t)

    def departed(self, p: Person, now: float) -> bool:
        """Whether ``p`` has left the view by ``now``: gone at the image border, inside it away from everyone else
        and not seen for ``HIDDEN_HOLD_S``, or not seen for longer than ``MERGE_GAP_S``; never a fragment seen under ``MIN_VISIT_S``
        (someone there from the first frames who walks out across the border soon is no fragment)."""
        if p.present or p.last_t >= now:
            return False
        if p.last_t - p.first_t < MIN_VISIT_S and (self.newcomer(p) or not self.at_edge(p, p.last_t)):
            return False
        if self.at_edge(p, p.last_t) or now - p.last_t > MERGE_GAP_S:  # lost for longer than any merge: gone somewhere
            return True
        return now - p.last_t > HIDDEN_HOLD_S and not self._near_others(p, p.last_t)

    def net_departures(self, t1: float, t2: float) -> tuple[int, int, int, int]:
        """Departures in [t1, t2] that the counts allow: in the scene at t1, plus arrivals, minus in the scene at t2
        (a bound that tracks lost and restarted mid-crowd cannot inflate); with the three terms."""
        t1 = max(t1, self.start_t)
        before, after = self.count_at(t1), self.count_at(t2)
        came = sum(1 for p in self.people if t1 < p.first_t <= t2 + 1e-6 and self.arrived(p))
        return max(0, before + came - after), before, came, after

    def net_arrivals(self, t1: float, t2: float) -> tuple[int, int, int]:
        """Arrivals in [t1, t2] that the counts require: in the scene at t2 minus at t1 (nobody appears from nowhere,
        so this many at least walked in, seen arriving or not); with the two counts."""
        t1 = max(t1, self.start_t)
        before, after = self.count_at(t1), self.count_at(t2)
        return max(0, after - before), before, after

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

    def at_held(self, t: float) -> list[Person]:
        """``at`` t, plus whoever was in the scene during the ``PEAK_HOLD_S`` before it away from the image border
        (a person the detector misses for a few frames mid-image still counts; one who walked out does not)."""
        step = max(self.snap.frame_period, PEAK_HOLD_S / PEAK_SAMPLES)
        out = self.at(t)
        ids = {p.id for p in out}
        for k in range(1, round(PEAK_HOLD_S / step) + 1):
            u = t - k * step
            if u < self.start_t - 1e-6:
                break
            held = [p for p in self.at(u) if p.id not in ids and not self.at_edge(p, u)]
            out += held
            ids.update(p.id for p in held)
        return out

    def count_at(self, t: float) -> int:
        """How many identities were in the scene at ``t`` (flicker and short occlusions do not change it)."""
        return len(self.at_held(t))

    def extreme(self, t1: float, t2: float, most: bool) -> tuple[int, float]:
        """The most (``most``) or fewest identities in the scene at once during [t1, t2], and the first instant with
        that count: the median of ``count_at`` over ``EXTREME_SPAN_S`` either side (inside the window), at the instants
        where the memory's per-frame count, so smoothed, peaks (dips) and on an even grid (``count_at`` at every frame
        of a long window is too slow for an answer). The fewest leave out the detector's first ``WARM_UP_S`` where
        the window allows: people there are still being found."""
        t1 = max(t1, self.start_t)
        if not most and t1 < self.stream_t + WARM_UP_S < t2:
            t1 = self.stream_t + WARM_UP_S
        t2 = max(t1, t2)
        step = max(self.snap.frame_period, (t2 - t1) / 4000)
        grid = np.arange(t1, t2 + 1e-9, step)
        at = np.searchsorted(self.snap.count_times, grid, side="right") - 1
        raw = np.where(at >= 0, self.snap.count_values[np.maximum(at, 0)], 0)
        smooth = median_filter(raw, size=2 * round(EXTREME_SPAN_S / step) + 1, mode="nearest")
        ranked = np.argsort(-smooth if most else smooth, kind="stable")[:EXTREME_CANDIDATES]
        spread = np.linspace(t1, t2, EXTREME_GRID)
        instants = np.unique(np.concatenate([grid[ranked], spread, [t2]]))
        memo: dict[float, int] = {}

        def count(u: float) -> int:
            if u not in memo:
                memo[u] = self.count_at(u)
            return memo[u]

        def steady(t: float) -> float:
            around = [u for u in (t - EXTREME_SPAN_S, t, t + EXTREME_SPAN_S) if t1 - 1e-9 <= u <= t2 + 1e-9]
            return float(np.median([count(u) for u in around]))

        counts = np.array([steady(float(t)) for t in instants])
        k = int(np.argmax(counts) if most else np.argmin(counts))
        return int(round(counts[k])), float(instants[k])

    def newcomer(self, p: Person) -> bool:
        """Whether ``p`` came into view after the stream began (not there from the first frames)."""
        return p.first_t > self.start_t + 2 * self.snap.frame_period + 1e-6
