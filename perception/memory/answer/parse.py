"""Parse the common question types (counts, first/last seen, where, colour, size, between, how long)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from perception.memory.describe import COLOURS

_UNIT = {"s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
         "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0}
_TIME = re.compile(
    r"(?:\bt\s*=\s*(?P<t>\d+(?:\.\d+)?)\s*(?:s\b)?)"
    r"|(?:\b(?P<mm>\d+):(?P<ss>\d{1,2}(?:\.\d+)?))"
    r"|(?:\b(?P<n>\d+(?:\.\d+)?)\s*(?P<u>seconds?|secs?|s|minutes?|mins?|m)\b(?P<ago>\s+ago)?)")
_TRACK = re.compile(r"(?:\b(?:object|track|id|box|thing|person)\s*#?\s*|#)(?P<id>\d+)\b")
_INSTANCE = re.compile(r"\binstance\s*#?\s*(?P<id>\d+)\b")
_COLOUR_ALIASES = {"grey": "gray", "violet": "purple", "magenta": "pink", "turquoise": "cyan"}

KINDS = ("count_now", "count_at", "count_distinct", "count_instances", "first_seen", "last_seen", "where",
         "colour", "size", "between", "duration", "visible_list")


@dataclass(frozen=True)
class Query:
    """A parsed question: what is asked (``kind``), about what, and when."""

    kind: str
    track_id: int | None = None
    instance_id: int | None = None
    colour: str | None = None
    t: float | None = None
    t1: float | None = None
    t2: float | None = None
    three_d: bool = False


def _times(text: str, now: float) -> list[float]:
    out = []
    for m in _TIME.finditer(text):
        if m.group("t"):
            out.append(float(m.group("t")))
        elif m.group("mm"):
            out.append(60.0 * int(m.group("mm")) + float(m.group("ss")))
        else:
            v = float(m.group("n")) * _UNIT[m.group("u")]
            out.append(now - v if m.group("ago") else v)
    return out


def _colour(text: str) -> str | None:
    for word in re.findall(r"[a-z]+", text):
        word = _COLOUR_ALIASES.get(word, word)
        if word in COLOURS:
            return word
    return None


def parse_question(question: str, now: float) -> Query | None:
    """The structured form of ``question`` asked at stream time ``now``, or None if it is not a known type."""
    q = " ".join(question.lower().replace("colour", "color").split())
    inst = _INSTANCE.search(q)
    rest = _INSTANCE.sub(" ", q)
    trk = _TRACK.search(rest)
    rest = _TRACK.sub(" ", rest)
    times = _times(rest, now)
    colour = _colour(rest.replace("color", ""))
    ref = {"track_id": int(trk.group("id")) if trk else None, "instance_id": int(inst.group("id")) if inst else None,
           "colour": colour}
    has = lambda *words: any(re.search(rf"\b{w}", q) for w in words)  # noqa: E731
    three_d = has("3d", "world", "metres", "meters", "coordinates", "in space")
    if has("what happened", "happen", "events?", "going on") and len(times) >= 2:
        t1, t2 = sorted(times[:2])
        return Query("between", t1=t1, t2=t2, **ref)
    if has("how long"):
        return Query("duration", **ref)
    if has("how many"):
        if has("instances?") and ref["instance_id"] is None:
            return Query("count_instances")
        if has("distinct", "different", "unique", "total", "so far", "in all", "altogether", "ever", "overall"):
            return Query("count_distinct", **ref)
        if times:
            return Query("count_at", t=times[0], **ref)
        return Query("count_now", **ref)
    if has("first", "appear", "arriv", "enter", "show up", "showed up") and has("when", "what time", "first seen"):
        return Query("first_seen", **ref)
    if has("last", "disappear", "leave", "left", "vanish", "exit", "gone") and has("when", "what time", "last seen"):
        return Query("last_seen", **ref)
    if has("where"):
        return Query("where", t=times[0] if times else None, three_d=three_d, **ref)
    if has("what color", "which color", "color of", "color is", "color was"):
        return Query("colour", **ref)
    if has("how big", "how large", "what size", "size of", "which size", "how small"):
        return Query("size", **ref)
    if has("what (objects? |things? )?(is|are) (visible|there|in view|on screen)", "what do you see", "list"):
        return Query("visible_list", **ref)
    return None
