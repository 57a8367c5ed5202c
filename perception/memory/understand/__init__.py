"""Question understanding beyond templates: ``read_question(text) -> Reading`` (intent, slots, confidence).

A grammar of cue words reads the intent once time phrases, image regions, depth words and ids are taken
out; when the grammar is unsure and the optional MiniLM package is installed, the nearest example
phrasings by sentence embedding decide. ``Reading.phrase`` says in words how the question was read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from perception.memory.understand.embed import IntentMatcher
from perception.memory.understand.grammar import (
    AGO,
    AT_ONCE,
    COUNT,
    CURRENT,
    ENTER,
    FEWER,
    HOW_LONG,
    INTENTS,
    LATEST,
    LEAVE,
    MORE,
    NEW,
    PEAK_WHEN,
    SAME,
    STAY_CHECK,
    TALLY,
    THRESHOLD,
    WHEN,
    WHERE,
    YES_NO,
    classify,
    extreme,
    has,
)
from perception.memory.understand.slots import (
    Region,
    TimeSpec,
    extract_depth,
    extract_ids,
    extract_region,
    extract_times,
    find_colour,
    find_ordinal,
)
from perception.memory.understand.words import (
    COLOURED_NAMES,
    PLURAL_PERSON,
    WEAK_CLASS_WORDS,
    find_class,
    is_singular,
    normalise,
    read_notation,
)
from perception.memory.understand.wrappers import unwrap

__all__ = ["CONFIDENT", "INTENTS", "Reading", "Region", "TimeSpec", "read_question"]

CONFIDENT = 0.6  # below this the answer says how the question was read (and a configured VLM takes over)
_GRAMMAR_SURE = CONFIDENT  # at or above this the embedding matcher is not consulted (it costs 10-500 ms)
_ABSENCE = re.compile(r"\b(?:empty|emptied|deserted|vacant|nobody|no one|no people|no persons|clear of|free of|unoccupied)\b")
_OCCUPIED = re.compile(r"\b(?:at least (?:1|one)|occupied|not been empty|without a break|(?:had|has|have) (?:somebody|someone|anyone|anybody|people|persons?) in it|"
                       r"(?:has|have) (?:there been|someone|somebody|anyone|anybody|people) been (?:visible|in view|around|there|present))\b")
_GOING_ON_NOW = re.compile(r"(?<!to )(?<!until )(?<!till )\bnow\b[^?]*\bwhat (?:is )?(?:happening|happen|going on)\b|\b(?:happening|happens?|going on|shows|showing|what is on (?:screen|camera))\b.*(?<!until )(?<!till )(?<!up to )\b(?:now|currently|at the moment|at present|"
                           r"(?:at )?this (?:moment|point|instant|minute|second)|on (?:screen|camera)|in (?:the )?(?:frame|shot|picture|view))\b"
                           # 'what's happening on the ramp': at a place, in the present tense
                           r"|\bwhat is (?:in (?:shot|view|frame|the frame|the picture)|on (?:screen|camera|cam))\b ?\??$"  # 'a rundown of what's in shot'
                           r"|(?:^|\bof |\bdescribe |\btell me )what(?:'s| is| are) (?:happening|going on)(?: (?:on|at|in|by|near|over|outside) (?:the |my |our )?[a-z-]+(?: [a-z-]+)?"
                           r"| (?:outside|out there|out front|out the front|here|there))? ?\??$")
_OPS = {"more than": ">", "longer than": ">", "over": ">", "at least": ">=", "fewer than": "<", "less than": "<", "shorter than": "<",
        "under": "<"}
_OP_WORDS = {">": "more than", ">=": "at least", "<": "fewer than"}
# a summary's words that, asked at a moment, want the scene then: 'describe what happened at 1:00', 'what was going on at
# the 50-second mark', 'what could be seen / what was on cam / what did you catch 30 s ago'
_SCENE_AT_A_MOMENT = re.compile(r"\bdescribe\b|\b(?:was|were) (?:happening|going on)\b|\bwhat (?:happening|going on)\b|\bwhat could be seen\b"
                                r"|\bwhat (?:was|were) on (?:the )?(?:camera|cam|screen|feed)\b|\bwhat (?:did )?(?:you|the camera) (?:saw|see|catch|caught)\b")
_WHOLE_STREAM = re.compile(r"\b(?:from|since) (?:the )?(?:very )?(?:beginning|start)\b|\b(?:whole|entire) (?:video|stream|clip|recording|footage)\b")
_SO_FAR = re.compile(_WHOLE_STREAM.pattern + r"|\bso far\b|\b(?:up to|until|till) now\b|\boverall\b"
                     r"|\bof the (?:video|stream|clip|recording|footage)\b|\bsince (?:it|the [a-z]+) (?:started|began)\b")
_AT_A_MOMENT = ("compare", "describe", "count_now", "presence")
_BEFORE_SPAN = re.compile(r"\bbefore \d+(?:\.\d+)? ?(?:seconds?|secs?|s|minutes?|mins?)\b(?! (?:into|in|mark)\b)")
_CAR_PARK = re.compile(r"\b(?:car ?park|(?:lorry|truck|hgv) park|parking (?:lot|area|garage|deck)|car lot|drive[- ]?th(?:ru|rough)"
                       r"(?: lane| queue)?|the stack)s?\b")  # 'the stack': a drive-thru's queue of cars
_HOW_FULL = ("count_now", "compare", "presence")
_ATTRIBUTES = (("color", re.compile(r"\bcolou?r|wearing|dressed\b")), ("size", re.compile(r"\bsize|how (?:big|large|small)\b")))


@dataclass(frozen=True)
class Reading:
    """How a question was understood: the intent, its slots, and how sure the reader is (0..1).

    ``label`` is the canonical class asked about (None: anything tracked); ``time`` the window or moment
    the question is about and ``reference`` a second one to compare with; ``yes_no`` when the answer is
    a yes or no; ``threshold`` what a yes-or-no count or a tracked object's seconds in view are checked against ('>', 20
    for 'more than 20'); ``ago`` when a time is wanted as 'how long ago'; ``compare_op`` 'more', 'fewer',
    'same' or 'change'; ``extreme`` 'most' or 'fewest' for the number in view at once (count_peak, when_peak);
    ``attribute`` 'color' or 'size' for describe/track questions; ``about`` narrows who a when, where or duration
    question means: 'arrival' (the newest newcomer), 'departure' (who left) or 'occupied' (anyone at all).
    """

    text: str
    intent: str
    confidence: float
    label: str | None = None
    label_word: str | None = None
    time: TimeSpec | None = None
    reference: TimeSpec | None = None
    region: Region | None = None
    depth: str | None = None
    ordinal: int | None = None
    colour: str | None = None
    track_id: int | None = None
    instance_id: int | None = None
    yes_no: bool = False
    threshold: tuple[str, float] | None = None
    ago: bool = False
    compare_op: str | None = None
    extreme: str | None = None
    attribute: str | None = None
    about: str | None = None
    three_d: bool = False
    negated: bool = False
    source: str = "grammar"

    def noun(self, n: int | None = None) -> str:
        """What is asked about, in words ('people', 'person', 'red objects', 'cars')."""
        plural = n is None or n != 1
        base = self.label or "object"
        word = {"person": ("person", "people"), "bus": ("bus", "buses")}.get(base, (base, base + "s"))[plural]
        return f"{self.colour} {word}" if self.colour else word

    def passes(self, x: float) -> bool:
        """Whether a count or a stay of ``x`` meets the question's ``threshold`` ('more than 20': x > 20)."""
        assert self.threshold is not None
        op, k = self.threshold
        return x >= k if op == ">=" else x < k if op == "<" else x > k

    @property
    def check_words(self) -> str:
        """The question's ``threshold`` in words: 'more than 20', 'at least 600 s'."""
        assert self.threshold is not None
        op, k = self.threshold
        unit = " s" if self.intent == "duration" else ""
        return f"{_OP_WORDS[op]} {k:g}{unit}"

    @property
    def phrase(self) -> str:
        """A short description of the reading, e.g. 'number of people now'."""
        what = self.noun()
        where = f" in the {self.region.name}" if self.region else ""
        where += f" {self.depth} the camera" if self.depth == "near" else " far from the camera" if self.depth == "far" else ""
        if self.track_id is not None:
            what = f"object #{self.track_id}"
        when = ""
        if self.time is not None:
            when = {"last": f" in the last {self.time.a:g} s", "since": f" since {self.time.a:g} s",
                    "until": f" before {self.time.a:g} s", "at": f" at {self.time.a:g} s", "ago": f" {self.time.a:g} s ago",
                    "between": f" between {self.time.a:g} s and {self.time.b or 0:g} s"}[self.time.kind]
        if self.threshold is not None:
            what = f"{what} ({self.check_words}?)"
        return {
            "count_now": f"number of {what}{where}{when or ' now'}",
            "count_distinct": f"number of distinct {what}{where}{when or ' so far'}",
            "count_entered": f"number of {what} who came into view{where}{when}",
            "count_left": f"number of {what} who left the view{where}{when}",
            "count_peak": f"{self.extreme or 'most'} {what} in view at once{where}{when or ' so far'}",
            "when_peak": f"when the {self.extreme or 'most'} {what} were in view at once{where}{when or ' so far'}",
            "presence": f"whether any {what} {'was' if when else 'is'}{where or ' visible'}{when}",
            "compare": (f"whether there are as many {what}{where} now as before" if self.compare_op == "same" else
                        f"whether there are {self.compare_op or 'more or fewer'} {what}{where} now than before"),
            "when_first": f"when {what}{where} first appeared{when}",
            "when_last": f"when {what}{where} was last seen{when}",
            "duration": f"how long {what}{where} stayed in view",
            "where": f"where {what} {'was' if when else 'is'}{when}",
            "summary": f"what happened{when or ' recently'}",
            "describe": f"a description of the {what}{where}{when or ' in view'}",
            "track": f"what is known about {what}",
        }[self.intent]


def _intent(q: str, full: str, track: bool, times: list[TimeSpec], yes_no: bool) -> tuple[str, float, str]:
    intent, conf = classify(q, track=track, times=times, yes_no=yes_no)
    if conf >= _GRAMMAR_SURE or not IntentMatcher.available():
        return intent, conf, "grammar"
    try:
        sims = IntentMatcher.match(full)
    except Exception:  # broken model files: the grammar alone answers
        return intent, conf, "grammar"
    best = max(sims, key=sims.__getitem__)
    if best == intent:
        return intent, max(conf, min(0.95, sims[best] + 0.2)), "grammar+embedding"
    if sims[best] > sims.get(intent, 0.0) + 0.05 and sims[best] >= 0.45 and conf < 0.6:
        if track and best in ("describe", "summary"):
            best = "track"
        return best, min(conf + 0.1, sims[best]), "embedding"
    return intent, conf, "grammar"


_BARE = re.compile(r"(?:(?:is|are) there )?(?:any|a|an|some)? ?[a-z-]+(?: (?:present|visible|there|in view))?(?: (?:in|on|at)(?: the)?)?"
                   r"(?: (?:now|currently|right now|at the moment) ?\?| ?\??| y/n ?\??)")  # asked: 'taxis in the bottom third now?'; not 'dogs now bottom half'

# a class and 'now', or a number word and a class, alone ('cars now', 'n buses'): how many
_TERSE_COUNT = re.compile(r"(?:(?:n|number|count|no\.?)(?: of)? )?(?P<word>[a-z-]+)(?: (?:now|currently|at present|right now|at the moment))? ?\??")
# a class and a place, asked: 'dog on the beach?', 'bus at the stop now?', 'ice cream van here yet?'
_BARE_PLACE = (r"(?:now )?(?:any |an? |the )?(?:(?!(?:how|many|much|count|number|of|more|fewer|less|what|which|who|when|where|first|last|current|total|unique|distinct|different|separate)\b)[a-z-]+ ){{0,2}}"
               r"{word} (?:(?:on|at|in|by|near|outside) (?:the |my |our )?[a-z-]+(?: (?!than\b|when\b|where\b|how\b)[a-z-]+)?|here|about|around|outside|"
               r"(?:visible )?anywhere)(?: (?:now|yet|still|again|at the moment|right now|currently))?(?: ?\?| yet)")
_STATEMENT = re.compile(r"\b(?:i|we|you|he|she|they|it|there|this|that|is|are|was|were|am|has|have|had|do|does|did|looks?|seems?)\b")
# where the player is, said beside the question ('it's 1:30 now', 'the video's at 1:45'): not a time asked about
# ('when the video is at 0:45' is one)
_PLAYER_TIME = re.compile(r"\b(?:it is|it's|(?:the )?(?:video|clip|stream|recording|footage|clock|timer|player)(?:'s| is| says| shows| reads)"
                          r"|i am|i'm|we are|we're)(?: now)? (?:at )?(?:\d+:)?\d+:\d{2}(?: now| in(?: the (?:video|clip|stream|recording|footage))?)?\b")
_ASKED_MOMENT = re.compile(r"\b(?:when|while|once|after|before|until|till|by the time)(?: the)? ?$")
# a class set aside before the question ('ignoring the dog for a sec, how many bikes ...')
_SET_ASIDE = re.compile(r"\b(?:ignoring|ignore|never ?mind|forget(?:ting)?(?: about)?|leaving aside|setting aside|not counting|excluding)"
                        r" [^,?]*,")
# where a sentence ends; a tag question ('the bus left, right?') ends a remark
_SENTENCE_END = re.compile(r"(?<!\bno)(?<!\bvs)[.!;]\s+|\?\s+(?=(?:i|i'm|we|my|our|it|it's|he|she|they|there's|this|that's|thanks|thank|cheers)\b)|, (?:right|yeah|yes|no|ok|okay|eh|innit|correct) \?\s+")
# something that happened, told before the question without a 'but' ('a stray dog came in, how many dogs now?')
_EVENT_REMARK = re.compile(r"^(?!(?:how|what|when|where|which|who|is|are|was|were|did|do|does|has|have|can|could|any)\b)"
                           r"(?![^?,]*\b(?:who|that|which)\b)[^?,]*?, "  # not a topic with its clause: 'people who came in, how many'
                           r"(?=(?:how|what|when|where|which|is|are|was|were|did|do|does|has|have|can|could)\b)")
# a remark, then the question after ', but' / ', anyway' / ', so' ('i saw a bus earlier, but how many cars ...')
_REMARK = re.compile(r"^[^?]*?, (?:but|anyway|so) (?=(?:how|is|are|was|were|when|where|what|which|did|do|does|has|have|can|could)\b)")


_QUESTION_START = re.compile(r"(?:how|what|when|where|who|which|why|is|are|was|were|did|do|does|has|have(?! been\b)|had|can|"
                             r"could|would|will|any|anyone|anybody|tell|count|give|show|describe|summari[sz]e|list)\b")


def _without_player_time(q: str) -> str:
    """``q`` without where the player is ('it's 1:30 now'), unless that is the moment asked about ('when it is 1:30')."""
    return _PLAYER_TIME.sub(lambda m: m.group(0) if _ASKED_MOMENT.search(q[: m.start()]) else " ", q)


def _asking_clause(q: str) -> tuple[str, str]:
    """(the clause that asks, the rest): the last sentence; after a dash only when a statement comes before it ('the
    crossing is on the right - is anyone there?'; a noun phrase before the dash is part of the question); after a
    remark closed by ', but' / ', anyway' / ', so'."""
    def words(part: str) -> int:
        return len(part.replace("?", " ").split())

    cuts = [0, *(m.end() for m in _SENTENCE_END.finditer(q)), len(q)]
    sentences = [p for p in (q[a:b].strip() for a, b in zip(cuts, cuts[1:])) if p.strip(" ?")]

    def asks(part: str) -> bool:
        return part.endswith("?") or bool(_QUESTION_START.match(re.sub(r"^(?:please|kindly),? ", "", part)))

    asking = [p for p in sentences if asks(p)]
    last = asking[-1] if asking and not asks(sentences[-1]) else sentences[-1] if sentences else q  # not a remark after it
    asked = last if len(sentences) > 1 and words(last) >= 3 else q
    parts = [p for p in re.split(r"\s+-+\s+|\s+\u2014\s+", asked) if p.strip(" ?")]
    if len(parts) > 1 and words(parts[-1]) >= 3 and _STATEMENT.search(" ".join(parts[:-1])) \
            and _QUESTION_START.match(parts[-1]):  # not the end of a question an aside interrupts ('- buses i mean -')
        asked = parts[-1]
    remark = _REMARK.match(asked)
    if remark and _STATEMENT.search(remark.group(0)) and words(asked[remark.end():]) >= 3:
        asked = asked[remark.end():]
    elif (event := _EVENT_REMARK.match(asked)) \
            and (has(ENTER, event.group(0)) or has(LEAVE, event.group(0)) or re.match(r"(?:i|we) [a-z]+", event.group(0))) \
            and words(asked[event.end():]) >= 3 and find_class(asked[event.end():])[0] is not None:
        # 'a stray dog came in, how many dogs can you see now?', 'i heard the dog a bit ago, is somebody out there now?'
        # (not 'the last car to arrive, when was that?')
        asked = asked[event.end():]
    i = q.rfind(asked)
    return asked, " ".join((q[:i] + " " + q[i + len(asked):]).split())


_HAPPENED = re.compile(r"\bwhat (?:has |had |have )?(?:happened|happens|went on|was going on|is going on|goes on)\b")


def _about(q: str, intent: str) -> str | None:
    """Who a when / where / duration question is about: 'departure', 'arrival', 'occupied' or None."""
    if intent not in ("when_first", "when_last", "where", "duration"):
        return None
    if has(LEAVE, q):
        return "departure"
    if intent == "duration" and _OCCUPIED.search(q):
        return "occupied"
    if has(NEW, q) or (has(LATEST, q) and (has(ENTER, q) or intent != "when_last")):
        return "arrival"
    return None


def read_question(text: str) -> Reading:
    """The intent and slots of a question about the video, however it is phrased."""
    q0 = _SET_ASIDE.sub(" ", _without_player_time(normalise(unwrap(read_notation(text)))))
    asked, context = _asking_clause(q0)  # a statement beside the question: slots are looked for there last
    track_id, instance_id, q = extract_ids(asked)
    peak = extreme(q)
    if peak:  # 'at one time' says at once, not at 1 s
        q = " ".join(AT_ONCE.sub(" ", q).split())
    if track_id is None and instance_id is None and context:
        track_id, instance_id, _ = extract_ids(context)
    times, q = extract_times(q)
    told = not times and bool(context)  # a time only beside the question: what it compares with, or a remark
    if told:
        times, _ = extract_times(context)
    region, q = extract_region(q)
    depth, q = extract_depth(q)
    label, word = find_class(q)
    if label is None and context:
        label, word = find_class(context)
    if label == "object":
        label = None
    three_d = bool(re.search(r"\b(?:3d|3-d|world|metres|meters|coordinates|in space|how far(?! into)|distance)\b", q0))
    yes_no = bool(YES_NO.search(q))
    now = CURRENT.search(re.sub(r"\b(?:up to|until|till|by|as of) now\b", " ", q)) and not times
    if peak and not ((has(HOW_LONG, q) and not has(AGO, q)) or has(WHERE, q) or _HAPPENED.search(q) or now):
        # 'most people at once so far', 'when was it busiest' (not 'how long was the peak', 'max cars right now')
        timed = PEAK_WHEN.search(q) or (has(WHEN, q) and not has(COUNT, q))  # not 'how many when it was busiest'
        intent, conf, source = ("when_peak" if timed else "count_peak"), 0.85, "grammar"
    elif region is not None and _BARE.fullmatch(q):  # 'bike in right third?': is there one
        intent, conf, source, yes_no = "presence", 0.7, "grammar", True
    elif word is not None and word not in WEAK_CLASS_WORDS and re.fullmatch(_BARE_PLACE.format(word=re.escape(word)), q):
        # 'dog on the beach?', 'ice cream van here yet?': is there one
        intent, conf, source, yes_no = "presence", 0.65, "grammar", True
    elif label is not None and (terse := _TERSE_COUNT.fullmatch(q)) and terse.group("word") == word != q.strip(" ?") \
            and not (yes_no or TALLY.search(q)):  # not 'count arrivals': an event
        if terse.group(0).startswith(word) and is_singular(word):  # 'cormorant now?': is there one
            intent, conf, source, yes_no = "presence", 0.65, "grammar", True
        else:
            intent, conf, source = "count_now", 0.7, "grammar"
    else:
        intent, conf, source = _intent(q, asked, track_id is not None or instance_id is not None, times, yes_no)
    if told and intent != "compare" and CURRENT.search(q):  # 'a truck at 0:40, anyway how many buses now?'
        times = []
    time, reference = (times[0] if times else None), (times[1] if len(times) > 1 else None)
    if time is not None and time.kind == "until" and intent in _AT_A_MOMENT and _BEFORE_SPAN.search(q0):
        time = TimeSpec("ago", time.a)  # 'more people than before 30 seconds': 30 s ago, as in many languages
    if intent == "describe" and track_id is None and (
            (time is not None and not time.is_moment) or _WHOLE_STREAM.search(q)):  # 'describe the last minute'
        intent = "summary"
    elif intent == "summary" and track_id is None and (
            (time is not None and time.is_moment and _SCENE_AT_A_MOMENT.search(q))
            # 'describe what happened at 1:00', 'what was going on at the 50-second mark': the scene at that moment
            or (time is None and _GOING_ON_NOW.search(q))):  # 'what is happening right now'
        intent = "describe"
    if intent == "summary" and time is None and _SO_FAR.search(q0):  # 'summarise everything so far': not the last 10 s
        time = TimeSpec("since", 0.0)
    op = None
    if intent == "compare":
        op = "fewer" if has(FEWER, q) else "more" if has(MORE, q) else "same" if has(SAME, q) else "change"
        if reference is None and time is not None:
            time, reference = None, time if time.is_moment else TimeSpec("ago", time.a) if time.kind == "last" else TimeSpec("at", time.a)
        if reference is None:
            reference = TimeSpec("ago", 10.0)
    if label is None and word is None and intent in _HOW_FULL and (park := _CAR_PARK.search(q)):
        label = "truck" if park.group(0).split()[0] in ("lorry", "truck", "hgv") else "car"  # a car park fills with cars
    attribute = next((name for name, rx in _ATTRIBUTES if rx.search(q)), None)
    ordinal = find_ordinal(q)
    if word in PLURAL_PERSON and ordinal is None and intent in ("when_first", "when_last"):
        ordinal = 1 if intent == "when_first" else -1
    about = _about(q, intent)
    threshold = None
    if intent.startswith("count") and not has(COUNT, q0) and (checked := THRESHOLD.search(q)):  # not 'how many: more than 5?'
        threshold, yes_no = (_OPS[checked.group("op")], int(checked.group("n"))), True
    elif intent == "duration" and track_id is not None and time is not None and (checked := STAY_CHECK.search(q)):
        threshold, yes_no, time = (_OPS[checked.group("op")], time.a), True, None  # seconds in view, asked about
    return Reading(text=text, intent=intent, confidence=round(conf, 3), label=label, label_word=word, time=time,
                   reference=reference, region=region, depth=depth, ordinal=ordinal, colour=find_colour(COLOURED_NAMES.sub(" ", q)),
                   track_id=track_id, instance_id=instance_id, yes_no=yes_no and (intent not in ("when_first", "when_last", "when_peak", "duration") or threshold is not None),
                   threshold=threshold,
                   ago=has(AGO, q) and intent in ("when_first", "when_last", "when_peak"), compare_op=op,
                   extreme=peak if intent in ("count_peak", "when_peak") else None, attribute=attribute,
                   about=about, three_d=three_d, negated=intent == "presence" and bool(_ABSENCE.search(q)), source=source)
