"""Ground-truth facts about people in a MOTChallenge sequence, as the streaming memory should know them at a time t.

A person is a gt id; the person is visible at a frame when a gt box exists for that frame and overlaps the image.
Frame index i (0-based) is gt frame i + 1 and stream time i / fps; a question asked at t is answered after frame
``ceil(t * fps)``. Every truth here is returned only when it is well defined: unchanged when the ask frame (and
any window boundary) moves by one frame, and the same under the readings a person could reasonably take.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np

from perception.io.mot import read_mot
from perception.sources.images import read_seqinfo

REGIONS = ("left", "right", "top", "bottom", "centre")


@dataclass(frozen=True)
class Truth:
    """A truth value with the frame it was computed at and a one-line definition."""

    value: int | bool | float
    frame: int
    definition: str


class SequenceTruth:
    """Visibility of every gt id at every frame of one sequence, and the facts questions ask about."""

    def __init__(self, seq_dir: str | Path):
        info = read_seqinfo(seq_dir)
        gt = read_mot(Path(seq_dir) / "gt" / "gt.txt")
        self.name, self.fps, self.length = info.name, float(info.fps), int(info.length)
        self.width, self.height = info.width, info.height
        self.ids = np.unique(gt.ids)
        col = np.searchsorted(self.ids, gt.ids)
        xyxy = gt.xyxy
        inside = (np.minimum(xyxy[:, 2], self.width) > np.maximum(xyxy[:, 0], 0)) & \
                 (np.minimum(xyxy[:, 3], self.height) > np.maximum(xyxy[:, 1], 0))
        row = gt.frames.astype(int) - 1
        keep = inside & (row >= 0) & (row < self.length)
        self.visible = np.zeros((self.length, len(self.ids)), bool)
        self.visible[row[keep], col[keep]] = True
        self.boxes = np.full((self.length, len(self.ids), 4), np.nan)
        clipped = np.clip(xyxy, 0, [self.width, self.height, self.width, self.height])
        self.boxes[row[keep], col[keep]] = clipped[keep]
        self.counts = self.visible.sum(1)
        prev = np.vstack([self.visible[:1], self.visible[:-1]])
        self.entries = self.visible & ~prev  # frame 0 has none: people there at the start did not enter
        self.exits = ~self.visible & prev
        first = np.where(self.visible.any(0), self.visible.argmax(0), self.length)
        self.first_frame = first
        self.newcomer = np.zeros_like(self.visible)  # an id's first visible frame, after frame 0
        late = (first > 0) & (first < self.length)
        self.newcomer[first[late], np.flatnonzero(late)] = True

    # frames and times
    def frame_at(self, t: float) -> int:
        """The frame after which a question asked at stream time ``t`` is answered."""
        return math.ceil(t * self.fps - 1e-6)

    def time(self, i: int) -> float:
        """Stream time of frame ``i``."""
        return i / self.fps

    def frames(self, seconds: float) -> int:
        """A span in whole frames; seconds * fps must be (close to) an integer."""
        n = round(seconds * self.fps)
        if abs(n - seconds * self.fps) > 1e-6:
            raise ValueError(f"{seconds} s is not a whole number of frames at {self.fps} fps")
        return n

    def _valid(self, i: int) -> bool:
        return 1 <= i and i + 1 < self.length

    def _stable(self, fn, i: int) -> bool:
        return self._valid(i) and fn(i - 1) == fn(i) == fn(i + 1)

    def _at(self, i: int) -> str:
        return f"frame {i + 1} (t={self.time(i):.2f} s)"

    # counts
    def count_now(self, t: float) -> Truth | None:
        """People visible at the ask frame."""
        i = self.frame_at(t)
        if not self._stable(lambda k: int(self.counts[k]), i):
            return None
        return Truth(int(self.counts[i]), i, f"gt ids with a box overlapping the image at {self._at(i)}; same count at the frames before and after")

    def count_distinct(self, t: float) -> Truth | None:
        """Different people (gt ids) visible at any frame up to the ask frame."""
        i = self.frame_at(t)
        seen = lambda k: int(self.visible[:k + 1].any(0).sum())
        if not self._stable(seen, i):
            return None
        return Truth(seen(i), i, f"distinct gt ids visible in frames 1..{i + 1} (t=0..{self.time(i):.2f} s); same at the frames before and after")

    def _window(self, events: np.ndarray, start: int, end: int) -> tuple[int, int]:
        """Events at frames start < k <= end: (number of events, number of different ids)."""
        block = events[max(start + 1, 0):end + 1]
        return int(block.sum()), int(block.any(0).sum())

    def count_window(self, t: float, which: str, window_s: float | None = None, since_s: float | None = None) -> Truth | None:
        """People who came into view (``which="entered"``) or left it (``"left"``) in the last ``window_s`` seconds or since ``since_s``."""
        events = self.entries if which == "entered" else self.exits
        i = self.frame_at(t)
        start = i - self.frames(window_s) if window_s is not None else self.frame_at(since_s)  # type: ignore[arg-type]
        if not self._valid(i) or start - 1 < 0 or start + 1 >= i:
            return None
        counts = {self._window(events, start + ds, i + de) for ds, de in product((-1, 0, 1), repeat=2)}
        n, people = self._window(events, start, i)
        if len(counts) != 1 or n != people:  # a boundary event, or one person entering (leaving) twice
            return None
        verb = "became visible (not visible the frame before)" if which == "entered" else "stopped being visible (visible the frame before)"
        return Truth(n, i, f"gt ids that {verb} at frames {start + 2}..{i + 1} (t in ({self.time(start):.2f}, {self.time(i):.2f}] s); "
                           "each id at most once; same count with either end moved one frame")

    # where
    def _region_hits(self, i: int, region: str) -> tuple[bool, bool]:
        """(some box centre lies in the region, some box overlaps the region) at frame ``i``."""
        b = self.boxes[i][self.visible[i]]
        cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        w, h = self.width, self.height
        lo, hi = {"left": ((0, 0), (w / 2, h)), "right": ((w / 2, 0), (w, h)), "top": ((0, 0), (w, h / 2)),
                  "bottom": ((0, h / 2), (w, h)), "centre": ((w / 3, 0), (2 * w / 3, h))}[region]
        centre = (cx >= lo[0]) & (cx < hi[0]) & (cy >= lo[1]) & (cy < hi[1])
        overlap = (b[:, 2] > lo[0]) & (b[:, 0] < hi[0]) & (b[:, 3] > lo[1]) & (b[:, 1] < hi[1])
        return bool(centre.any()), bool(overlap.any())

    def presence(self, t: float, region: str) -> Truth | None:
        """Whether someone is in an image region now: the same answer by box centre and by any box overlap."""
        i = self.frame_at(t)
        if not self._stable(lambda k: self._region_hits(k, region), i):
            return None
        centre, overlap = self._region_hits(i, region)
        if centre != overlap:
            return None
        area = {"left": "x < W/2", "right": "x >= W/2", "top": "y < H/2", "bottom": "y >= H/2", "centre": "W/3 <= x < 2W/3 (full height)"}[region]
        return Truth(centre, i, f"some visible gt box at {self._at(i)} has its centre in {area}; "
                                "every box touching that region has its centre there too; same at the frames before and after")

    # compare
    def compare(self, t: float, sense: str, ago_s: float | None = None, at_s: float | None = None) -> Truth | None:
        """``sense="more"``: more people visible now than ``ago_s`` seconds ago (or than at ``at_s``); ``"fewer"``: fewer."""
        i = self.frame_at(t)
        j = i - self.frames(ago_s) if ago_s is not None else self.frame_at(at_s)  # type: ignore[arg-type]
        if j >= i or not self._valid(j):
            return None
        count = lambda k: int(self.counts[k])
        if not (self._stable(count, i) and self._stable(count, j)):
            return None
        now, then = count(i), count(j)
        value = now > then if sense == "more" else now < then
        return Truth(value, i, f"visible gt ids at {self._at(i)}: {now}; at {self._at(j)}: {then}; "
                               f"truth is now {'>' if sense == 'more' else '<'} then; both counts stable over +-1 frame")

    # when
    def when_first(self, t: float, newcomer: bool = False, since_s: float | None = None) -> Truth | None:
        """Time the first person was visible; with ``newcomer``, the first person not visible at frame 0; with
        ``since_s``, the first time anyone (a re-entering id too) came into view after ``since_s``."""
        i = self.frame_at(t)
        start = -1 if since_s is None else self.frame_at(since_s)
        grid = self.entries if since_s is not None else self.newcomer if newcomer else self.visible
        rows = np.flatnonzero(grid[start + 1:i + 1].any(1)) + start + 1
        if not self._valid(i) or not len(rows):
            return None
        k = int(rows[0])
        if since_s is not None and not start + 1 < k < i:  # the entry must not move in or out with a one-frame shift
            return None
        what = (f"first frame after t={since_s:g} s where a gt id becomes visible (re-entries included)" if since_s is not None
                else "first frame where a gt id not visible at frame 1 is visible" if newcomer else "first frame with any visible gt id")
        return Truth(round(self.time(k), 3), i, f"{what}: frame {k + 1}, t={self.time(k):.2f} s (seconds from the start)")

    def _latest(self, grid: np.ndarray, i: int) -> int | None:
        rows = np.flatnonzero(grid[:i + 1].any(1))
        return int(rows[-1]) if len(rows) else None

    def when_last(self, t: float, ago: bool = False) -> Truth | None:
        """Time (or, with ``ago``, seconds before now) the most recent newcomer became visible.

        A newcomer is a gt id first visible after frame 1; kept only when the latest entry of anyone (re-entries
        included) is within 1 s of it, and unchanged one frame later or earlier."""
        i = self.frame_at(t)
        if not self._valid(i):
            return None
        new = [self._latest(self.newcomer, k) for k in (i - 1, i, i + 1)]
        if None in new or len(set(new)) != 1:
            return None
        k, anyone = new[1], self._latest(self.entries, i)
        if anyone is None or self.time(anyone - k) > 1.0:  # type: ignore[operator]
            return None
        when = self.time(k)  # type: ignore[arg-type]
        if ago:
            return Truth(round(self.time(i) - when, 3), i, f"t_now - t_first_seen of the newest gt id: {self.time(i):.2f} - {when:.2f} s "
                                                          f"(newest id first visible at frame {k + 1}; any re-entry since is within 1 s)")
        return Truth(round(when, 3), i, f"time the newest gt id (first visible after frame 1) first became visible: frame {k + 1}, t={when:.2f} s "
                                        "(any re-entry since is within 1 s)")

    # how long
    def duration_occupied(self, t: float) -> Truth | None:
        """Seconds since the start of the current unbroken run of frames with at least one visible person."""
        i = self.frame_at(t)
        if not self._valid(i) or not self.counts[i]:
            return None
        empty = np.flatnonzero(self.counts[:i + 1] == 0)
        k = int(empty[-1]) + 1 if len(empty) else 0
        return Truth(round(self.time(i - k), 3), i, f"t_now - start of the current run of frames with >= 1 visible gt id: "
                                                    f"{self.time(i):.2f} - {self.time(k):.2f} s")

    def _segment(self, col: int, k: int, i: int) -> tuple[int, int] | None:
        """The visible segment of id column ``col`` that starts at frame ``k``, cut at frame ``i``: (start, last)."""
        run = self.visible[k:i + 1, col]
        gaps = np.flatnonzero(~run)
        return (k, k + (int(gaps[0]) - 1 if len(gaps) else len(run) - 1)) if run[0] else None

    def duration_newcomer(self, t: float) -> Truth | None:
        """Seconds the newest newcomer has been (or was) in view: from its first visible frame to its last one so far.

        Kept when the newest newcomer is unchanged over +-1 frame, is visible without a gap since it appeared, and
        the latest arrival of anyone (re-entries included) would give the same duration within 1 s."""
        i = self.frame_at(t)
        if not self._valid(i):
            return None
        new = [self._latest(self.newcomer, k) for k in (i - 1, i, i + 1)]
        if None in new or len(set(new)) != 1:
            return None
        k = new[1]
        col = int(np.flatnonzero(self.newcomer[k])[0]) if self.newcomer[k].sum() == 1 else None  # type: ignore[index]
        if col is None:
            return None
        start, last = self._segment(col, k, i)  # type: ignore[arg-type, misc]
        if self.visible[last + 1:i + 1, col].any():  # it came back: "how long was it visible" is ambiguous
            return None
        value = self.time(last - start)
        anyone = self._latest(self.entries, i)
        other = [self._segment(c, anyone, i) for c in np.flatnonzero(self.entries[anyone])]  # type: ignore[index]
        if any(abs(self.time(b - a) - value) > 1.0 for a, b in other):  # type: ignore[misc]
            return None
        state = "still visible" if last == i else f"last visible at frame {last + 1}"
        return Truth(round(value, 3), i, f"newest gt id (first visible after frame 1) visible from frame {start + 1} to frame {last + 1} "
                                         f"({state}): {self.time(start):.2f}..{self.time(last):.2f} s; the latest arrival of anyone gives the same within 1 s")

    def duration_leaver(self, t: float) -> Truth | None:
        """Seconds the person who left most recently was in view: from entering (after frame 1) to the last visible frame."""
        i = self.frame_at(t)
        if not self._valid(i):
            return None
        latest = [self._latest(self.exits, k) for k in (i - 1, i, i + 1)]
        if None in latest or len(set(latest)) != 1 or self.exits[latest[1]].sum() != 1:  # type: ignore[index]
            return None
        e = latest[1]
        col = int(np.flatnonzero(self.exits[e])[0])  # type: ignore[index]
        before = np.flatnonzero(~self.visible[:e, col])  # type: ignore[misc]
        if not len(before):  # visible since frame 1: how long it had been there before the video is unknown
            return None
        start = int(before[-1]) + 1
        value = self.time(e - 1 - start)  # type: ignore[operator]
        return Truth(round(value, 3), i, f"gt id that most recently stopped being visible (frame {e + 1}, one id): "  # type: ignore[operator]
                                         f"visible from frame {start + 1} to frame {e}: {self.time(start):.2f}..{self.time(e - 1):.2f} s")  # type: ignore[operator]
