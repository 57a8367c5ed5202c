"""The built-in grounded answerer: answers parsed questions from the event memory, citing times and IDs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from perception.memory.answer.base import AnswerChunk, Citation
from perception.memory.answer.parse import Query, parse_question
from perception.memory.answer.retrieval import TimelineRetriever
from perception.memory.store import MemorySnapshot
from perception.memory.tracks import TrackSummary

Reply = tuple[str, object, list[Citation]]


def _fmt(t: float) -> str:
    return f"{t:.1f} s"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _looks(s: TrackSummary) -> str:
    return ", ".join(x for x in (s.colour, s.size) if x)


class GroundedAnswerer:
    """Weight-free answers from the snapshot's event memory; unparsed questions fall back to retrieval."""

    name = "builtin"

    def __init__(self, retriever: TimelineRetriever | None = None):
        self.retriever = retriever or TimelineRetriever()
        self._handlers: dict[str, Callable[[MemorySnapshot, Query], Reply]] = {
            "count_now": self._count_now, "count_at": self._count_at, "count_distinct": self._count_distinct,
            "count_instances": self._count_instances, "first_seen": self._first_seen, "last_seen": self._last_seen,
            "where": self._where, "colour": self._colour, "size": self._size, "between": self._between,
            "duration": self._duration, "visible_list": self._visible_list,
        }

    def answer(self, snapshot: MemorySnapshot, question: str) -> Iterator[AnswerChunk]:
        """Yield one grounded answer chunk (text, machine-readable value, citations)."""
        if snapshot.frames == 0:
            yield AnswerChunk("I have not seen any frames yet.")
            return
        q = parse_question(question, snapshot.time)
        if q is None:
            yield from self.retriever.answer(snapshot, question)
            return
        text, value, cites = self._handlers[q.kind](snapshot, q)
        yield AnswerChunk(text, tuple(cites), value)

    # --- referents -------------------------------------------------------------------------
    @staticmethod
    def _objects(snap: MemorySnapshot, q: Query) -> list[TrackSummary]:
        """Confirmed remembered tracks matching the question's object id or colour (all if neither)."""
        if q.track_id is not None:
            s = snap.tracks.get(q.track_id)
            return [s] if s is not None and s.confirmed else []
        out = [s for s in snap.tracks.values() if s.confirmed]
        return [s for s in out if s.colour == q.colour] if q.colour else out

    @staticmethod
    def _unknown(snap: MemorySnapshot, q: Query) -> Reply:
        if q.track_id is not None:
            if snap.forgotten_objects and q.track_id not in snap.tracks:
                return (f"I no longer remember object #{q.track_id}: it ended long ago and was compacted away "
                        f"({snap.forgotten_objects} old objects compacted).", None, [])
            return f"I have not seen object #{q.track_id}.", None, []
        return f"I have not seen a {q.colour} object." if q.colour else "I have not seen any object yet.", None, []

    def _one(self, snap: MemorySnapshot, q: Query, pick: Callable[[TrackSummary], float]) -> TrackSummary | None:
        objs = self._objects(snap, q)
        return max(objs, key=pick) if objs else None

    # --- handlers --------------------------------------------------------------------------
    def _count_now(self, snap: MemorySnapshot, q: Query) -> Reply:
        ids = [i for i in snap.visible_ids if i in snap.tracks and (q.colour is None or snap.tracks[i].colour == q.colour)]
        what = f"{q.colour} object" if q.colour else "object"
        listing = "; ".join(snap.describe_object(i) for i in ids[:10])
        return (f"{_plural(len(ids), what)} visible now ({_fmt(snap.time)})" + (f": {listing}." if ids else "."), len(ids),
                [Citation(snap.time, tuple(ids), frame_index=snap.frame_index)])

    def _count_at(self, snap: MemorySnapshot, q: Query) -> Reply:
        t = q.t if q.t is not None else snap.time
        if t > snap.time + snap.frame_period:
            return f"{_fmt(t)} is in the future (the stream is at {_fmt(snap.time)}).", None, []
        ids = tuple(sorted(s.id for s in self._objects(snap, Query("count_at", colour=q.colour)) if s.visible_at(t)))
        if q.colour:
            n = len(ids)
        else:
            n = snap.count_at(t)
            if n is None:
                return f"The stream had not started at {_fmt(t)}.", None, []
        what = f"{q.colour} object" if q.colour else "object"
        return (f"{_plural(n, what)} visible at {_fmt(t)}" + (f" (#{', #'.join(map(str, ids))})." if ids else "."), n,
                [Citation(t, ids)])

    def _count_distinct(self, snap: MemorySnapshot, q: Query) -> Reply:
        if q.colour:
            objs = self._objects(snap, q)
            n = len(objs)
            note = f" (plus up to {snap.forgotten_objects} compacted old objects of unknown colour)" if snap.forgotten_objects else ""
            return (f"{_plural(n, f'distinct {q.colour} object')} seen so far{note}.", n,
                    [Citation(s.born_t, (s.id,)) for s in sorted(objs, key=lambda s: s.born_t)[:20]])
        n = snap.distinct_objects
        first = min((s.born_t for s in snap.tracks.values() if s.confirmed), default=snap.time)
        return (f"{_plural(n, 'distinct object')} seen between {_fmt(first)} and {_fmt(snap.time)}.", n,
                [Citation(snap.time, snap.visible_ids, frame_index=snap.frame_index)])

    def _count_instances(self, snap: MemorySnapshot, q: Query) -> Reply:
        n = snap.distinct_instances
        return f"{_plural(n, 'distinct 3D instance')} mapped so far.", n, [Citation(snap.time, (), tuple(sorted(snap.instances))[:50])]

    def _first_seen(self, snap: MemorySnapshot, q: Query) -> Reply:
        s = self._one(snap, q, lambda s: -s.born_t)
        if s is None:
            return self._unknown(snap, q)
        where = s.region_at(s.born_t)
        return (f"Object #{s.id} ({_looks(s)}) was first seen at {_fmt(s.born_t)}" + (f" in the {where}." if where else "."),
                s.born_t, [Citation(s.born_t, (s.id,))])

    def _last_seen(self, snap: MemorySnapshot, q: Query) -> Reply:
        s = self._one(snap, q, lambda s: s.last_seen_t or s.born_t)
        if s is None:
            return self._unknown(snap, q)
        t = s.last_seen_t if s.last_seen_t is not None else s.born_t
        if s.visible_now:
            return f"Object #{s.id} ({_looks(s)}) is still visible now ({_fmt(snap.time)}), in the {s.region_at(t)}.", t, \
                [Citation(t, (s.id,), frame_index=snap.frame_index)]
        return (f"Object #{s.id} ({_looks(s)}) was last seen at {_fmt(t)} in the {s.region_at(t)}.", t,
                [Citation(t, (s.id,))])

    def _where(self, snap: MemorySnapshot, q: Query) -> Reply:
        if q.instance_id is not None:
            inst = snap.instances.get(q.instance_id)
            if inst is None:
                return f"I have no 3D instance #{q.instance_id}.", None, []
            return ("3D instance #{} is at ({:.2f}, {:.2f}, {:.2f}) m".format(inst.id, *inst.centroid)
                    + f", last updated {_fmt(inst.last_t)}.", inst.centroid, [Citation(inst.last_t, (), (inst.id,))])
        now = q.t is None
        t = snap.time if now else float(q.t)  # type: ignore[arg-type]
        objs = self._objects(snap, q)
        if not objs:
            return self._unknown(snap, q)
        at_t = [s for s in objs if (s.visible_now if now else s.visible_at(t))]
        if not at_t:
            s = max(objs, key=lambda s: s.last_seen_t or s.born_t)
            last = s.last_seen_t if s.last_seen_t is not None else s.born_t
            when = "now" if now else f"at {_fmt(t)}"
            return (f"Object #{s.id} ({_looks(s)}) was not visible {when}; it was last seen at {_fmt(last)} "
                    f"in the {s.region_at(last)}.", None, [Citation(last, (s.id,))])
        parts, values = [], []
        for s in sorted(at_t, key=lambda s: s.id)[:10]:
            ts = min(t, s.last_seen_t) if s.last_seen_t is not None else t
            p3 = s.position3d_at(ts)
            val = p3 if q.three_d and p3 is not None else s.region_at(ts)
            values.append(val)
            pos = " at ({:.2f}, {:.2f}, {:.2f}) m".format(*p3) if p3 is not None else ""
            parts.append(f"object #{s.id} ({_looks(s)}) {'is' if now else 'was'} in the {s.region_at(ts)}{pos}")
        text = "; ".join(parts)
        return (text[0].upper() + text[1:] + (f" at {_fmt(t)}." if not now else f" ({_fmt(t)})."),
                values[0] if len(values) == 1 else values, [Citation(t, tuple(s.id for s in at_t[:10]))])

    def _colour(self, snap: MemorySnapshot, q: Query) -> Reply:
        s = self._one(snap, q, lambda s: s.last_seen_t or s.born_t)
        if s is None:
            return self._unknown(snap, q)
        return f"Object #{s.id} is {s.colour}.", s.colour, [Citation(s.last_seen_t or s.born_t, (s.id,))]

    def _size(self, snap: MemorySnapshot, q: Query) -> Reply:
        s = self._one(snap, q, lambda s: s.last_seen_t or s.born_t)
        if s is None:
            return self._unknown(snap, q)
        w, h = s.mean_wh
        return (f"Object #{s.id} is {s.size}: about {w:.0f} x {h:.0f} px on a {s.image_size[0]} x {s.image_size[1]} image.",
                s.size, [Citation(s.last_seen_t or s.born_t, (s.id,))])

    def _between(self, snap: MemorySnapshot, q: Query) -> Reply:
        t1, t2 = float(q.t1), float(q.t2)  # type: ignore[arg-type]
        objs = self._objects(snap, q)
        came = sorted(s.id for s in objs if t1 <= s.born_t <= t2)
        went = sorted(s.id for s in objs if not s.visible_now and s.last_seen_t is not None and t1 <= s.last_seen_t <= t2)
        other = [e for e in snap.events if t1 <= e.t <= t2 and e.kind in ("lost", "refound", "instance", "scene_change")]
        lines = [f"Between {_fmt(t1)} and {_fmt(t2)}:"]
        lines += [f"object #{i} ({_looks(snap.tracks[i])}) appeared at {_fmt(snap.tracks[i].born_t)}" for i in came]
        lines += [f"object #{i} ({_looks(snap.tracks[i])}) left at {_fmt(snap.tracks[i].last_seen_t)}" for i in went]  # type: ignore[arg-type]
        lines += [e.text for e in other[:12]]
        if len(lines) == 1:
            lines.append("nothing changed")
        cites = ([Citation(snap.tracks[i].born_t, (i,)) for i in came]
                 + [Citation(snap.tracks[i].last_seen_t, (i,)) for i in went]  # type: ignore[arg-type]
                 + [Citation(e.t, (e.track_id,) if e.track_id >= 0 else (), (e.instance_id,) if e.instance_id >= 0 else ())
                    for e in other[:12]])
        return lines[0] + " " + "; ".join(lines[1:]) + ".", {"appeared": came, "disappeared": went}, cites

    def _duration(self, snap: MemorySnapshot, q: Query) -> Reply:
        s = self._one(snap, q, lambda s: s.last_seen_t or s.born_t)
        if s is None:
            return self._unknown(snap, q)
        d = s.visible_duration
        spans = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in s.intervals[:8])
        still = " and is still visible" if s.visible_now else ""
        return (f"Object #{s.id} ({_looks(s)}) was visible for {d:.1f} s in {len(s.intervals)} stretch"
                f"{'es' if len(s.intervals) != 1 else ''} ({spans}){still}.", d,
                [Citation(a, (s.id,)) for a, _ in s.intervals[:8]])

    def _visible_list(self, snap: MemorySnapshot, q: Query) -> Reply:
        text, n, cites = self._count_now(snap, q)
        ids = [i for i in snap.visible_ids if i in snap.tracks and (q.colour is None or snap.tracks[i].colour == q.colour)]
        return text, sorted(ids), cites
