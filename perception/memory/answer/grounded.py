"""The built-in grounded answerer: reads the question (perception.memory.understand), answers it from the
event memory with a typed value (int, bool, seconds, region or list) and cites times and IDs.

Counts are per identity (tracker fragments of one object count once) and 'now' uses the memory's
flicker-proof present set. A question read with low confidence is answered with a note saying how it
was read, or handed to a configured fallback backend (a VLM)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from perception.memory.answer.base import AnswerBackend, AnswerChunk, Citation
from perception.memory.answer.crowd import Crowd, Person
from perception.memory.answer.retrieval import TimelineRetriever
from perception.memory.describe import region_name
from perception.memory.store import MemorySnapshot
from perception.memory.tracks import TrackSummary
from perception.memory.understand import CONFIDENT, Reading, TimeSpec, read_question
from perception.types import UNLABELLED

Reply = tuple[str, object, list[Citation]]
SUMMARY_WINDOW_S = 10.0  # 'what happened?' without a window covers the last ten seconds
SUMMARY_LINES = 6


def _fmt(t: float) -> str:
    return f"{t:.1f} s"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}"


def _looks(s: TrackSummary | Person) -> str:
    label = s.label if s.label != UNLABELLED else None
    return ", ".join(x for x in (label, s.colour, s.size) if x)


def _counted(n: int, r: Reading, text: str) -> tuple[str, object]:
    """The text and value of a count: the number, or for a yes-or-no question whether there are any at all or as
    many as asked ('did more than 20 people come in': ``r.threshold``)."""
    if not r.yes_no:
        return text, n
    if r.threshold is None:
        return ("Yes: " if n else "No: ") + text, n > 0
    return _checked(r, r.passes(n), text)


def _checked(r: Reading, yes: bool, text: str) -> tuple[str, bool]:
    """An answer to a question asked against a number: 'No (more than 20 asked): 14 people came into view ...'."""
    return f"{'Yes' if yes else 'No'} ({r.check_words} asked): {text}", yes


def _binned(events: list[tuple[float, str, str, Person]], t1: float, t2: float) -> list[str]:
    """Events of [t1, t2] in ``SUMMARY_LINES`` equal spans, one line per span with any: '10.0-20.0 s: 3 came in (#4,
    #7, #9), 1 left (#2).'"""
    edges = np.linspace(t1, t2, SUMMARY_LINES + 1)
    lines = []
    for a, b in zip(edges[:-1], edges[1:]):
        inside = [e for e in events if a <= e[0] < b or (b == t2 and e[0] == t2)]
        parts = []
        for kind, verb in (("appeared", "came in"), ("disappeared", "left"), ("stopped", "stopped")):
            who = [e[3] for e in inside if e[1] == kind]
            if who:
                parts.append(f"{len(who)} {verb} ({_ids(who, 5)})")
        if parts:
            lines.append(f"{a:.1f}-{b:.1f} s: {', '.join(parts)}.")
    return lines


def _ids(people: list[Person], k: int = 10) -> str:
    return ", ".join(f"#{p.shown_id}" for p in people[:k]) + (f" and {len(people) - k} more" if len(people) > k else "")


class GroundedAnswerer:
    """Weight-free answers from the snapshot's event memory; unreadable questions fall back to retrieval."""

    name = "builtin"

    def __init__(self, retriever: TimelineRetriever | None = None, fallback: AnswerBackend | None = None,
                 min_confidence: float = CONFIDENT):
        self.retriever = retriever or TimelineRetriever()
        self.fallback = fallback
        self.min_confidence = min_confidence
        self._handlers: dict[str, Callable[[MemorySnapshot, Reading], Reply]] = {
            "count_now": self._count_now, "count_distinct": self._count_distinct, "count_entered": self._count_entered,
            "count_left": self._count_left, "count_peak": self._peak, "when_peak": self._peak,
            "presence": self._presence, "compare": self._compare,
            "when_first": self._when_first, "when_last": self._when_last, "duration": self._duration,
            "where": self._where, "summary": self._summary, "describe": self._describe, "track": self._track,
        }

    def answer(self, snapshot: MemorySnapshot, question: str) -> Iterator[AnswerChunk]:
        """Yield one grounded answer chunk (text, typed value, citations)."""
        if snapshot.frames == 0:
            yield AnswerChunk("I have not seen any frames yet.")
            return
        r = read_question(question)
        unsure = r.confidence < self.min_confidence
        if unsure and self.fallback is not None:
            yield AnswerChunk(f"(Not sure how to read this; I would read it as: {r.phrase}. Asking {self.fallback.name}.) ")
            yield from self.fallback.answer(snapshot, question)
            return
        if unsure and r.label_word is None and r.track_id is None and r.region is None:
            yield from self.retriever.answer(snapshot, question)
            return
        text, value, cites = self.reply(snapshot, r)
        if unsure:
            text = f"I read this as: {r.phrase}. {text}"
        yield AnswerChunk(text, tuple(cites) or (Citation(snapshot.time, frame_index=snapshot.frame_index),), value)

    def reply(self, snap: MemorySnapshot, r: Reading) -> Reply:
        """Text, typed value and citations for a reading."""
        if r.time is not None and r.time.kind in ("since", "at", "between"):  # a window or moment still to come
            fut = self._future(snap, r.time.resolve(snap.time)[0])
            if fut:
                return fut
        if r.instance_id is not None or (r.intent.startswith("count") and "instance" in r.text.lower()):
            return self._instances(snap, r)
        return self._handlers[r.intent](snap, r)

    # --- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _moment(snap: MemorySnapshot, spec: TimeSpec | None) -> float:
        if spec is None:
            return snap.time
        lo, hi = spec.resolve(snap.time)
        return hi if not spec.is_moment else lo

    @staticmethod
    def _window(snap: MemorySnapshot, r: Reading, default_s: float | None = None) -> tuple[float, float, str]:
        """(t1, t2, words) of the asked window; the whole stream (or the last ``default_s``) when none is given."""
        spec = r.time
        if spec is not None and spec.is_moment:
            spec = TimeSpec("since", spec.resolve(snap.time)[0]) if spec.kind == "at" else TimeSpec("last", spec.a)
        if spec is None:
            if default_s is None:
                return 0.0, snap.time, f"so far (0.0-{_fmt(snap.time)})"
            spec = TimeSpec("last", default_s)
        t1, t2 = spec.resolve(snap.time)
        return t1, t2, spec.describe(snap.time)

    @staticmethod
    def _where_words(r: Reading) -> str:
        out = f" in the {r.region.name}" if r.region else ""
        return out + (" near the camera" if r.depth == "near" else " far from the camera" if r.depth == "far" else "")

    @staticmethod
    def _note(crowd: Crowd) -> str:
        label = crowd.reading.label
        if crowd.class_agnostic:
            return f" (tracks carry no class names here, so every tracked object counts as a {label})"
        if label is not None and crowd.people and all(p.label == UNLABELLED for p in crowd.people):
            return f" (none is labelled {label}: these are tracked objects of unknown class)"
        return ""

    def _future(self, snap: MemorySnapshot, t: float) -> Reply | None:
        if t > snap.time + snap.frame_period:
            return f"{_fmt(t)} is in the future (the stream is at {_fmt(snap.time)}).", None, [Citation(snap.time)]
        return None

    def _track_ref(self, snap: MemorySnapshot, r: Reading) -> TrackSummary | Reply:
        s = snap.tracks.get(r.track_id) if r.track_id is not None else None
        if s is not None and s.confirmed:
            return s
        if snap.forgotten_objects and r.track_id not in snap.tracks:
            return (f"I no longer remember object #{r.track_id}: it ended long ago and was compacted away "
                    f"({snap.forgotten_objects} old objects compacted).", None, [Citation(snap.time)])
        return f"I have not seen object #{r.track_id}.", None, [Citation(snap.time)]

    def _pick(self, crowd: Crowd, people: list[Person], key: Callable[[Person], float], r: Reading) -> Person | None:
        """The referent among candidates: by ordinal (1 = earliest by ``key``, -1 = latest), else the latest."""
        if not people:
            return None
        ranked = sorted(people, key=key)
        k = r.ordinal if r.ordinal is not None else -1
        if k > 0:
            return ranked[k - 1] if k <= len(ranked) else None
        return ranked[k] if -k <= len(ranked) else None

    # --- counts ----------------------------------------------------------------------------
    def _count_now(self, snap: MemorySnapshot, r: Reading) -> Reply:
        if r.time is not None and not r.time.is_moment:
            return self._count_distinct(snap, r)
        t = self._moment(snap, r.time)
        fut = self._future(snap, t)
        if fut:
            return fut
        crowd = Crowd(snap, r)
        if t < crowd.start_t - 1e-6:
            return f"The stream had not started at {_fmt(t)}.", None, [Citation(t)]
        who = crowd.at_held(t)
        n = len(who)
        when = f"now ({_fmt(t)})" if r.time is None else r.time.describe(snap.time)
        listing = "; ".join(f"#{p.shown_id} ({', '.join(x for x in (_looks(p), self._region(crowd, p, t)) if x)})" for p in who[:8])
        text = f"{_plural(n, r.noun(n))} visible{self._where_words(r)} {when}{self._note(crowd)}" + (f": {listing}." if listing else ".")
        text, value = _counted(n, r, text)
        return text, value, [Citation(t, tuple(p.shown_id for p in who[:20]), frame_index=snap.frame_index if r.time is None else None)]

    @staticmethod
    def _region(crowd: Crowd, p: Person, t: float) -> str | None:
        xy = p.position_at(t)
        return None if xy is None else region_name(xy[0], xy[1], *crowd.snap.image_size)

    def _count_distinct(self, snap: MemorySnapshot, r: Reading) -> Reply:
        crowd = Crowd(snap, r)
        t1, t2, when = self._window(snap, r)
        whole = r.time is None
        seen = crowd.during(t1, t2) if not whole or crowd.filtered else crowd.people
        people = [p for p in seen if not crowd.blink(p)]
        n = len(people)
        if whole and not crowd.filtered and not r.colour:  # the memory's own tally also covers compacted tracks
            n = max(n, snap.distinct_identities - crowd.merged - (len(seen) - n))
        note = f" (plus up to {snap.forgotten_objects} compacted old objects)" if whole and crowd.filtered and snap.forgotten_objects else ""
        text = f"{_plural(n, 'different ' + r.noun(n))} seen{self._where_words(r)} {when}{note}{self._note(crowd)}"
        text += f": {_ids(people)}." if people else "."
        text, value = _counted(n, r, text)
        return text, value, [Citation(p.first_t, (p.shown_id,)) for p in people[:20]] or [Citation(t2)]

    def _count_entered(self, snap: MemorySnapshot, r: Reading) -> Reply:
        crowd = Crowd(snap, r)
        t1, t2, when = self._window(snap, r)
        came = [p for p in crowd.people if t1 <= p.first_t <= t2 + 1e-6 and crowd.arrived(p)
                and crowd.in_region(p, p.first_t, r.region)]
        came = crowd.by_depth(came)
        n = len(came)
        rise = None if r.region or r.depth else crowd.net_arrivals(t1, t2)
        if rise is not None and rise[0] > n:  # more in view than arrivals seen: some walked in unnoticed
            n = rise[0]
        detail = "; ".join(f"#{p.shown_id} at {_fmt(p.first_t)}" for p in came[:8])
        text = f"{_plural(n, r.noun(n))} came into view{self._where_words(r)} {when}{self._note(crowd)}"
        if n > len(came):
            _, before, after = rise
            text += (f" ({before} in view at {_fmt(max(t1, crowd.start_t))}, {after} at {_fmt(t2)};"
                     f" {len(came)} seen walking in" + (f": {detail})." if came else ")."))
        else:
            text += f": {detail}." if came else "."
        text, value = _counted(n, r, text)
        return text, value, [Citation(p.first_t, (p.shown_id,)) for p in came[:20]] or [Citation(t2)]

    def _count_left(self, snap: MemorySnapshot, r: Reading) -> Reply:
        crowd = Crowd(snap, r)
        t1, t2, when = self._window(snap, r)
        went = [p for p in crowd.people if t1 <= p.last_t <= t2 + 1e-6 and crowd.departed(p, snap.time)
                and crowd.in_region(p, p.last_t, r.region)]
        went = crowd.by_depth(went)
        n = len(went)
        flow = None if r.region or r.depth else crowd.net_departures(t1, t2)
        if flow is not None and flow[0] < n:  # tracks lost mid-crowd outnumber what the counts allow
            n = flow[0]
        detail = "; ".join(f"#{p.shown_id} at {_fmt(p.last_t)}" for p in sorted(went, key=lambda p: p.last_t)[:8])
        text = f"{_plural(n, r.noun(n))} left the view{self._where_words(r)} {when}{self._note(crowd)}"
        if n < len(went):
            _, before, came, after = flow
            text += (f" ({before} in view at {_fmt(max(t1, crowd.start_t))}, {came} came in, {after} in view at {_fmt(t2)};"
                     f" {len(went)} tracks ended: {detail}).")
        else:
            text += f": {detail}." if went else "."
        text, value = _counted(n, r, text)
        return text, value, [Citation(p.last_t, (p.shown_id,)) for p in went[:20]] or [Citation(t2)]

    def _peak(self, snap: MemorySnapshot, r: Reading) -> Reply:
        """The most (fewest) in view at once in the asked window: the count, or for 'when was it busiest' its time."""
        crowd = Crowd(snap, r)
        t1, t2, when = self._window(snap, r)
        most = r.extreme != "fewest"
        n, t = crowd.extreme(t1, t2, most)
        who = crowd.at_held(t)
        seconds, at = self._time_value(snap, r, t)
        text = (f"The {'most' if most else 'fewest'} {r.noun()}{self._where_words(r)} in view at once {when}: {n}, "
                f"first {at}{self._note(crowd)}" + (f" ({_ids(who)})." if who else "."))
        cites = [Citation(t, tuple(p.shown_id for p in who[:20]))]
        if r.intent == "when_peak":
            return text, seconds, cites
        text, value = _counted(n, r, text)
        return text, value, cites

    def _presence(self, snap: MemorySnapshot, r: Reading) -> Reply:
        crowd = Crowd(snap, r)
        if r.time is not None and not r.time.is_moment:
            t1, t2, when = self._window(snap, r)
            who = crowd.during(t1, t2)
        else:
            t = self._moment(snap, r.time)
            fut = self._future(snap, t)
            if fut:
                return fut
            who = crowd.at(t)
            when = f"now ({_fmt(t)})" if r.time is None else r.time.describe(snap.time)
        n = len(who)
        yes = (n == 0) if r.negated else (n > 0)
        core = (f"{_plural(n, r.noun(n))} in view{self._where_words(r)} {when}{self._note(crowd)}"
                + (f" ({_ids(who)})." if who else "."))
        return ("Yes: " if yes else "No: ") + core, yes, [Citation(snap.time if r.time is None else self._moment(snap, r.time),
                                                                  tuple(p.shown_id for p in who[:20]))]

    def _compare(self, snap: MemorySnapshot, r: Reading) -> Reply:
        crowd = Crowd(snap, r)
        t_now = self._moment(snap, r.time) if r.time is not None and r.time.is_moment else snap.time
        ref = r.reference or TimeSpec("ago", 10.0)
        t_ref = ref.resolve(snap.time)[0]
        fut = self._future(snap, max(t_now, t_ref))
        if fut:
            return fut
        if t_ref < crowd.start_t - 1e-6:
            t_ref = crowd.start_t
        a, b = crowd.count_at(t_now), crowd.count_at(t_ref)
        op = r.compare_op or "change"
        yes = a > b if op == "more" else a < b if op == "fewer" else a == b if op == "same" else a != b
        now_words = f"now ({_fmt(t_now)})" if t_now >= snap.time - 1e-6 else f"at {_fmt(t_now)}"
        text = (f"{'Yes' if yes else 'No'}: {_plural(a, r.noun(a))}{self._where_words(r)} in view {now_words} against {b} "
                f"{ref.describe(snap.time)}{self._note(crowd)}.")
        return text, yes, [Citation(t_now, frame_index=snap.frame_index if t_now >= snap.time - 1e-6 else None), Citation(t_ref)]

    # --- times -----------------------------------------------------------------------------
    def _time_value(self, snap: MemorySnapshot, r: Reading, t: float) -> tuple[float, str]:
        ago = snap.time - t
        return (round(ago, 3) if r.ago else t), f"at {_fmt(t)} ({ago:.1f} s ago)"

    def _when_first(self, snap: MemorySnapshot, r: Reading) -> Reply:
        if r.track_id is not None:
            s = self._track_ref(snap, r)
            if not isinstance(s, TrackSummary):
                return s
            value, when = self._time_value(snap, r, s.born_t)
            where = s.region_at(s.born_t)
            return (f"Object #{s.id} ({_looks(s)}) was first seen {when}" + (f" in the {where}." if where else "."),
                    value, [Citation(s.born_t, (s.id,))])
        crowd = Crowd(snap, r)
        t1, t2, _ = self._window(snap, r)
        people = [p for p in crowd.people if t1 <= p.first_t <= t2 + 1e-6 and crowd.in_region(p, p.first_t, r.region)]
        arrivals = [p for p in people if crowd.arrived(p)]
        if r.ordinal != 1 or r.about == "arrival" or r.time is not None:
            people = arrivals or people if r.ordinal == 1 else arrivals
        p = self._pick(crowd, people, lambda p: p.first_t, r)
        if p is None:
            return f"I have not seen {r.noun(1)}{self._where_words(r)} come into view" + (f" {self._window(snap, r)[2]}" if r.time else "") + ".", None, [Citation(snap.time)]
        value, when = self._time_value(snap, r, p.first_t)
        which = {1: "The first", -1: "The most recent"}.get(r.ordinal if r.ordinal is not None else -1, f"Number {r.ordinal}")
        where = self._region(crowd, p, p.first_t)
        return (f"{which} {r.noun(1)}{self._where_words(r)} to appear, #{p.shown_id} ({_looks(p)}), came into view {when}"
                + (f" in the {where}." if where else "."), value, [Citation(p.first_t, (p.tracks[0].id,))])

    def _when_last(self, snap: MemorySnapshot, r: Reading) -> Reply:
        if r.track_id is not None:
            s = self._track_ref(snap, r)
            if not isinstance(s, TrackSummary):
                return s
            t = s.last_seen_t if s.last_seen_t is not None else s.born_t
            value, when = self._time_value(snap, r, t)
            if s.visible_now:
                return (f"Object #{s.id} ({_looks(s)}) is still visible now ({_fmt(snap.time)}), in the {s.region_at(t)}.",
                        value, [Citation(t, (s.id,), frame_index=snap.frame_index)])
            return f"Object #{s.id} ({_looks(s)}) was last seen {when} in the {s.region_at(t)}.", value, [Citation(t, (s.id,))]
        crowd = Crowd(snap, r)
        if r.about == "arrival":
            return self._latest_arrival(snap, r, crowd)
        t1, t2, _ = self._window(snap, r)
        gone = [p for p in crowd.people if not p.present and t1 <= p.last_t <= t2 + 1e-6 and crowd.in_region(p, p.last_t, r.region)]
        leaving = any(w in r.text.lower() for w in ("leav", "left", "exit", "disappear", "gone", "vanish", "depart", "out of"))
        if not gone and not leaving:
            here = [p for p in crowd.people if p.present and crowd.in_region(p, snap.time, r.region)]
            if here:
                return (f"{_plural(len(here), r.noun(len(here)))}{self._where_words(r)} still in view now ({_fmt(snap.time)}): {_ids(here)}.",
                        (0.0 if r.ago else snap.time), [Citation(snap.time, tuple(p.shown_id for p in here[:20]), frame_index=snap.frame_index)])
        p = self._pick(crowd, gone, lambda p: p.last_t, r)
        if p is None:
            return f"I have not seen {r.noun(1)}{self._where_words(r)} leave the view.", None, [Citation(snap.time)]
        value, when = self._time_value(snap, r, p.last_t)
        where = self._region(crowd, p, p.last_t)
        return (f"#{p.shown_id} ({_looks(p)}) was last seen {when}" + (f" in the {where}" if where else "") + ", and has not been seen since.",
                value, [Citation(p.last_t, (p.shown_id,))])

    def _newest(self, snap: MemorySnapshot, r: Reading, crowd: Crowd) -> Person | None:
        """The identity that most recently walked into view (in the asked window and region), if any."""
        t1, t2, _ = self._window(snap, r)
        came = [p for p in crowd.people if t1 <= p.first_t <= t2 + 1e-6 and crowd.arrived(p) and crowd.in_region(p, p.first_t, r.region)]
        return max(came, key=lambda p: p.first_t) if came else None

    def _latest_arrival(self, snap: MemorySnapshot, r: Reading, crowd: Crowd) -> Reply:
        p = self._newest(snap, r, crowd)
        if p is None:
            return f"Nobody new{self._where_words(r)} has come into view since the start.", None, [Citation(snap.time)]
        value, when = self._time_value(snap, r, p.first_t)
        where = self._region(crowd, p, p.first_t)
        return (f"The most recent {r.noun(1)} to walk into view, #{p.shown_id} ({_looks(p)}), appeared {when}"
                + (f" in the {where}." if where else "."), value, [Citation(p.first_t, (p.tracks[0].id,))])

    def _occupied(self, snap: MemorySnapshot, r: Reading, crowd: Crowd) -> Reply:
        """How long the scene has had at least one of the asked objects in it without a break."""
        start = crowd.occupied_since(snap.time) if crowd.at(snap.time) else None
        if start is None:
            return f"No {r.noun(1)}{self._where_words(r)} is in view now ({_fmt(snap.time)}).", 0.0, [Citation(snap.time)]
        span = snap.time - start
        return (f"There has been at least one {r.noun(1)}{self._where_words(r)} in view for {span:.1f} s, since {_fmt(start)} "
                f"(now {_fmt(snap.time)}).", round(span, 3), [Citation(start), Citation(snap.time, frame_index=snap.frame_index)])

    def _stay(self, snap: MemorySnapshot, r: Reading, p: Person, who: str) -> Reply:
        end = snap.time if p.present else p.last_t
        span = end - p.first_t
        state = "and is still in view" if p.present else f"until {_fmt(p.last_t)}"
        return (f"{who} #{p.shown_id} ({_looks(p)}) was in view for {span:.1f} s: from {_fmt(p.first_t)} {state}.",
                round(span, 3), [Citation(p.first_t, (p.tracks[0].id,)), Citation(end, (p.shown_id,))])

    def _duration(self, snap: MemorySnapshot, r: Reading) -> Reply:
        if r.track_id is not None:
            s = self._track_ref(snap, r)
            if not isinstance(s, TrackSummary):
                return s
            d = s.visible_duration
            spans = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in s.intervals[:8])
            still = " and is still visible" if s.visible_now else ""
            text = (f"Object #{s.id} ({_looks(s)}) was visible for {d:.1f} s in {len(s.intervals)} stretch"
                    f"{'es' if len(s.intervals) != 1 else ''} ({spans}){still}.")
            value: object = d
            if r.threshold is not None:  # 'has car 25 been there more than 10 minutes?'
                text, value = _checked(r, r.passes(d), text)
            return text, value, [Citation(a, (s.id,)) for a, _ in s.intervals[:8]]
        crowd = Crowd(snap, r)
        if r.about == "occupied":
            return self._occupied(snap, r, crowd)
        if r.about == "arrival":
            p = self._newest(snap, r, crowd)
            return self._stay(snap, r, p, f"The newest {r.noun(1)},") if p else (f"Nobody new{self._where_words(r)} has come into view.", None, [Citation(snap.time)])
        if r.about == "departure":
            t1, t2, _ = self._window(snap, r)
            gone = [p for p in crowd.people if t1 <= p.last_t <= t2 + 1e-6 and crowd.departed(p, snap.time)]
            if not gone:
                return f"I have not seen {r.noun(1)}{self._where_words(r)} leave.", None, [Citation(snap.time)]
            return self._stay(snap, r, max(gone, key=lambda p: p.last_t), f"The last {r.noun(1)} to leave,")
        people = crowd.at(snap.time) or crowd.during(*self._window(snap, r)[:2])
        if not people:
            return f"I have not seen {r.noun(1)}{self._where_words(r)}.", None, [Citation(snap.time)]
        p = self._pick(crowd, people, lambda p: p.first_t, r) if r.ordinal is not None else max(people, key=lambda p: p.last_t - p.first_t)
        assert p is not None
        span = (snap.time if p.present else p.last_t) - p.first_t + snap.frame_period
        state = "is still in view" if p.present else f"left at {_fmt(p.last_t)}"
        others = f" ({len(people) - 1} others match too: {_ids([q for q in people if q is not p], 5)})" if len(people) > 1 else ""
        return (f"#{p.shown_id} ({_looks(p)}) has been around for {span:.1f} s: first seen at {_fmt(p.first_t)}, {state}{others}.",
                round(span, 3), [Citation(p.first_t, (p.tracks[0].id,)), Citation(p.last_t, (p.shown_id,))])

    # --- places ----------------------------------------------------------------------------
    def _where(self, snap: MemorySnapshot, r: Reading) -> Reply:
        if r.track_id is not None:
            s = self._track_ref(snap, r)
            if not isinstance(s, TrackSummary):
                return s
            t = self._moment(snap, r.time)
            now = r.time is None
            if not (s.visible_now if now else s.visible_at(t)):
                last = s.last_seen_t if s.last_seen_t is not None else s.born_t
                when = "now" if now else f"at {_fmt(t)}"
                return (f"Object #{s.id} ({_looks(s)}) was not visible {when}; it was last seen at {_fmt(last)} "
                        f"in the {s.region_at(last)}.", None, [Citation(last, (s.id,))])
            ts = min(t, s.last_seen_t) if s.last_seen_t is not None else t
            p3 = s.position3d_at(ts)
            value = p3 if r.three_d and p3 is not None else s.region_at(ts)
            pos = " at ({:.2f}, {:.2f}, {:.2f}) m".format(*p3) if p3 is not None else ""
            return (f"Object #{s.id} ({_looks(s)}) {'is' if now else 'was'} in the {s.region_at(ts)}{pos} "
                    + (f"({_fmt(t)})." if now else f"at {_fmt(t)}."), value, [Citation(t, (s.id,))])
        crowd = Crowd(snap, r)
        if r.about == "arrival":
            p = self._newest(snap, r, crowd)
            if p is not None:
                where = self._region(crowd, p, p.first_t)
                return (f"The newest {r.noun(1)}, #{p.shown_id} ({_looks(p)}), came into view at {_fmt(p.first_t)} in the {where}.",
                        where, [Citation(p.first_t, (p.tracks[0].id,))])
        t = self._moment(snap, r.time)
        people = crowd.at(t)
        if not people:
            gone = sorted(crowd.people, key=lambda p: p.last_t)
            if not gone:
                return f"I have not seen {r.noun(1)}{self._where_words(r)}.", None, [Citation(snap.time)]
            p = gone[-1]
            where = self._region(crowd, p, p.last_t)
            return (f"No {r.noun(1)} is in view {'now' if r.time is None else _fmt(t)}; the last one, #{p.shown_id}, "
                    f"was last seen at {_fmt(p.last_t)} in the {where}.", None, [Citation(p.last_t, (p.shown_id,))])
        if r.ordinal is not None:
            one = self._pick(crowd, people, lambda p: p.first_t, r)
            people = [one] if one is not None else people
        places = [self._region(crowd, p, t) for p in people]
        parts = [f"#{p.shown_id} ({_looks(p)}) in the {w}" for p, w in zip(people[:10], places)]
        text = "; ".join(parts) + (f" ({_fmt(t)})." if r.time is None else f" at {_fmt(t)}.")
        value: object = places[0] if len(places) == 1 else places
        return text[0].upper() + text[1:], value, [Citation(t, tuple(p.shown_id for p in people[:10]))]

    def _describe(self, snap: MemorySnapshot, r: Reading) -> Reply:
        crowd = Crowd(snap, r)
        t = self._moment(snap, r.time)
        people = crowd.at(t)
        if r.ordinal is not None and people:
            one = self._pick(crowd, people, lambda p: p.first_t, r)
            people = [one] if one is not None else people
        when = f"now ({_fmt(t)})" if r.time is None else f"at {_fmt(t)}"
        if not people:
            return f"No {r.noun(1)}{self._where_words(r)} in view {when}.", [], [Citation(t)]
        lines = [f"#{p.shown_id} ({', '.join(x for x in (_looks(p), self._region(crowd, p, t)) if x)}, in view since {_fmt(p.first_t)})"
                 for p in people[:10]]
        text = f"{_plural(len(people), r.noun(len(people)))}{self._where_words(r)} in view {when}: " + "; ".join(lines) + "."
        if r.attribute == "color":
            value: object = [p.colour for p in people] if len(people) > 1 else people[0].colour
        elif r.attribute == "size":
            value = [p.size for p in people] if len(people) > 1 else people[0].size
        else:
            value = sorted(p.shown_id for p in people)
        return text, value, [Citation(t, tuple(p.shown_id for p in people[:20]), frame_index=snap.frame_index if r.time is None else None)]

    def _track(self, snap: MemorySnapshot, r: Reading) -> Reply:
        if r.track_id is None:
            return self._describe(snap, r)
        s = self._track_ref(snap, r)
        if not isinstance(s, TrackSummary):
            return s
        cite = [Citation(s.last_seen_t or s.born_t, (s.id,))]
        if r.attribute == "color":
            return f"Object #{s.id} is {s.colour}.", s.colour, cite
        if r.attribute == "size":
            w, h = s.mean_wh
            return (f"Object #{s.id} is {s.size}: about {w:.0f} x {h:.0f} px on a {s.image_size[0]} x {s.image_size[1]} image.",
                    s.size, cite)
        return snap.describe_object(s.id) + ".", {"id": s.id, "first_seen": s.born_t, "last_seen": s.last_seen_t,
                                                  "visible_now": s.visible_now, "colour": s.colour, "size": s.size}, cite

    def _instances(self, snap: MemorySnapshot, r: Reading) -> Reply:
        if r.instance_id is None:
            n = snap.distinct_instances
            return f"{n} distinct 3D instances mapped so far.", n, [Citation(snap.time, (), tuple(sorted(snap.instances))[:50])]
        inst = snap.instances.get(r.instance_id)
        if inst is None:
            return f"I have no 3D instance #{r.instance_id}.", None, [Citation(snap.time)]
        return ("3D instance #{} is at ({:.2f}, {:.2f}, {:.2f}) m".format(inst.id, *inst.centroid)
                + f", last updated {_fmt(inst.last_t)}.", inst.centroid, [Citation(inst.last_t, (), (inst.id,))])

    # --- summaries -------------------------------------------------------------------------
    def _summary(self, snap: MemorySnapshot, r: Reading) -> Reply:
        crowd = Crowd(snap, r)
        if r.time is not None and r.time.is_moment:  # 'what was going on at 20 s': the few seconds up to that moment
            t2 = self._moment(snap, r.time)
            t1, when = max(0.0, t2 - SUMMARY_WINDOW_S / 2), f"up to {_fmt(t2)}"
        else:
            t1, t2, when = self._window(snap, r, SUMMARY_WINDOW_S)
        events: list[tuple[float, str, str, Person]] = []
        moved: list[Person] = []
        for p in crowd.during(t1, t2):
            if t1 <= p.first_t <= t2 and crowd.newcomer(p):  # anyone new in view, arriving or emerging from behind others
                events.append((p.first_t, "appeared", f"#{p.shown_id} ({_looks(p)}) came into view in the {self._region(crowd, p, p.first_t)}", p))
            if t1 <= p.last_t <= t2 and crowd.departed(p, snap.time):
                events.append((p.last_t, "disappeared", f"#{p.shown_id} left from the {self._region(crowd, p, p.last_t)}", p))
            motion = self._motion(p, max(t1, p.first_t), min(t2, p.last_t))
            if motion == "stopped":
                t_stop = min(t2, p.last_t)
                events.append((t_stop, "stopped", f"#{p.shown_id} stopped in the {self._region(crowd, p, t_stop)}", p))
            elif motion == "moved":
                moved.append(p)
        events.sort(key=lambda e: e[0])
        value: dict[str, list[int]] = {"appeared": [], "disappeared": [], "stopped": [], "moved": sorted(p.shown_id for p in moved)}
        for _, kind, _, p in events:
            value[kind].append(p.tracks[0].id if kind == "appeared" else p.shown_id)
        value = {k: sorted(v) for k, v in value.items()}
        lines = [f"{when.capitalize()}:"]
        if len(events) <= SUMMARY_LINES:
            lines += [f"{t:.1f} s: {text}." for t, _, text, _ in events]
        else:  # more than a few lines hold: what came, left and stopped in each of a few equal spans, in time order
            lines += _binned(events, t1, t2)
        counts = (f"{len(value['appeared'])} came, {len(value['disappeared'])} left, {len(value['stopped'])} stopped, "
                  f"{len(moved)} moved about; {crowd.count_at(t2)} in view at {_fmt(t2)}.")
        if not events and not moved:
            counts = f"nothing changed; {crowd.count_at(t2)} in view at {_fmt(t2)}."
        lines.append(counts[0].upper() + counts[1:])
        cites = [Citation(t, (p.shown_id,)) for t, _, _, p in events[:20]] or [Citation(t2)]
        other = [e for e in snap.events if t1 <= e.t <= t2 and e.kind in ("instance", "scene_change")]
        if other:
            lines.append("Also: " + "; ".join(e.text for e in other[:4]) + ".")
        return "\n".join(lines), value, cites

    @staticmethod
    def _motion(p: Person, t1: float, t2: float) -> str | None:
        """'stopped' (moved, then stood still for the last 2 s of the window), 'moved', or None (stood still)."""
        if t2 - t1 < 1.0:
            return None
        a, b = p.position_at(t1), p.position_at(t2)
        if a is None or b is None:
            return None
        h = max(p.height, 1.0)
        travel = float(np.hypot(b[0] - a[0], b[1] - a[1])) / h
        if travel < 0.5:
            return None
        if t2 - t1 >= 4.0:
            c = p.position_at(t2 - 2.0)
            if c is not None and float(np.hypot(b[0] - c[0], b[1] - c[1])) / h < 0.15 and p.present:
                return "stopped"
        return "moved"
