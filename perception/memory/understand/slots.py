"""Slot extraction from a normalised question: time windows and moments, image regions, depth, ordinals,
colours, track and instance ids. Each extractor returns its value and the text with the phrase removed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from perception.memory.describe import COLOURS
from perception.memory.understand.words import CLASS_WORDS, PLACE

_UNIT_WORD = r"(?:seconds?|secs?|s|minutes?|mins?)"
_UNIT = rf"(?P<u>{_UNIT_WORD})"
_NUM = r"(?P<n>\d+(?:\.\d+)?)"
_CLOCK = r"(?:(?P<hh>\d+):(?=\d{2}:))?(?P<mm>\d+):(?P<ss>\d{1,2}(?:\.\d+)?)"  # m:ss or a timecode h:mm:ss
_AT = rf"(?:t\s*[=+]\s*)?(?:{_CLOCK}|{_NUM}(?:\s*{_UNIT}\b)?)"  # 't = 12', 't+12': 12 s from the start


def _seconds(m: re.Match[str], n: str = "n", u: str = "u") -> float:
    if m.groupdict().get("mm"):
        return 3600.0 * int(m.group("hh") or 0) + 60.0 * int(m.group("mm")) + float(m.group("ss"))
    unit = m.groupdict().get(u) or "s"
    return float(m.group(n)) * (60.0 if unit.startswith("min") else 1.0)


@dataclass(frozen=True)
class TimeSpec:
    """A time window or moment as asked: ``kind`` 'last' (the last ``a`` seconds), 'since' (from ``a``),
    'between' (``a`` to ``b``), 'until' (start to ``a``), 'at' (moment ``a``) or 'ago' (``a`` seconds before now)."""

    kind: str
    a: float
    b: float | None = None

    @property
    def is_moment(self) -> bool:
        """True for a single moment ('at' or 'ago'), False for a window."""
        return self.kind in ("at", "ago")

    def resolve(self, now: float) -> tuple[float, float]:
        """(start, end) in stream seconds at stream time ``now`` (start == end for a moment)."""
        if self.kind == "last":
            return max(0.0, now - self.a), now
        if self.kind == "since":
            return self.a, now
        if self.kind == "until":
            return 0.0, min(self.a, now)
        if self.kind == "between":
            lo, hi = sorted((self.a, float(self.b if self.b is not None else now)))
            return lo, hi
        t = max(0.0, now - self.a) if self.kind == "ago" else self.a
        return t, t

    def describe(self, now: float) -> str:
        """Words for the window, with the stream times it covers."""
        lo, hi = self.resolve(now)
        if self.kind == "last":
            return f"in the last {_dur(self.a)} ({lo:.1f}-{hi:.1f} s)"
        if self.kind == "ago":
            span = _dur(self.a)
            return f"{'a ' if span in ('second', 'minute') else ''}{span} ago (at {lo:.1f} s)"
        if self.kind == "at":
            return f"at {lo:.1f} s"
        return f"between {lo:.1f} s and {hi:.1f} s"


def _dur(s: float) -> str:
    if s >= 60 and s % 60 == 0:
        m = int(s // 60)
        return "minute" if m == 1 else f"{m} minutes"
    return f"{s:g} seconds" if s != 1 else "second"


_WINDOW_PATTERNS: tuple[tuple[str, str], ...] = (
    (rf"\b(?:between|from)\s+(?:the\s+)?{_AT.replace('(?P<', '(?P<a_')}(?:\s+marks?)?\s*(?:and|to|until|till|-)\s*(?:the\s+)?"
     rf"{_AT.replace('(?P<', '(?P<b_')}(?:\s+marks?)?", "between"),
    (rf"\b{_NUM.replace('(?P<', '(?P<a_')}\s*[-\u2013]\s*{_NUM.replace('(?P<', '(?P<b_')}\s*{_UNIT.replace('(?P<', '(?P<b_')}\b", "between"),  # '20-40s'
    (rf"\b(?:(?:in|over|during|within|for|across|throughout)\s+)?(?:the\s+)?(?:last|past|previous|preceding|recent)\s+{_NUM}\s*{_UNIT}\b", "last"),
    (r"\b(?:(?:in|over|during|within|for)\s+)?(?:the\s+)?(?:last|past|previous|preceding)\s+(?P<u>second|minute|min)\b", "last1"),
    (rf"\b(?:(?:in|during|over|within)\s+(?:the\s+)?|^\s*)(?:first|opening|initial)\s+{_NUM}\s*{_UNIT}\b", "first"),  # 'first 1 minute how many'
    (rf"\bfrom (?:the )?(?:very )?(?:start|beginning)(?: of the (?:video|clip|recording|stream))? (?:to|until|till) {_AT}", "first"),
    (rf"\bsince\s+{_NUM}\s*{_UNIT}\s+(?:ago|back|earlier)\b", "last"),  # 'since 30 s ago': the last 30 s
    (rf"\b(?:since|after|from)\s+(?:the\s+)?(?:time\s+)?{_AT}(?![\d:]|\.\d)(?!\s*{_UNIT_WORD}?\s*(?:ago|back|earlier)\b)"
     r"(?:\s+on(?:wards)?)?", "since"),  # 'from 10 s ago' is a moment, 'ago' reads it
    (rf"\b{_NUM}\s*{_UNIT}\s+(?:up to now|until now|till now|so far)\b", "last"),
    (rf"\b(?:away|gone|out|busy|off) for (?:the )?{_NUM}\s*{_UNIT}\b", "last"),  # 'I stepped away for 2 minutes'

    (rf"\b(?:before|until|till|up to)\s+{_AT}", "until"),
    (rf"\b{_NUM}\s*{_UNIT}\s+(?:ago|back|before now|earlier|before(?= ?\??$))", "ago"),
    (rf"\b(?:at|around|about|by|near)\s+(?:the\s+)?(?:time\s+|moment\s+|mark\s+of\s+)?{_AT}(?:\s+(?:mark|into the (?:video|stream|clip|recording)|in))?", "at"),
    (rf"\b{_NUM}\s*{_UNIT}\s+(?:(?:into|in)\b(?:\s+the\s+(?:video|stream|clip|recording|footage))?|(?:from|after) the (?:start|beginning)\b)", "at"),
    (rf"\b{_CLOCK}\b", "at"),
    (rf"\bt\s*[=+]\s*{_NUM}\s*(?:s\b|seconds?\b)?", "at"),
    (rf"\b{_NUM}\s*{_UNIT}\b", "at"),
)
_WINDOWS = [(re.compile(p), k) for p, k in _WINDOW_PATTERNS]


def _sub_seconds(m: re.Match[str], prefix: str) -> float:
    g = m.groupdict()
    if g.get(prefix + "mm"):
        return 3600.0 * int(g[prefix + "hh"] or 0) + 60.0 * int(g[prefix + "mm"]) + float(g[prefix + "ss"])
    n = g.get(prefix + "n")
    unit = g.get(prefix + "u") or (g.get("b_u") if prefix == "a_" and not g.get("b_mm") else None) or "s"
    return float(n) * (60.0 if unit.startswith("min") else 1.0)  # 'between 2 and 3 minutes': the unit is shared


def extract_times(q: str) -> tuple[list[TimeSpec], str]:
    """Every time phrase in ``q`` (in order of appearance) and ``q`` with them removed."""
    found: list[tuple[int, TimeSpec]] = []
    for rx, kind in _WINDOWS:
        def take(m: re.Match[str], kind: str = kind) -> str:
            if kind == "between":
                spec = TimeSpec("between", _sub_seconds(m, "a_"), _sub_seconds(m, "b_"))
            elif kind == "last1":
                spec = TimeSpec("last", 60.0 if m.group("u").startswith("min") else 1.0)
            elif kind == "first":
                spec = TimeSpec("between", 0.0, _seconds(m))
            else:
                spec = TimeSpec(kind, _seconds(m))
            found.append((m.start(), spec))
            return " \x00 "
        q = rx.sub(take, q)
    order = sorted(range(len(found)), key=lambda k: found[k][0])
    return [found[k][1] for k in order], " ".join(q.replace("\x00", " ").split())


@dataclass(frozen=True)
class Region:
    """An image region as a box in normalised coordinates (x0, y0, x1, y1), with its name."""

    name: str
    box: tuple[float, float, float, float]

    def contains(self, x: float, y: float, width: int, height: int) -> bool:
        """Whether pixel point (x, y) of a width x height image lies inside."""
        u, v = x / max(width, 1), y / max(height, 1)
        x0, y0, x1, y1 = self.box
        return x0 <= u < x1 and y0 <= v < y1


_SIDES = {"left": (0, 0, 1, 1), "right": (1, 0, 2, 1), "top": (0, 0, 1, 1), "bottom": (0, 1, 1, 2), "center": (1, 1, 2, 2)}
_SIDE_WORDS = {"left": "left", "right": "right", "top": "top", "upper": "top", "bottom": "bottom", "lower": "bottom",
               "center": "center", "middle": "center"}
_REGION_RE = re.compile(
    r"\b(?:(?P<v>top|upper|bottom|lower)[\s-]+(?P<h>left|right)|(?P<side>left|right|top|upper|bottom|lower|center|middle))"
    r"(?:[\s-]+(?:hand\s+)?(?P<part>half|third|side|part|portion|edge|corner|area|section|quarter|of the (?:image|picture|frame|screen|view|scene|shot|feed|footage)))?"
    r"(?P<of>\s+of (?:the )?(?:image|picture|frame|screen|view|scene|shot|feed|footage))?\b")  # 'the left side of frame'
# 'on the left', 'to my right' (the asker's or the robot's left is the picture's: the camera looks where they look)
_REGION_CONTEXT = re.compile(r"\b(?:on|in|at|to|towards|near|along|from|into|of)\s+(?:the\s+|my\s+|our\s+|your\s+|its\s+)?"
                             r"(?:very\s+|far\s+)?$")


def extract_region(q: str) -> tuple[Region | None, str]:
    """The image region a question names (halves by default, thirds when it says so), and ``q`` without it.

    'left' counts as a region only as a place ('on the left', 'left half', 'left side'), never as 'who left'."""
    for m in _REGION_RE.finditer(q):
        part = m.group("part") or ""
        placed = (bool(_REGION_CONTEXT.search(q[: m.start()])) or bool(part or m.group("of")) or m.group("v") is not None
                  or m.group("side") in ("center", "middle"))  # never a verb, unlike a bare left
        side = m.group("side")
        if not placed:
            continue
        if m.group("v"):
            v, h = _SIDE_WORDS[m.group("v")], m.group("h")
            x = (0.0, 0.5) if h == "left" else (0.5, 1.0)
            y = (0.0, 0.5) if v == "top" else (0.5, 1.0)
            region = Region(f"{v} {h} quarter", (x[0], y[0], x[1], y[1]))
        else:
            side = _SIDE_WORDS[side]
            third = part == "third" or side == "center" or part in ("edge", "corner")
            lo, hi = (0.0, 1 / 3) if third else (0.0, 0.5)
            if side == "center":
                region = Region("center third", (1 / 3, 0.0, 2 / 3, 1.0))
            elif side in ("left", "top"):
                region = Region(f"{side} {'third' if third else 'half'}", (lo, 0.0, hi, 1.0) if side == "left" else (0.0, lo, 1.0, hi))
            else:
                a, b = 1 - hi, 1.0
                region = Region(f"{side} {'third' if third else 'half'}", (a, 0.0, b, 1.0) if side == "right" else (0.0, a, 1.0, b))
        return region, " ".join((q[: m.start()] + " " + q[m.end():]).split())
    return None, q


_NEAR = re.compile(r"\b(?:near(?:est|er)? (?:to )?the camera|close (?:to )?(?:the )?camera|closest|nearest|in the foreground|foreground|near(?:by)?|close by|up close)\b")
_FAR = re.compile(r"(?<!so )(?<!thus )(?<!how )(?<!as )\b(?:far(?:thest|ther| away| off| from the camera)?|furthest|in the (?:distance|background)|background|distant)\b")


def extract_depth(q: str) -> tuple[str | None, str]:
    """'near' or 'far' (the 3D or apparent distance from the camera) when asked, and ``q`` without it."""
    for rx, name in ((_NEAR, "near"), (_FAR, "far")):
        m = rx.search(q)
        if m:
            return name, " ".join((q[: m.start()] + " " + q[m.end():]).split())
    return None, q


_ORDINALS = {"first": 1, "1st": 1, "earliest": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "fifth": 5, "5th": 5, "last": -1, "latest": -1, "final": -1, "most recent": -1, "newest": -1, "most recently": -1,
             "recently": -1, "youngest": -1, "oldest": 1}
_ORDINAL_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _ORDINALS), key=len, reverse=True)) + r")\b")


def find_ordinal(q: str) -> int | None:
    """1 for 'first', 2 for 'second', ..., -1 for 'last' / 'latest' / 'most recent' (the first one named)."""
    m = _ORDINAL_RE.search(q)
    return _ORDINALS[m.group(1)] if m else None


COLOUR_ALIASES = {"grey": "gray", "violet": "purple", "magenta": "pink", "turquoise": "cyan", "dark": "black",
                  "navy": "blue", "crimson": "red", "maroon": "red", "beige": "white", "brown": "orange",
                  "teal": "cyan", "lilac": "purple", "golden": "yellow", "silver": "gray"}


def find_colour(q: str) -> str | None:
    """A colour word of the question mapped onto the memory's colour names."""
    for word in re.findall(r"[a-z]+", q):
        if word == "color":
            continue
        word = COLOUR_ALIASES.get(word, word) if word != "dark" else word
        if word in COLOURS:
            return word
    return None


# one thing of a class, named with its id ('person 4', 'bus 4', 'pup 2'): no pronoun, crowd or plural word
_NOT_ONE = {"who", "anyone", "anybody", "someone", "somebody", "everyone", "everybody", "nobody", "people", "folk", "men",
            "women", "children", "staff", "crew", "police", "crowd", "crowded", "packed", "footfall", "headcount",
            "heads", "bodies", "ppl", "peeps", "faces", "entry", "exit", "arrival", "departure"}
_ONE_OF_A_CLASS = sorted((w for c, ws in CLASS_WORDS.items() if c != "object" for w in ws
                          if " " not in w and w not in _NOT_ONE and (not w.endswith("s") or w.endswith(("ss", "us")))),
                         key=len, reverse=True)
# 'track 4', '#4', 'obj 4', 'track_id=4', 'the dog with identifier 4', 'the man labelled 4', 'bus 4' (keeps its
# class); not 'the bus 30 seconds ago', 'a car 1:30', 'cars 20-40 s' or '5 m'
_TRACK = re.compile(r"(?:\b(?:object|obj|track|id|identifier|box|thing|(?:label(?:l)?ed|tagged|marked|tracked|numbered)(?: as)?"
                    r"|(?P<who>" + "|".join(map(re.escape, _ONE_OF_A_CLASS)) + r")"
                    r"|target|number|no\.?)(?:[\s_]*(?:id|number|no\.?)\b)?\s*[#=]?\s*|#)"
                    r"(?P<id>\d+)\b(?![:.]\d|\s*-\s*\d)"
                    r"(?!\s*(?:s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|%|m|metres?|meters?|ft|feet|foot|yards?|km|miles?|mph|kph)\b)")
_INSTANCE = re.compile(r"\b(?:3d\s+)?instance\s*#?\s*(?P<id>\d+)\b")


_CLASS_WORDS = frozenset(w for ws in CLASS_WORDS.values() for w in ws)


def _after_class_word(text: str) -> bool:
    """Whether ``text`` ends with a class word ('police' before 'van 2': no 'the' goes between them)."""
    words = text.split()
    return bool(words) and (words[-1] in _CLASS_WORDS or " ".join(words[-2:]) in _CLASS_WORDS)


def extract_ids(q: str) -> tuple[int | None, int | None, str]:
    """(track id, 3D instance id, ``q`` without them); 'person 4' keeps its class word ('the person')."""
    inst = _INSTANCE.search(q)
    q2 = _INSTANCE.sub(" ", q)
    trk = _TRACK.search(q2)
    q2 = _TRACK.sub(lambda m: f" {'' if _after_class_word(q2[: m.start()]) else 'the '}{m.group('who') or 'thing'}"
                          f"{' thing' if m.group('who') and PLACE.match(q2, m.end()) else ''} ", q2)  # 'bus 3 stop here': no bus stop
    return (int(trk.group("id")) if trk else None, int(inst.group("id")) if inst else None, " ".join(q2.split()))
