"""Word-level normalisation of questions: typing slips, spelling variants, numbers written in words, class-word
synonyms."""

from __future__ import annotations

import re
from collections.abc import Iterator

from perception.memory.understand import grammar
from perception.memory.understand.spelling import Speller

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORD = re.compile(r"(?<!\bno )\b(?:(?P<tens>" + "|".join(_TENS) + r")(?:[\s-](?P<unit>" + "|".join(k for k in _UNITS if k != "zero")
                          + r"))?|(?P<single>" + "|".join(_UNITS) + r")|(?P<hundred>a hundred|one hundred))\b")  # 'no one': nobody, not 'no 1'
# a stretch of the stream a person asks how it went
_SPAN = (r"(?:the |this |that |today's )?(?:(?:whole|entire) )?(?:video|stream|clip|recording|footage|day|shift|session"
         r"|morning|afternoon|evening|night|walk)|it|things|everything")
# 'after minute 2', 'between second 20 and second 40': the unit before its number
_UNIT_NUMBER = r"\b(since|after|from|at|by|until|before|between|and|to|till) (?:the )?(second|sec|minute|min) (\d+(?:\.\d+)?)\b(?!:)"
_HOMOPHONES = {"won": "one", "to": "two", "too": "two", "for": "four", "fore": "four", "tree": "three", "fife": "five", "sicks": "six",
               "ate": "eight"}


def _homophone_number(m: re.Match[str]) -> str:
    """The number word a speech recogniser's homophone stands for ('fife': 'five')."""
    return _HOMOPHONES[m.group(0)]


# engineers' notation: 't ∈ [60, 120]', 'over (5:00, 6:00)', 't > 45 s', 'N(car)', 'N_in(bus)', 'class == bus',
# 'ROI: left', 't_first', 'Δt since', 'inflow'
_NOTATION = tuple((re.compile(pat, re.IGNORECASE), rep) for pat, rep in (
    (r"(?:\bt\s*∈\s*|\b(?:in|over|during)(?: the window)?\s*)?[\[(]\s*(\d[\d:.]*)\s*,\s*(\d[\d:.]*)\s*[\])]", r" between \1 and \2 "),
    (r"\b(?:for |with |where )?t\s*(?:>=?|≥)\s*", " since "), (r"\bn_in\((\w+)\)", r"number of \1 arrivals"), (r"\bn_out\((\w+)\)", r"number of \1 departures"),
    (r"\bn\((\w+)\)\s*(?:>\s*0|(?:≥|>=)\s*1|(?:!=|≠)\s*0)|\bn\((\w+)\) (?:is )?nonzero\b", lambda m: f"any {m.group(1) or m.group(2)}"),
    (r"\bn\((\w+)\)", r"number of \1"), (r"\bclass\s*==?\s*", " "), (r"\broi\s*:\s*", " in the "),
    (r"\bt_(first|last)\b(?:\((\w+)\))?", lambda m: f"{m.group(1)} time" + (f" of {m.group(2)}" if m.group(2) else "")),
    (r"\b(?:min|earliest|first)\s*\(?\s*t\s*\)?(?= where| such| with)", "first time"),
    (r"\b(?:max|latest|last)\s*\(?\s*t\s*\)?(?= where| such| with)", "last time"), (r"\bt_exit\s*[−-]\s*t_entry\b", "duration"),
    (r"(?<!['’])\b(?:t|δt)(?= (?:of|since|between)\b)", "time"), (r"\btime-in-(view|frame|shot)\b", r"time in \1"),
    (r"\bcardinality of\b", "number of"), (r"\b(?:entry|arrival) events\b", "number of arrivals"),
    (r"\b(?:exit|departure) events\b", "number of departures"), (r"^\s*presence check\b:?", "is there any"),
    (r"\binflows?\b", "arrivals"), (r"\boutflows?\b", "departures"),
))


def read_notation(text: str) -> str:
    """``text`` with engineers' notation in words, before anything reads ``f(x)`` as a call or splits ``n_in``."""
    for rx, rep in _NOTATION:
        text = rx.sub(rep, text)
    return text


_PHRASES = (
    # chat abbreviations and phonetic spellings, first: later phrases read the words they stand for
    (r"\s@\s?", " at "), (r"\bm/bike(s?)\b", r"motorbike\1"),  # note-taking symbols
    (r"\btime between (?:the |its |their )?first and last (?:detections?|sightings?|appearances?|frames?)\b", "duration"),
    (r"\b(below|under|above|over) (?:its|the|their) (?:value|level|count|number)\b",
     lambda m: "fewer than" if m.group(1) in ("below", "under") else "more than"),  # 'is N(dog) now below its value at 7:00'
    (r"\s?(?:→|⇒)\s?", " to "), (r"\s?↓\s?", " fewer "), (r"\s?↑\s?", " more "),
    (r"\bbtm\b", "bottom"), (r"\bpic\b", "picture"), (r"\bthru\b", "through"), (r"\bhr(s?)\b", r"hour\1"), (r"\b1st\b", "first"),
    (r"\b(top|bottom|upper|lower) l\b", r"\1 left"), (r"\b(top|bottom|upper|lower) r\b", r"\1 right"),
    (r"\bl(?= (?:side|third|half|corner|edge|of (?:the )?(?:frame|picture|screen|shot))\b)", "left"),
    (r"\br(?= (?:side|third|half|corner|edge|of (?:the )?(?:frame|picture|screen|shot))\b)", "right"),
    (r"\b(?:hwo|hoe|hiw|hoow) (?=many|much|long)", "how "), (r"\bmny\b", "many"), (r"\bqty\b", "count"), (r"\blng\b", "long"), (r"\blft\b", "left"), (r"\blst\b", "last"),
    (r"\bmor\b", "more"), (r"\bles\b", "less"), (r"\bteh\b", "the"), (r"\bwot\b", "what"), (r"\bhav\b", "have"),
    (r"\bwhat all\b", "what"), (r"\bdiff\b", "different"), (r"\bwh?ats\b", "what is"), (r"\bwheres\b", "where is"), (r"\bhows\b", "how is"), (r"\bhaf\b", "half"), (r"\bvid\b", "video"), (r"\brite\b", "right"),
    (r"\b(flew|flown|drove|driven|rode|ridden|ran|went|took|pulled|walked|headed) of\b(?! (?:the|a|an|them|it|those|these)\b)", r"\1 off"),
    (r"\bhalf[- ](?:an? )?(minute|min)\b", "30 seconds"),
    (r"\bu-?\d{1,2}s\b|\bunder-\d{1,2}s\b", "players"),  # youth teams: 'the u10s', 'the under-12s'
    (r"\b(?:the|in|over) passed\b(?= (?:\d|few|couple|several|half|quarter|hour|minute|second|min)\w*)", "the past"),  # dictated 'past'
    # Nigerian Pidgin: 'how many danfo dey the park', 'don comot', 'japa', 'wetin', 'plenty pass how e be'
    (r"^(?:e )?don reach (?=how long)|\bna (?=how|wetin|when|where|which|who)\b", " "), (r"\babeg\b", "please"),
    (r"\bwetin dey\b", "what is in"), (r"\bwetin\b", "what"), (r"\b(?:waka )?(?:comot|commot)\b|\bjapa\b", "leave"),
    (r"\bdon go\b", "have gone"), (r"(?<!['’])\bdon\b(?!['’])", "have"),
    (r"^\s*([a-z-]+) dey (?:(?=here\b|there\b)|(?:for |at |inside |around )?(?=the\b))(?!.*\b(?:more|less|fewer|plenty|than|pass)\b)",
     r"is there any \1 in "),  # 'motor dey the right side now?': is there one
    (r"\bdey (?=the |inside\b|around\b)", "are in "), (r"\bdey\b", "are"), (r"\bon ground\b", "here"),
    (r"\b(show|are|stay|spend|park) for\b(?! (?:the )?(?:last|past|first|next|\d|how|long)\b)", r"\1 in"),
    (r"\bplenty pass how e be\b", "more than"), (r"\b(quiet|busy|full|empty) (now )?pass how e be\b", r"\1er \2than"),
    (r"\bpass how (?:e|it) (?:be|was)\b", "than"),
    # Jamaican Patois: 'how much man deh pon di corner', 'wah time', 'inna di shot', 'tek off', 'wah gwaan'
    (r"\b(side|top|bottom|middle|centre|center|corner|edge|front|back|part|end) a di\b", r"\1 of the"), (r"\bdi\b", "the"),
    (r"\bwah gwaan\b", "what is going on"), (r"\bwah\b", "what"), (r"\bpon\b", "on"), (r"\binna\b", "into"),
    (r"\bfi\b", "for"), (r"\blef\b", "left"), (r"\btek\b", "take"), (r"\bweh\b", "away"), (r"\byah\b", "here"),
    (r"\bwhat deh\b", "what is"), (r"^\s*(?:the )?(?!(?:what|who|where|how|when|which)\b)([a-z-]+) deh\b(?!.*\b(?:more|less|fewer|than)\b)",
     r"is there a \1"), (r"\bdeh\b", "there"), (r"\b(camera|cam|screen|picture) a show\b", r"\1 is showing"),
    (r"\bbout\b", "about"), (r"\bpark(?:ed)? up\b", "parked"), (r"\bstay like\b", "look like"),
    (r"\bthe no[wo]\b(?= ?(?:\?|$|,))|\bthe noo\b", "now"), (r"\baboot\b", "about"), (r"\bnought\b", "zero"),  # Scottish English
    # numbers a speech recogniser wrote as other words, read back beside a unit, another number or 'number'
    (r"(?:\b(?:won|for|fore|tree|fife|sicks|ate)\b|(?:(?<=\bsince )|(?<=\bat )|(?<=\bafter )|(?<=\bbefore )|(?<=\buntil )|(?<=\bbetween )"
     r"|(?<=\bfrom )|(?<=\blast )|(?<=\bfirst )|(?<=\bpast )|(?<=\band ))(?:to|too)\b)"  # 'the last to minutes', not 'thirty to fifty'
     r"(?= (?:seconds?|secs?|minutes?|mins?|hours?|minute mark|and (?:a half|won|to|too|for|fore|tree|fife|sicks|ate|\w+ minutes?))\b"
     r"|(?= (?:ten|fifteen|twenty|thirty|forty|fifty)\b))|(?<=\bnumber )(?:won|too|tree|fife|sicks|ate|fore)\b"
     r"|(?:(?<=\btwenty )|(?<=\bthirty )|(?<=\bforty )|(?<=\bfifty ))(?:won|too|tree|fife|sicks|ate|fore)\b", _homophone_number),
    (r"\b(?:an|half an|half|last|the last|of an|per) our\b", lambda m: m.group(0)[:-3] + "hour"),
    (r"\b(?:lowkey|highkey|ngl|no cap|tbh|deadass|bruh)\b", " "),  # chat fillers ('lowkey' is no 'low')
    (r"^\s*(?:(?:and|ok|okay|right),? )?(?:the )?same (?:question |thing |again |one )?for\b", " "), (r"\bthe same (?=last|past)", "the "),  # follow-ups
    (r"\b(?:at )?(?:the )?timecode (?=\d)", "at "),  # 'more cars than at timecode 08:45'
    (r"\bhow long already no (?:see )?", "how long since the last "),  # learners: 'how long already no see cat'
    (r"\b(\d+),(\d{1,2}) (?=(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)\b)", r"\1.\2 "),  # a decimal comma: '1,5 minutes'
    (r"^\s*(is|are|was|were) (at the moment|now|currently|right now|at present) ((?:an?|any|some) [a-z-]+)", r"\1 there \3 \2"),
    (r"\bhalf[- ]hour mark\b", "30 minute mark"), (r"\b(?:one|an?)[- ]hour mark\b", "60 minute mark"),
    (r"\bhow long is it ago\b", "how long ago"),
    # polite wrappers: 'would you mind describing', 'could you paint me a picture of', 'do you happen to know if there's'
    (r"\b(?:would it be possible to |would you mind |(?:could|can|would) you (?:please |kindly )?)(?:describe|describing)\b", "describe"),
    (r"\b(?:(?:could|can|would) you (?:please )?)?paint me a picture of\b", "describe"),
    (r"^\s*(?:would|could|can) you (?:be able to |please |kindly )?(?:tell me|let me know) (?=what|how|when|where|which|who)", " "),
    (r"^\s*(?:do you (?:happen to )?know|any idea)(?: (?:if|whether))? (?=there's|there is|there are|where|when|how|what|which|who)", " "),
    (r"\b(?:(?:blue|red|green|white|amber) watch|(?<=of )the watch)\b", "the crew"),  # a fire station's shift
    (r"\brelative to\b", "compared to"),
    # a neighbourhood-watch notebook: 'cars all up', 'vans in since 0:40? no. of', 'the 10pm mark (video 0:40)'
    (r"^\s*([a-z0-9-]+s) all up\b", r"how many \1 in total"), (r"\ball up\b", "in total"),
    (r"\b(?:the )?\d{1,2}(?::\d\d)? ?(?:am|pm)(?: mark)? \((?:video|clip|footage|vid|on the video) ([\d:]+)\)", r"\1"),
    (r"\bcat(?:egory)? [1-5] (?=holding|calls?|jobs?|dropped|just|pending|outstanding|incidents?|came in)", "a call "),  # no cat
    # sign-language order, the question word last: 'van come how many since 3:15', 'dog last outside how long before'
    (r"^\s*(?!\s|how\b|first\b|last\b|for\b)([^?,.!;]+?) how many\b ?(?=(?:since|so far|last|past|in|between|from|until|till|today|now)\b|\?|\s*$)",
     r" how many \1 "), (r"\bor no\b(?= ?\??\s*$)", "or not"),
    (r"^\s*([a-z-]+) now have\b", r"is there a \1 now"),
    (r"\bhow-(many|much|long)\b", r"how \1"),
    # Singlish: 'motorbike park there', 'got bicycle anot', 'got what', 'just now come', 'walk in last 1 min'
    (r"\banot\b", "or not"), (r"\bgot what\b", "what is there"),
    (r"\b(motorbikes?|bicycles?|bikes?|vans?|lorry|lorries|trucks?|taxis?|buses|bus) park (?=there|here|outside|at|beside|along|near|by)\b",
     r"\1 parked "),
    (r"\bgot (?!how|what|when|where|which|who)(?=(?:an? |any )?[a-z-]+\b.*\bor not\b)", "is there any "),
    (r"\bjust now (c[oa]me|arrived?|left|leave|go|went)\b", r"most recently \1"),
    (r"\b(walk(?:ed)?|fl(?:y|ew)|c[oa]me|dr(?:ive|ove)|rode|ride|back) in (?=(?:the )?(?:last|past)\b)", r"\1 in within "),
    (r"^\s*([a-z0-9-]+s|ppl|people|anyone|[a-z-]+ (?:owners|staff|riders|walkers|drivers)) in (?=(?:the )?(?:last|past|\d)|since\b|between\b|after\b)",
     r"\1 came in "),  # 'dogs in last 5m'
    (r"^\s*(.+?) ?\? (?:no\.? of|how many|number of|count)\s*$", r" how many \1 ?"),  # a notebook's 'vans in since 0:40? no. of'
    (r"\bmore quiet\b", "quieter"),
    (r"\b(?:stands?|is standing|waits?|is waiting|is parked|is there) (?:there |here )?since when\b", "has been there how long"),
    (r"^\s*many (?=[a-z-]+ (?:about|around|here|there|in|on|at|out)\b)", "how many "),  # 'many buyers about at the minute?'
    (r"^\s*(?:now )?(?:have|got) (?=(?:an? |any )?[a-z-]+ (?:in|at|on|near)\b)|\b(?:got|have) (?=[a-z-]+ or not\b)", "is there any "),  # learners: 'have bicycle or not', 'now got bicycle in top right?'
    (r"\bat the mo\b", "at the moment"), (r"\bhow many (second|minute)\b", r"how many \1s"),
    (r"\bthan when (?:you|i|we) (?:last )?(?:looked|checked|asked)\b", "than"),
    (r"\b(?:frame|camera|screen) (left|right)\b(?! (?:now|away|here|there|then|after|before|at)\b)", r"on the \1 of the frame"),  # 'camera left'
    # real words a phone's autocorrect puts for time words, read back where only the time word fits
    (r"\bminuet(s?)\b", r"minute\1"), (r"\blest\b(?= (?:\d|few|couple|half|quarter|hour|minute|second|min))", "last"),
    (r"\bsense\b(?= (?:\d|the (?:start|beginning)))", "since"), (r"\bfist\b", "first"), (r"\bflue\b", "flew"),
    (r"(?<!\byou )(?<!\bi )(?<!\bwe )(?<!\bto )(?<!\bthey )\bknow(?= ?\??$)", "now"),
    (r"\b(is|are|was|were|in|over|get|got|came|come|still) hear\b", r"\1 here"),
    (r"\b(?:from |going )?left to right\b|\b(?:from |going )?right to left\b", " "),  # 'middle third (left to right)'
    (r"\bfollowing\b(?= (?:t ?=|the|\d|[a-z]+ seconds?))", "after"),
    (r"\b(?:pull|bring) up\b(?= (?:an?|the|when|where|what|how|whether|if)\b)", "show"),  # 'pull up where #4 was'
    (r"\bfigure out\b", "find out"),
    (r"\b(?:have|do) (we|you|i) got\b", r"do \1 see"), (r"\b(we|you|i) have got\b", r"\1 see"), (r"\b(we|you|i) got\b(?= (?:in|on) (?:view|frame|shot|screen|camera|the (?:frame|shot|screen|feed|picture))\b)", r"\1 see"),  # 'how many have we got in shot'

    (r"\b(?:lowest|lowermost|bottommost)(?= (?:third|half|part|quarter|portion|section)\b)", "bottom"),
    (r"\b(?:highest|uppermost|topmost)(?= (?:third|half|part|quarter|portion|section)\b)", "top"),
    (r"\b(station|platform|stadium|main|side|rear|front|back|emergency|fire|(?:at|by|near) the) exit\b", r"\1 gateway"),  # a place
    (r"\b(?:an? |one )?(?:minute|min)[- ]and[- ]a[- ]half\b", "90 seconds"),
    (r"\b(\d+) and a half (minutes?|mins?|seconds?|secs?)\b", r"\1.5 \2"),
    (r"\bthree[- ]quarters? of an? hour\b", "45 minutes"),
    (r"\b(?:a )?quarter of an? hour\b", "15 minutes"),
    (r"\b(?:a )?quarter[- ]hour\b", "15 minutes"),
    (r"\b(?:an? |one )?hour and a half\b", "90 minutes"),
    (r"\b(?:4|four)[- ]by[- ](?:4|four)(s?)\b", r"4x4\1"),
    (r"\bhalf (?:an? )?hour\b", "30 minutes"),
    (r"\b(?:an|one) hour\b", "60 minutes"), (r"\b(last|past|previous) hour\b", r"\1 60 minutes"),
    (r"\bany1\b", "anyone"), (r"\bsome1\b", "someone"), (r"\bno1\b", "no one"),
    (r"\bthe first (minute|min|second|sec)\b", r"the first 1 \1"),
    (_UNIT_NUMBER, r"\1 \3 \2s"),
    (r"\b(?:the )?minute (\d+:\d\d)\b", r"\1"),  # 'after the minute 1:30'
    (r"\bcorner (?:up|upper|top) (left|right)\b", r"top \1 corner"), (r"\bcorner (?:down|lower|bottom) (left|right)\b", r"bottom \1 corner"),
    (r"\b(?:a|one) and a half minutes?\b", "90 seconds"),
    (r"\bthree[- ]quarters? of an? (?:minute|min)\b", "45 seconds"),
    (r"\b(?:an? |one )?(?:minute|min)[- ]and[- ]a[- ]quarter\b", "75 seconds"),
    (r"\bquarter of an? (minute|min)\b", "15 seconds"), (r"\b(?:an? )?quarter[- ](?:minute|min)\b", "15 seconds"),
    (r"\bhalf a dozen\b", "6"), (r"\ba dozen\b", "12"),
    (r"\ba couple of\b|(?<=\blast )couple of\b|(?<=\bpast )couple of\b", "2"),
    (r"\ba few seconds\b", "5 seconds"),
    (r"\b(?:a|one) (minute|min)\b", r"1 \1"),
    (r"\b(last|past|previous|within|for|in|over) (?:a|one) (second|sec)\b", r"\1 1 \2"),
    (r"\ba (second|sec) ago\b", r"1 \1 ago"),
    (r"\bfov\b", "view"), (r"\broi\b", "part"), (r"\bts\b", "timestamp"),  # operators' shorthand
    (r"(?<=\s)#\s*(?:of\s+)?(?=[a-z])|\bnum(?:ber)?\.? of\b|(?<=^ )(?:num|n)\.? (?=unique|distinct|different)", "number of "),
    (r"(?<![\d:])\b(?:from |between )?((?:\d+:)?\d+:\d\d)\s*(?:-|–|to)\s*((?:\d+:)?\d+:\d\d)\b", r"between \1 and \2"),  # '1:00-2:00'
    (r"\bpos\b", "position"), (r"\btl;? ?dr\b", "summary"),
    (r"\bcolour", "color"), (r"\bgrey\b", "gray"), (r"\bcentre\b", "center"), (r"\bcentral\b", "center"),
    (r"\bsummaris", "summariz"), (r"\bpeople's\b", "people"),
    (r"\b(it|what|who|there|that|he|she)'s been\b", r"\1 has been"),
    (r"\bwho's\b", "who is"), (r"\bwhat's\b", "what is"), (r"\bthere's\b", "there is"), (r"\bhow's\b", "how is"),
    (r"\bit's\b", "it is"), (r"\bisn't\b", "is not"), (r"\baren't\b", "are not"), (r"\bdidn't\b", "did not"),
    (r"\bhasn't\b", "has not"), (r"\bhaven't\b", "have not"), (r"\bweren't\b", "were not"), (r"\bwasn't\b", "was not"),
    (r"\bhow much time\b", "how long"), (r"\s>\s?|\s?>\s", " more than "), (r"\s<\s?|\s?<\s", " fewer than "),
    (r"\bin this (moment|instant)\b", r"at this \1"), (r"\brn\b", "right now"), (r"\bwen\b", "when"), (r"\bwat\b", "what"), (r"\bhw\b", "how"), (r"\batm\b", "at the moment"), (r"\bhow long (?:has it been|it has been|is it|it is) since\b", "how long ago"),
    (r"\bhow long (?:back|(?:does it |it )?makes?(?: that)?)(?= (?:the|a|an|did|was|were|has|had)\b)", "how long ago"),  # 'how long makes that the last bus arrived'
    (r"\b(?:since|from) how (?:long|much)(?: time)?\b", "for how long"),  # 'since how long is #3 in view'
    (r"\bcounting (from|since|after)\b", r"\1"),  # 'counting from 0:05, when ...': a time, not a count
    (r"\bhow (many|much) (seconds|minutes|time) back\b", r"how \1 \2 ago"),
    (r"\b(than|to|with|versus|vs) (?:(?:it was|there were|there was|we had) )?(?:right )?at the (?:very )?(?:start|beginning)\b", r"\1 at 0:00"),
    (r"\bat the minute\b(?! ?\d)", "at the moment"),  # British: now
    # 'how has the day gone', 'how did the video go': a summary, not a departure
    (rf"\bhow (?:is|has|have) ({_SPAN})(?: \w+)? (?:gone|been going)\b", r"summarize \1"),
    (rf"\bhow did ({_SPAN})(?: \w+)? go\b", r"summarize \1"),
    (rf"\bhow ({_SPAN})(?:'s| has) (?:gone|been going)\b", r"summarize \1"),  # 'tell me how the morning's gone'
)

# roles operators name the people they watch by: class words, but no source of typing slips ('office' is no slip
# of 'officer', 'dance' none of 'dancer')
_ROLES = (
    "patient", "patients", "parent", "parents", "pupil", "pupils", "nurse", "nurses", "doctor", "doctors", "teacher",
    "teachers", "porter", "porters", "carer", "carers", "reader", "readers", "undergraduate", "undergraduates",
    "lecturer", "lecturers", "professor", "professors", "guard", "guards", "cleaner", "cleaners", "athlete",
    "athletes", "performer", "performers", "musician", "musicians", "dancer", "dancers", "tenant", "tenants",
    "stranger", "strangers", "intruder", "intruders", "volunteer", "volunteers", "builder", "builders", "labourer",
    "labourers", "laborer", "laborers", "courier", "couriers", "toddler", "toddlers", "teen", "teens", "teenager",
    "teenagers", "youth", "youths", "pensioner", "pensioners", "hiker", "hikers", "skater", "skaters",
    "skateboarder", "skateboarders", "diner", "diners", "schoolchild", "schoolchildren", "schoolkid", "schoolkids",
    "infant", "infants", "grandparent", "grandparents", "postgraduate", "postgraduates", "trainee", "trainees",
    "apprentice", "apprentices", "inspector", "inspectors", "paramedic", "paramedics", "caregiver", "caregivers",
    "policeman", "policemen", "policewoman", "policewomen", "staff", "crew", "police",
    "competitor", "competitors", "contestant", "contestants", "racer", "racers", "finisher", "finishers",
    "owner", "owners", "handler", "handlers", "contractor", "contractors", "operative", "operatives", "foreman",
    "foremen", "bloke", "blokes", "lad", "lads", "lass", "lasses", "chap", "chaps", "fella", "fellas", "fellow",
    "fellows", "dude", "dudes", "rambler", "ramblers", "hillwalker", "hillwalkers", "postie", "posties", "postman",
    "postmen", "postwoman", "mailman", "mailmen", "farmer", "farmers", "farmhand", "farmhands", "player", "players",
    "ref", "refs", "referee", "referees", "umpire", "umpires", "sub", "subs", "substitute", "substitutes",
    "goalkeeper", "goalkeepers", "linesman", "linesmen", "groundsman", "groundsmen", "teammate", "teammates",
    "agbero", "agberos", "tout", "touts", "oke", "okes", "buyer", "buyers", "fisherman", "fishermen", "fisherwoman", "fisherwomen", "pickney", "pickneys", "bredren", "angler", "anglers", "boater", "boaters", "gongoozler", "gongoozlers", "male", "males", "female", "females", "walk-in", "walk-ins", "make ready team", "day shift", "night shift", "pt", "pts", "relative", "relatives", "zookeeper", "zookeepers", "keeper", "keepers", "caterer", "caterers", "wedding party", "grown up", "grown ups", "mummy", "mommy", "daddy",
    "detainee", "detainees", "prisoner", "prisoners", "cop", "cops", "solicitor", "solicitors", "mourner", "mourners", "funeral party",
    "funeral parties", "walk-up", "walk-ups", "walk-up customer", "walk-up customers",
)
# people by family, age, everyday role and pastime: a general lexicon, no source of slips
_EVERYDAY_PEOPLE = (
    "mum", "mums", "mom", "moms", "mother", "mothers", "dad", "dads", "father", "fathers", "son", "sons", "daughter",
    "daughters", "brother", "brothers", "sister", "sisters", "grandma", "grandmas", "grandpa", "grandpas", "granny",
    "grannies", "grandad", "grandads", "grandmother", "grandmothers", "grandfather", "grandfathers", "uncle",
    "uncles", "aunt", "aunts", "auntie", "aunties", "aunty", "cousin", "cousins", "baby", "babies", "youngster", "youngsters",
    "kiddo", "kiddos", "tot", "tots", "family", "families", "friend", "friends", "neighbour", "neighbours",
    "neighbor", "neighbors", "flatmate", "flatmates", "roommate", "roommates", "housemate", "housemates", "colleague",
    "colleagues", "coworker", "coworkers", "co-worker", "co-workers", "boss", "manager", "managers", "supervisor",
    "supervisors", "intern", "interns", "latecomer", "latecomers", "seniors", "grown-up", "grown-ups", "grownup",
    "grownups", "chef", "chefs", "waiter", "waiters", "waitress", "waitresses", "barista", "baristas", "cashier",
    "cashiers", "clerk", "clerks", "receptionist", "receptionists", "concierge", "doorman", "doormen", "bouncer",
    "bouncers", "valet", "valets", "janitor", "janitors", "caretaker", "caretakers", "gardener", "gardeners",
    "mechanic", "mechanics", "plumber", "plumbers", "electrician", "electricians", "technician", "technicians",
    "engineer", "engineers", "officer", "officers", "constable", "constables", "detective", "detectives",
    "firefighter", "firefighters", "fireman", "firemen", "medic", "medics", "soldier", "soldiers", "sailor",
    "sailors", "ranger", "rangers", "warden", "wardens", "lifeguard", "lifeguards", "vendor", "vendors", "seller",
    "sellers", "trader", "traders", "stallholder", "stallholders", "busker", "buskers", "singer", "singers",
    "swimmer", "swimmers", "surfer", "surfers", "skier", "skiers", "climber", "climbers", "camper", "campers",
    "picnicker", "picnickers", "sunbather", "sunbathers", "beachgoer", "beachgoers", "sightseer", "sightseers",
    "holidaymaker", "holidaymakers", "backpacker", "backpackers", "pilgrim", "pilgrims", "devotee", "devotees", "sangat", "congregation", "worshipper", "worshippers",
    "priest", "priests", "vicar", "nun", "nuns", "monk", "monks", "bride", "brides", "groom", "grooms", "member",
    "members", "delivery man", "delivery men", "delivery person", "delivery people", "milkman", "binman", "binmen",
    "loiterer", "loiterers", "suspects", "thief", "thieves", "burglar", "burglars", "shoplifter", "shoplifters",
    "trespasser", "trespassers", "vandal", "vandals", "witnesses", "victim", "victims", "beggar", "beggars", "queuer",
    "queuers", "reveller", "revellers", "reveler", "revelers", "clubber", "clubbers", "partygoer", "partygoers",
    "party-goer", "party-goers", "drinker", "drinkers", "smoker", "smokers", "pastor", "pastors", "birder", "birders",
    "birdwatcher", "birdwatchers", "bird-watcher", "bird-watchers", "twitcher", "twitchers", "photographer",
    "photographers", "naturalist", "naturalists", "snowboarder", "snowboarders", "boarder", "boarders", "instructor",
    "instructors", "patroller", "patrollers", "ski patrol", "ski school",
    "golfer", "golfers", "school group", "school groups", "bather", "bathers",
    "paddler", "paddlers", "surfie", "surfies", "tradie", "tradies", "maid", "maids", "watchman", "watchmen",
    "regular", "regulars", "bodyboarder", "bodyboarders", "paddleboarder", "paddleboarders", "kayaker", "kayakers",
    "tour group", "tour groups", "school party", "school parties", "coach party", "coach parties",
)
# birds by name: a general lexicon of common garden, town and shore birds (no source of slips: 'crows' no 'cows')
_BIRDS = (
    "birdie", "birdies", "blue tit", "blue tits", "great tit", "great tits", "coal tit", "coal tits", "robin",
    "robins", "blackbird", "blackbirds", "wood pigeon", "wood pigeons", "woodpigeon", "woodpigeons", "crow", "crows",
    "raven", "ravens", "rook", "rooks", "jackdaw", "jackdaws", "sparrow", "sparrows", "sparrowhawk", "sparrowhawks",
    "hawk", "hawks", "kestrel", "kestrels", "buzzard", "buzzards", "red kite", "red kites", "owl", "owls", "finch",
    "finches", "goldfinch", "goldfinches", "greenfinch", "greenfinches", "chaffinch", "chaffinches", "starling",
    "starlings", "thrush", "thrushes", "wren", "wrens", "woodpecker", "woodpeckers", "nuthatch", "nuthatches",
    "duck", "ducks", "duckling", "ducklings", "dove", "doves", "hen", "hens", "mallard", "mallards", "moorhen", "moorhens", "coot", "coots", "cormorant", "cormorants", "parrot",
    "parrots", "parakeet", "parakeets", "budgie", "budgies", "chicken", "chickens", "cockerel", "cockerels",
    "peacock", "peacocks", "ibis", "ibises", "cockatoo", "cockatoos", "galah", "galahs", "kookaburra", "kookaburras",
    "peahen", "peahens", "peafowl", "pheasant", "pheasants", "partridge", "partridges", "grouse", "kite", "kites",
)
# class names that hold a colour word: the colour names the species, not the colour asked about
COLOURED_NAMES = re.compile(r"\b(?:blue tits?|red kites?|black cabs?|blackbirds?|greenfinch(?:es)?|goldfinch(?:es)?)\b")
# what dog owners call dogs: pet names and breeds; class words, but no source of typing slips ('pugs' no 'plugs')
_DOG_NAMES = (
    "lab", "pup", "pups", "pooch", "pooches", "doggo", "doggos", "doggy", "doggys", "doggie", "doggies", "pupper", "puppers", "hound",
    "hounds", "mutt", "mutts", "furry friend", "furry friends", "four-legged friend", "four-legged friends",
    "four legged friend", "four legged friends", "labrador", "labradors", "labs", "retriever", "retrievers", "spaniel",
    "spaniels", "collie", "collies", "terrier", "terriers", "poodle", "poodles", "beagle", "beagles", "dachshund",
    "dachshunds", "greyhound", "greyhounds", "whippet", "whippets", "corgi", "corgis", "pug", "pugs", "husky",
    "huskies", "alsatian", "alsatians", "german shepherd", "german shepherds", "sheepdog", "sheepdogs", "schnauzer",
    "schnauzers", "dalmatian", "dalmatians", "chihuahua", "chihuahuas", "rottweiler", "rottweilers", "bulldog",
    "bulldogs", "labradoodle", "labradoodles", "cockapoo", "cockapoos", "staffie", "staffies", "jack russell",
    "jack russells", "lurcher", "lurchers", "pit bull", "pit bulls", "pitbull", "pitbulls", "mastiff", "mastiffs",
    "doberman", "dobermans", "great dane", "great danes",
)
# canonical class -> words that name it (plurals included); "object" words mean "anything tracked"
CLASS_WORDS: dict[str, tuple[str, ...]] = {
    "person": ("person", "persons", "people", "pedestrian", "pedestrians", "anyone", "anybody", "someone", "somebody",
               "everyone", "everybody", "no one", "nobody", "folks", "folk", "newcomer", "newcomers",
               "individual", "individuals", "ppl", "human", "humans", "man", "men", "woman", "women", "guy", "guys", "walker", "walkers",
               "visitor", "visitors", "passerby", "passer-by", "passersby", "passers-by", "child", "children", "kid",
               "kids", "who", "adult", "adults", "figure", "figures", "crowd", "crowded", "queue", "queues", "personnel", "flagger", "flaggers", "flagman", "flagmen", "driver", "drivers", "bod", "bods", "sa", "sas", "extras", "supporting artist", "supporting artists", "talent", "wean", "weans", "bairn", "bairns", "young ones", "mammy", "mammies", "wheelchair user", "wheelchair users", "lady", "ladies",
               "gentleman", "gentlemen", "boy", "boys", "girl", "girls", "peeps", "new faces", "faces", "face", "arrival", "arrivals", "leaver", "leavers", "check-ins", "check-outs",
               "headcount", "head count", "heads", "bodies", "occupants", "commuters", "tourists", "shoppers",
               "students", "peoples", "customer", "customers", "client", "clients", "patron", "patrons", "passenger",
               "passengers", "jogger", "joggers", "runner", "runners", "resident", "residents", "worker", "workers",
               "employee", "employees", "shopper", "straggler", "stragglers", "soul", "souls", "foot traffic", "packed",
               "footfall", "traveller", "travellers", "traveler", "travelers", "guest", "guests", "departure", "departures",
               "fan", "fans", "attendee", "attendees", "supporter", "supporters", "marcher",
               "marchers", "protester", "protesters", "protestor", "protestors", "demonstrator", "demonstrators", "punter",
               "punters", "steward", "stewards", "marshal", "marshals", "participant", "participants",
               "entrant", "entrants", "commuter", "student", "tourist", "spectator", "spectators", "entry", "entries",
               "exit", "exits", "subject", "subjects", "ped", "peds", "pax") + _ROLES + _EVERYDAY_PEOPLE,
    "car": ("car", "cars", "veh", "vehs", "whips", "vehicle", "vehicles", "automobile", "automobiles", "auto", "autos", "taxi", "taxis", "cab", "cabs", "4-wheeler", "4-wheelers", "4 wheeler", "4 wheelers", "4wd", "4wds", "four-wheel drive", "four-wheel drives", "limousine", "limousines", "limo", "limos", "4x4", "4x4s",
            "four-by-four", "four-by-fours", "jeep", "jeeps", "land rover", "land rovers", "range rover", "range rovers",
            "off-roader", "off-roaders",
            "suv", "suvs", "sedan", "sedans", "hatchback", "hatchbacks", "station wagon", "station wagons", "estate car", "estate cars", "phv", "phvs", "tesla", "teslas",
            "private hire car", "private hire cars", "private-hire car", "private-hire cars", "minicab", "minicabs",
            "motor", "motors", "hearse", "hearses", "panda", "panda car", "panda cars", "pandas", "irv", "irvs", "arv", "arvs",
            "rrv", "rrvs", "fly-car", "fly-cars", "fly car", "fly cars"),
    "bicycle": ("bicycle", "bicycles", "bike", "bikes", "biker", "bikers", "cyclist", "cyclists", "rider", "riders", "e-bike",
                "e-bikes", "ebike", "ebikes", "cycle courier", "cycle couriers", "pushie", "pushies", "cycle", "cycles",
                "pushbike", "pushbikes", "bmx", "bmxs", "bmxes", "bmx bike", "bmx bikes", "bmxer", "bmxers", "roadie", "roadies", "mtb", "mtbs",
                "mtber", "mtbers", "mountain biker", "mountain bikers"),
    "motorcycle": ("motorcycle", "motorcycles", "motorbike", "motorbikes", "scooter", "scooters", "motorcyclist",
                   "motorcyclists", "moped", "mopeds", "2-wheeler", "2-wheelers", "2 wheeler",
                   "2 wheelers", "scooty", "scooties", "quad", "quads", "quad bike", "quad bikes",
                   "quad-bike", "quad-bikes", "okada", "okadas", "okada rider", "okada riders", "okada man",
                   "okada men", "motor bike", "motor bikes", "motor cycle", "motor cycles", "traffic bike", "traffic bikes"),
    "bus": ("bus", "buses", "busses", "coach", "coaches", "minibus", "minibuses", "double-decker", "double-deckers", "shuttle", "shuttles", "shuttle bus", "shuttle buses",
            "danfo", "danfos", "molue", "molues", "omnibus", "omnibuses"),  # Lagos minibuses and buses
    "truck": ("truck", "trucks", "lorry", "lorries", "van", "vans", "tipper", "tippers", "flatbed", "flatbeds", "hgv", "hgvs",
              "artic", "artics", "tanker", "tankers", "cement mixer", "cement mixers", "18-wheeler", "18-wheelers", "18 wheeler", "18 wheelers",
              "semi", "semis", "semi-truck", "semi-trucks", "semi truck", "semi trucks", "rig", "rigs", "big rig", "big rigs",
              "tractor-trailer", "tractor-trailers", "tractor trailer", "tractor trailers", "wagon", "wagons", "dumper", "dumpers", "trailer", "trailers", "honeywagon", "honeywagons", "police carrier", "police carriers", "ambulance", "ambulances",
              "pickup", "pickups", "pick-up", "pick-ups", "tractor", "tractors", "ute", "utes", "tempo", "tempos", "snowplough", "snowploughs",
              "snowplow", "snowplows", "gritter", "gritters", "fire engine", "fire engines", "appliance", "appliances", "tender", "tenders",
              "crash tender", "crash tenders", "rescue tender", "rescue tenders", "pump ladder", "pump ladders", "water carrier",
              "water carriers", "riv", "rivs", "amb", "ambs", "amb vehicle", "amb vehicles", "dca", "dcas", "pts vehicle", "pts vehicles", "hart vehicle",
              "hart vehicles", "curtain-sider", "curtain-siders", "curtainsider", "curtainsiders", "curtain sider",
              "curtain siders", "rigid", "rigids", "tractor unit", "tractor units", "shunter", "shunters", "bakkie", "bakkies", "reefer", "reefers"),  # as COCO detectors label them
    "dog": ("dog", "dogs", "puppy", "puppies", "canine", "canines", "dugs", "sheep dug", "sheep dugs") + _DOG_NAMES,
    "cat": ("cat", "cats", "moggy", "moggie", "moggies", "kitty", "kitties", "kitten", "kittens"),
    "bird": ("bird", "birds", "pigeon", "pigeons", "gull", "gulls", "seagull", "seagulls", "goose", "geese", "swan", "swans",
             "heron", "herons", "magpie", "magpies") + _BIRDS,
    "bag": ("bag", "bags", "backpack", "backpacks", "suitcase", "suitcases", "handbag", "handbags", "luggage", "baggage",
            "holdall", "holdalls", "rucksack", "rucksacks", "knapsack", "knapsacks", "duffel", "duffels", "duffle", "duffles",
            "carry-on", "carry-ons"),
    "object": ("object", "objects", "thing", "things", "track", "tracks", "box", "boxes", "item", "items",
               "anything", "something", "entity", "entities", "target", "targets"),
}
PLACE = re.compile(r" (?:stops?|station|lanes?|shelter|park|parking|racks?|path|wash|shop|repair|route|depot|garage|decks?|trolleys?)\b")
_WORD_CLASS = {w: c for c, ws in CLASS_WORDS.items() for w in ws}
_CLASS_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _WORD_CLASS), key=len, reverse=True)) + r")\b")
# plural nouns: questions naming these want a count or a list of several
PLURAL_PERSON = frozenset(("persons", "people", "ppl", "pedestrians", "folks", "newcomers", "individuals", "humans", "men",
                           "women", "guys", "walkers", "visitors", "passersby", "passers-by", "children", "kids", "heads",
                           "bodies", "occupants", "commuters", "tourists", "shoppers", "students", "peoples", "customers",
                           "clients", "patrons", "passengers", "joggers", "runners", "residents", "workers", "employees",
                           "travellers", "travelers", "guests", "entrants", "spectators", "subjects", "peds"))


# the words questions turn on, and common words a slip must not turn into one of them
_DOMAIN_WORDS = frozenset("""
    many much people person persons pedestrian pedestrians individual individuals humans walkers folks right left long
    enter entered entering entry appear appeared appearing arrive arrived arrival arrivals depart departed exit exited
    leave leaving seconds second minutes minute newest recent recently latest first last distinct different separate
    unique visible view frame picture scene screen currently current moment since before earlier more fewer busier
    emptier quieter same equal half third center middle upper lower where when what which describe summary summarize
    happened happen total count number there their they were have been from into walked walking came come coming show
    showed time stayed stay still present during past previous around until seen spotted through color wearing look
    looks like corner side edge away gone disappeared vanished newcomer newcomers crowd crowded compared change changed
    this that those these then than with your about after ever also each every into onto only over some such them
    very will would could should does done tell give please currently altogether overall anyone someone somebody
    anybody nobody everyone camera video clip stream footage shot image area region part bottom above below
    between since until within ago hour hours quarter start beginning whole entire later earlier mark""".split())
_VOCABULARY = _DOMAIN_WORDS | {w for ws in CLASS_WORDS.values() for w in ws if " " not in w} | set(_UNITS) | set(_TENS)


def _pattern_words(patterns: list[str]) -> set[str]:
    """The words of four letters or more that regular expressions spell out (escapes such as \\b are no letters)."""
    return {w for p in patterns for w in re.findall(r"[a-z]{4,}", re.sub(r"\\[a-zA-Z]", " ", p))}


# the question words a misspelling is corrected to; class words (one edit away) only the common ones, not roles,
# pet names or bird species; every word the reader's patterns match, or a class word of two is made of, is kept as
# typed ('curtain-sider')
_SPELL_CLASS_WORDS = {w for ws in CLASS_WORDS.values() for w in ws if " " not in w} - set(_ROLES) - set(_EVERYDAY_PEOPLE) \
    - set(_DOG_NAMES) - set(_BIRDS)
_CLASS_WORD_PARTS = {p for ws in CLASS_WORDS.values() for w in ws if " " in w or "-" in w for p in re.split(r"[- ]", w) if len(p) >= 4}
_SPELLER = Speller(_DOMAIN_WORDS | set(_UNITS) | set(_TENS), _SPELL_CLASS_WORDS,
                   keep=_VOCABULARY | _CLASS_WORD_PARTS | _pattern_words([p for p, _ in _PHRASES]
                                                     + [v.pattern for v in vars(grammar).values() if isinstance(v, re.Pattern)]))


def fix_slips(text: str) -> str:
    """``text`` with misspelt words corrected ('mnay peple' -> 'many people', 'minits' -> 'minutes')."""
    return _SPELLER.correct(text)


# '1m30s', '1 min 30 s', '4 minutes and 30 seconds', '4 minutes 30' closing the question, '2m', '1h', '1h02m' (a bare 'm' is
# minutes only beside a time word: '2m tall' stays metres)
_COMPACT_DURATION = re.compile(
    r"\b(?:(?P<h>\d+)\s*h(?:rs?)?\s*)?(?P<m>\d+)\s*m(?:in(?:ute)?s?)?\s*(?:and\s+)?(?P<s>[0-5]?\d(?:\.\d+)?)\s*s(?:ec(?:ond)?s?)?\b"
    r"|\b(?P<hm_h>\d+)h(?P<hm_m>[0-5]?\d)m?\b"  # '1h02m', '0h30m'
    r"|\b(?P<m_s>\d+) (?:minutes?|mins?) (?P<s_end>[0-5]?\d)(?= ?(?:[?.,!]|$|mark\b|into\b))"
    r"|\b(?P<m_only>\d+(?:\.\d+)?)m\b(?=\s+(?:ago|back|earlier|before|in|into)\b|\s*\??$)"
    r"|(?P<pre>\b(?:last|past|since|after|from|at|until|till|before|within|over|between|and|to) )(?P<m_after>\d+(?:\.\d+)?)m\b"
    r"|\b(?P<h_only>\d+(?:\.\d+)?)\s*(?:h|hrs?|hours?)\b")


def _compact_seconds(m: re.Match[str]) -> str:
    if m.group("m") is not None:
        return f"{3600 * int(m.group('h') or 0) + 60 * int(m.group('m')) + float(m.group('s')):g} seconds"
    if m.group("hm_h") is not None:
        return f"{3600 * int(m.group('hm_h')) + 60 * int(m.group('hm_m'))} seconds"
    if m.group("m_s") is not None:
        return f"{60 * int(m.group('m_s')) + int(m.group('s_end'))} seconds"
    if m.group("h_only") is not None:
        return f"{60 * float(m.group('h_only')):g} minutes"
    return f"{m.group('pre') or ''}{m.group('m_only') or m.group('m_after')} minutes"


_FRACTION = re.compile(r"\b(?P<n>\d+) and (?P<f>a half|an? quarter|three quarters) (?P<u>minutes?|mins?|seconds?|secs?)\b")
_FRACTIONS = {"a half": 0.5, "a quarter": 0.25, "an quarter": 0.25, "three quarters": 0.75}


def _fraction(m: re.Match[str]) -> str:
    return f"{int(m.group('n')) + _FRACTIONS[m.group('f')]:g} {m.group('u')}"


def _number(m: re.Match[str]) -> str:
    if m.group("hundred"):
        return "100"
    if m.group("single"):
        return str(_UNITS[m.group("single")])
    return str(_TENS[m.group("tens")] + (_UNITS[m.group("unit")] if m.group("unit") else 0))


# hesitations ('erm', 'um', 'let me think'), with the commas or dots around them
_FILLER = re.compile(r",?\s*\b(?:u+m+|e+r+m+|u+h+|hmm+|let me (?:think|see))\b\s*(?:\.{2,}|,)?(?! ?(?:no|sorry|i mean)\b)")
# a slip put right in passing: 'how many vans, no, cars', 'person 12, sorry, person 11', 'the last 5, no, 10 minutes'
_CORRECTION = re.compile(r", (?:no|sorry|i mean|or rather|rather|or,? no|wait|correction)[,.]? ")
_REGION_WORDS = frozenset(("left", "right", "top", "bottom", "center", "middle", "upper", "lower"))
_ARTICLES = frozenset(("a", "an", "the"))
_NOT_SLIPS = frozenset(("yes", "no", "or", "and", "but", "not", "i", "it", "that", "this"))  # 'answer yes, no, or maybe'


def _kind(word: str) -> str:
    """What a word of a corrected slip is: a number, a class, a side of the picture or anything else."""
    word = word.strip(",.")
    return "number" if word.replace(".", "").isdigit() else "class" if word in _WORD_CLASS else (
        "side" if word in _REGION_WORDS else "word")


def _head(words: list[str]) -> int:
    """How many leading words name what a correction puts in: an article and a word, a number with its unit, a class
    or 'number' with its id."""
    k = 1 if words and words[0] in _ARTICLES else 0
    if k >= len(words):
        return 0
    nxt = words[k + 1].strip(",.") if k + 1 < len(words) else ""
    if _kind(words[k]) == "number" and re.fullmatch(r"(?:seconds?|secs?|minutes?|mins?|hours?)", nxt):
        return k + 2
    if (_kind(words[k]) == "class" or words[k] in ("number", "track", "id", "#")) and _kind(nxt) == "number":
        return k + 2
    return k + 1


def _correct_slips(q: str) -> str:
    """``q`` with each slip its asker put right replaced by the correction, where both are the same kind of word."""
    for _ in range(3):
        m = _CORRECTION.search(q)
        if m is None:
            break
        before, after = q[: m.start()].split(), q[m.end():].split()
        n = 1 if before and after and _kind(before[-1]) == _kind(after[0]) == "number" else _head(after)  # '5, no, 10 minutes'
        if n == 0 or len(before) < n or {before[-1], after[0]} & _NOT_SLIPS:
            break
        new = [w for w in after[:n] if w not in _ARTICLES]
        old = [w for w in before[-n:] if w not in _ARTICLES][-len(new):]
        if len(old) != len(new) or [_kind(w) for w in old] != [_kind(w) for w in new]:
            break
        keep = before[:-n] if before[-n] in _ARTICLES or len(old) == n else before[: len(before) - len(old)]
        q = " " + " ".join(keep + after) + " "
    return q


# a time read out as two numbers after a time word: 'since one thirty', 'at two fifteen', 'between nought thirty and one'
_SPOKEN_CLOCK = re.compile(r"\b(since|after|at|from|before|until|till|between|and|by|to|around) (\d{1,2}) ([1-5]\d)\b"
                           r"(?= ?(?:[?.,!]|$|(?:and|to|until|till|on|in|into|mark|the|now|or|onwards|what|when|how|who|where|is|are|was|were|did)\b))")


# 'how much car', 'how much different man': a count, as many Englishes say it
_HOW_MUCH_OF_A_CLASS = re.compile(r"\bhow much (?=(?:(?:different|separate|unique|new) )?" + _CLASS_RE.pattern + ")")


def normalise(text: str) -> str:
    """Lower case, typing slips fixed, one spelling (US), contractions expanded, numbers written in words turned into
    digits."""
    q = " " + fix_slips(" ".join(text.lower().replace("’", "'").replace("?", " ? ").split())) + " "
    for pat, rep in _PHRASES:
        q = re.sub(pat, rep, q)
    q = re.sub(r"(?<=\d),(?=\d{3}\b)", "", q)
    q = _HOW_MUCH_OF_A_CLASS.sub("how many ", q)
    q = _NUMBER_WORD.sub(_number, q)
    q = re.sub(r"\b([1-9]) hundred\b", lambda m: str(100 * int(m.group(1))), q)  # 'two hundred'
    q = re.sub(r"\b([1-9]00) (?:and )?([1-9]\d?)\b", lambda m: str(int(m.group(1)) + int(m.group(2))), q)  # 'one hundred (and) five'
    q = re.sub(_UNIT_NUMBER, r"\1 \3 \2s", q)  # 'between minute two and minute six', once the numbers are digits
    q = _SPOKEN_CLOCK.sub(r"\1 \2:\3", q)  # 'since one thirty': 1:30
    q = re.sub(r"\bhalf ([1-9]|1[0-2])\b(?! ?(?:[:.\d]|minutes?|mins?|hours?|hrs?|seconds?|secs?|s\b|m\b|h\b|of\b|an?\b))", r"\1:30", q)  # 'half two': 2:30
    q = _FRACTION.sub(_fraction, q)  # 'two and a half minutes', once the number is a digit
    q = _correct_slips(_FILLER.sub(" ", q))
    q = re.sub(r"\b(\d+) (?:point|dot) (\d+)\b", r"\1.\2", q)
    q = re.sub(r"(\d)-(seconds?|secs?|minutes?|mins?)\b", r"\1 \2", q)  # 'the 10-second mark'
    q = _COMPACT_DURATION.sub(_compact_seconds, q)
    q = re.sub(r"[()]", " ", q)
    return " ".join(q.split())


_PRONOUNS = frozenset(("who", "anyone", "anybody", "someone", "somebody", "everyone", "everybody", "no one", "nobody"))
# words that name a class only when no other class word does: 'arrivals of trucks', 'track count for persons'
WEAK_CLASS_WORDS = frozenset(CLASS_WORDS["object"]) | frozenset((
    "arrival", "arrivals", "leaver", "leavers", "check-in", "check-ins", "check-out", "check-outs", "departure", "departures", "entrant", "entrants", "entry", "entries",
    "exit", "exits", "newcomer", "newcomers", "crowd", "crowded", "queue", "queues", "individual", "packed", "headcount", "head count",
    "figure", "figures"))  # 'the freight figure'


# who passes the question on ('my son wants to know', 'mum is asking', 'my brother, ...'): not who it is about
_RELATIONS = "|".join(sorted((w for w in _EVERYDAY_PEOPLE + _ROLES if " " not in w), key=len, reverse=True))
_RELATIONS_ONE = "|".join(sorted((w for w in CLASS_WORDS["person"] if " " not in w and not w.endswith("s")
                                  and w not in PLURAL_PERSON and w not in _PRONOUNS), key=len, reverse=True))
_SPEAKER = re.compile(rf"(?:^\s*|[.!?,;:] )(?:(?:my|our) )?(?:{_RELATIONS})(?:'s| is| has| was)? (?:asking|asks|asked|wants|wanted|"
                      rf"reckons|reckoned|says|said|thinks|thought|wonders|wondered|keeps asking|would like|needs|told me)\b"
                      rf"|^\s*(?:my|our) (?:{_RELATIONS}) ?,"
                      rf"|^\s*(?:the )?[a-z]+(?: [a-z]+)? to (?:the )?(?:[a-z]+(?: [a-z]+)? ?:|(?:control|base|office|ops|security|"
                      rf"reception|dispatch|all units|everyone|team|car park|gate) ?,)"  # radio: 'marshal to office:', 'gate to control,'
                      rf"|^\s*(?:the )?(?:{_RELATIONS_ONE}) to (?:the )?[a-z]+ ?,(?= (?:how|what|when|where|which|who|is|are|was|were|any|did|do|does|has|have)\b)"  # 'flagger to foreman, how ...'
                      rf"|^\s*(?:the )?(?:{_RELATIONS_ONE}) ?:"  # 'Warden: how many ...': who asks
                      rf"|^\s*(?:(?:good|little|old|clever|dear) )?(?:{_RELATIONS_ONE})(?: (?:ji|sir|madam|mate|bhai|boss))? ?,(?= (?:how|what|when|where|which|who|is|are|was|"
                      r"were|can|could|did|do|does|has|have|kindly|please)\b)"  # 'watchman ji, how many cars ...': who is asked
                      r"|^\s*(?:mum|mom|mummy|mommy|dad|daddy|grandma|grandpa|granny|grandad|nan|nana|gran) ?,? "
                      r"(?=(?:how|what|when|where|which|who|is|are|was|were|can|could|did|do|does|has|have)\b)")  # 'dad, how many ...'


_ON_A_BIKE = re.compile(r"(?: (?:rode|ride|rides|riding|came|come|went|go|zoomed|raced|waiting|sitting|pedal(?:led|ed|ling|ing)?)(?: (?:up|in|off|out|away|by|past))?)?"
                        r" on (?:a |an |their |his |her |the )?(?:[a-z-]+ )?(?P<ride>bikes?|bicycles?|e-bikes?|pushies|pushie|pushbikes?|"
                        r"mopeds?|motorbikes?|motorcycles?)\b"
                        r"(?! (?:path|lane|rack|shed|stand|bay|park|track|route)s?\b)")  # 'kids rode up on their bikes'; not the bike path


def is_singular(word: str) -> bool:
    """Whether the class word ``word`` names one thing: its plural is a class word too ('cormorant', not 'staff')."""
    plurals = (word + "s", word + "es", word[:-1] + "ies" if word.endswith("y") else None)
    return word not in PLURAL_PERSON and any(p in _WORD_CLASS for p in plurals if p)


def find_class(text: str) -> tuple[str | None, str | None]:
    """(canonical class, the word used) of the first class word in normalised ``text``, a word of
    ``WEAK_CLASS_WORDS`` only when no other is there, none of who passes the question on; (None, None) if none."""
    found = list(_class_words(_SPEAKER.sub(" ", text)))
    return next((f for f in found if f[1] not in WEAK_CLASS_WORDS), found[0] if found else (None, None))


def _class_words(text: str) -> Iterator[tuple[str, str]]:
    """(canonical class, word) of every class word of normalised ``text``, in order."""
    for m in _CLASS_RE.finditer(text):
        word = m.group(1)
        if word == "who" and not re.search(r"\bwho (is|are|was|were|came|entered|left|has|have|appeared|arrived|walked|showed|went|exited|stayed)\b", text):
            continue
        gap = next((len(g) for g in ("'s ", "' ", " ") if text.startswith(g, m.end())), 1)  # "a kid's bike"
        after = _CLASS_RE.match(text, m.end() + gap)
        if (after and _WORD_CLASS[after.group(1)] not in ("object", _WORD_CLASS[word])
                and after.group(1) not in WEAK_CLASS_WORDS | _PRONOUNS):  # 'police dogs', 'dog walkers': the last noun names it
            if _WORD_CLASS[word] in ("bicycle", "motorcycle") and (_WORD_CLASS[after.group(1)] == "person"
                                                                   or after.group(1) in ("rider", "riders")):
                yield _WORD_CLASS[word], word  # 'motorbike couriers', 'scooter riders': counted as what they ride
            continue
        if PLACE.match(text, m.end()):  # 'the bus stop', 'the bike lane': a place, not the class
            continue
        if (_WORD_CLASS[word] == "person" or word in ("rider", "riders")) and (ride := _ON_A_BIKE.match(text, m.end())):
            yield _WORD_CLASS[ride.group("ride")], word  # 'couriers on bikes', 'delivery lads on mopeds': counted as what they ride
            continue
        yield _WORD_CLASS[word], word
