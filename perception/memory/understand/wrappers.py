"""The question inside what a benchmark, a script, an agent or a relaying person wraps around it: answer-format
instructions ('Answer with a single number.', 'Respond yes or no.'), multiple-choice options, 'Question:' / 'System:'
labels, markdown headings, a persona line ('You are watching a street camera.'), who passes the question on ('the
customer wants to know'), and tool-call or JSON syntax ('count_exits(class="person", since="0:25")'), whose names and
values become plain words."""

from __future__ import annotations

import json
import re

# a sentence that only says how to answer: 'Answer with a single number.', 'Integer only, no text.', 'Format: seconds'
_FORMAT_ONLY = re.compile(
    r"^(?:please )?(?:"
    r"(?:answer|respond|reply)(?: (?:with|in|using|as|only|just|briefly|by|yes|no|either|exactly|strictly)\b|\s*:|$)"
    r"|(?:give|return|provide|output|express|state|write|report) (?:your|the|an?|only|just)? ?(?:final )?"
    r"(?:answer|response|result|reply|output)\b"
    r"|(?:return|give|provide|output) (?:an?|the|only|just) (?:single |plain |whole |bare |non-negative )*"
    r"(?:integer|int|number|digit|count|value|bool(?:ean)?|yes|string|sentence|word|time|list|json|region|label)s?"
    r"\b(?!\s+of\b(?! seconds))(?!\s+(?:when|that|who|which|at|the|since|for|between|in the|it)\b)"
    r"|(?:your |the )?(?:answer|response|reply|output)(?: format)?(?: should| must|\s*:| is to)"
    r"|(?:output |answer |response )?format\s*:"
    r"|(?:a |one |single |an )*(?:integer|int|number|digits?|numeral|yes/no|yes or no|one word|single word|bool(?:ean)?"
    r"|seconds|json|plain text)(?: only| answer| please|, no\b|\s*$)"
    r"|no (?:explanation|text|units|extra text|other text|words)"
    r"|(?:keep it|be) (?:short|brief|concise)"
    r"|mention (?:which|what|the|where)\b"
    r"|what is (?:it|the (?:answer|value|result))\s*\??$"
    r"|(?:think|reason) step by step"
    r"|expect(?:ed|s)?\s*:?\s*(?:an? )?(?:integer|int|number|bool(?:ean)?|string|json|seconds|yes|list)\b"
    r"|(?:choose|pick|select) (?:one|the correct|an?|the best)\b"
    r"|do not (?:explain|elaborate)"
    r")", re.IGNORECASE)
# labels and tags around the question: 'Question:', 'Q:', 'User:', '[INST]', '<question>', a trailing 'Answer:' / 'A:'
_LABEL = re.compile(r"^\s*(?:#+\s*)?(?:[a-z]+\s+)?(?:question|query|q|user|human|prompt|input|task|instruction|request)"
                    r"\s*(?:\d+\s*)?[:.)-]\s*",
                    re.IGNORECASE)
# who speaks and from what the answer should come: 'agent>', 'Based on the video so far,'
_PREFACE = re.compile(r"^\s*(?:\w+\s*>+(?!\s*\d)\s*)?(?:(?:based on|according to|from|given|looking at|using|judging (?:from|by)) "
                      r"(?:the|this|what) (?:video|footage|clip|stream|recording|frames?|feed|you (?:have seen|see|saw))"
                      r"(?: (?:so far|up to now|until now|thus far|you have seen|you see|provided|shown))?\s*,\s*)?", re.IGNORECASE)
_TAGS = re.compile(r"\[/?(?:inst|question|query)\]|</?(?:question|query|s|user|human)>|<<\w+>>", re.IGNORECASE)
_TRAILING_SLOT = re.compile(r"(?:\b(?:answer|a|output|response)\s*:\s*(?:<[^>]*>|\.\.\.|_+|\{[^}]*\}|n|x)?\s*\.?\s*)+$",
                            re.IGNORECASE)
# a speaker turn that is not the question: 'System: you are a careful video analyst.'
_SYSTEM_TURN = re.compile(r"^\s*(?:system|assistant)\s*:", re.IGNORECASE)
# who the asker pretends the reader is: 'You are a video analyst.', 'You are watching a street camera.'
_PERSONA = re.compile(r"^(?:(?:you are|you're|imagine you are|pretend you are) (?:an? |the |watching|looking at|monitoring|viewing"
                      r"|observing|analy[sz]ing|given|provided|shown|helping)|act as)\b(?!.*\?)", re.IGNORECASE)
# who is asking, signed first: 'Coach Dave here - how many ...', 'Mrs Patel here.' (not 'is anyone here - ...')
_SIGNATURE = re.compile(r"^(?!(?:is|are|was|were|how|what|when|where|who|which|any|anyone|anybody|someone|somebody|did|do|"
                        r"does|has|have|can|could|will|would|should)\b)(?:[\w.'’]+ ){0,3}here\s*(?:[-–—:,!.]+\s*|$)",
                        re.IGNORECASE)
# who the question is passed on from, before it: 'The customer wants to know how many ...', 'caller asks if ...',
# "she's asking is her cat ...", 'note: cust wants no. of ...' (an 'if' or 'whether' stays: it marks a yes-or-no question)
_RELAYED = re.compile(r"^\s*(?:note\s*:\s*)?(?:(?:the|my|our|a|this|that|your) )?(?:customer|cust|caller|client|user|lady|gentleman|"
                      r"gent|man|woman|guy|person|resident|visitor|member of the public|she|he|they|(?:[a-z]+ )?(?:manager|owner|boss|"
                      r"supervisor|officer|guard|colleague|director|teacher|parent|neighbou?r))(?:['’]s| is| was| has)?"
                      r"(?: (?:on the (?:line|phone)|here|now|again|also))? (?:asking|asks|asked|wants|wanted|would like|needs|"
                      r"wondering|wonders|wondered)(?: (?:to know|to find out|to check))?(?: (?:about|me|us))?\s*[:,]?\s+", re.IGNORECASE)
# multiple-choice options from the first of at least two: '(A) 0 (B) 1', 'A) none B) one', 'Options: ...'
_OPTIONS = re.compile(r"(?:\b(?:options|choices)\s*:.*$)|(?:(?:^|\s)\(?[A-Da-d]\)\s.*\(?[B-Db-d]\)\s.*$)|"
                      r"(?:(?:^|\s)[A-D][.:]\s.*\s[B-D][.:]\s.*$)", re.DOTALL)
# '-> int', '-> expected: bool', '-> time in seconds': what a call returns
_RETURNS = re.compile(r"\s*(?:->|=>|→)\s*(?:expected\s*:?\s*)?[\w /\[\]]*?(?=[.;?!]|$)")
# a call: a snake_case name, or any name given quoted or key=value arguments ('person(s)' is not one)
_CALL = re.compile(r"\b([a-z][a-z0-9]*_[a-z0-9_]+)\s*\(([^()]*)\)|\b([a-z][a-z0-9]*)\(((?=[^()]*[='\"])[^()]*)\)",
                   re.IGNORECASE)
_ARG = re.compile(r"""\s*(?:(\w+)\s*[=:]\s*)?("[^"]*"|'[^']*'|[^,]+)""")
_QUOTED = re.compile(r"""^(?:"([^"]*)"|'([^']*)')$""")
# keys whose value needs its preposition back: since="0:25" -> 'since 0:25', t="0:50" -> 'at 0:50'
_KEY_WORDS = {"since": "since", "after": "after", "before": "before", "until": "until", "from": "from", "to": "to",
              "at": "at", "t": "at", "time": "at", "timestamp": "at", "when": "at", "region": "in the", "area": "in the",
              "where": "in the", "track": "track", "track_id": "track", "id": "track", "object_id": "object",
              "window": "in the last", "last": "in the last", "duration": "in the last"}
_DROPPED_KEYS = frozenset(("return", "returns", "format", "output", "type", "answer_type", "expected", "response_format",
                           "answer_format", "output_format", "schema"))
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


def _words(name: str) -> str:
    """'count_exits' -> 'count exits'."""
    return name.replace("_", " ")


def _value(raw: str) -> str:
    raw = raw.strip()
    m = _QUOTED.match(raw)
    return (m.group(1) if m.group(1) is not None else m.group(2)) if m else raw


def _argument(key: str | None, value: str) -> str:
    """One key and value as words: ('since', '0:25') -> 'since 0:25'; ('class', 'person') -> 'person'."""
    if key is None:
        return value
    k = key.lower()
    if k in _DROPPED_KEYS:
        return ""
    if k in ("time", "t", "at", "when") and value.lower() in ("now", "current", "present"):
        return "now"
    prefix = _KEY_WORDS.get(k)
    if prefix in ("track", "object") and value.isdigit():
        return f"{prefix} #{value}"
    if not prefix:
        return value
    head = prefix.rsplit(" ", 1)[-1]
    if value.lower().startswith(head + " "):  # 'window': 'last 2 minutes' -> 'in the last 2 minutes'
        return f"{prefix[: -len(head)]}{value}"
    if re.match(r"(?:in|last|past|previous|between|since|from|after|before|until|at|during|over)\b|[\d:.]+\s*(?:-|–|to)\s*\d",
                value, re.I):
        return value  # the value says how it is meant, or is a range
    return f"{prefix} {value}"


def _call_words(m: re.Match[str]) -> str:
    """A tool call as words: its name, then its arguments; a lone quoted sentence argument is the question itself."""
    name, inside = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    args = [(k, _value(v)) for k, v in _ARG.findall(inside) if v.strip()]
    sentences = [v for k, v in args if k == "" and len(v.split()) >= 3]
    if sentences:
        return sentences[-1]
    return " ".join(filter(None, [_words(name), *(_argument(k or None, v) for k, v in args)]))


def _json_words(text: str) -> str | None:
    """A JSON object as words (its values in order, keys that carry a preposition kept), or None if it is not one."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return None
    try:
        obj = json.loads(text[start:end + 1])
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    words: list[str] = []
    number = False  # whether the last value was a bare number
    for k, v in obj.items():
        if k.lower() in ("unit", "units"):  # a number's unit ('window': 5, 'unit': 'minutes'), else the answer's
            if number:
                words[-1] += f" {v}"
            continue
        number = isinstance(v, (int, float)) or bool(re.fullmatch(r"\d+(?:\.\d+)?", str(v)))
        words.append(_argument(k, _words(str(v)) if re.fullmatch(r"\w+", str(v)) else str(v)))
    return " ".join(filter(None, [text[:start].strip(), *words, text[end + 1:].strip()]))


def unwrap(text: str) -> str:
    """The question in ``text`` with format instructions, options, labels, personas and call syntax taken out (the
    text as it is when nothing is left)."""
    q = _TAGS.sub(" ", text)
    kept: list[str] = []
    in_output = False
    for line in q.splitlines():
        heading = re.match(r"^\s*#+\s*(.*?)\s*$", line)
        if heading:  # '### Output' opens a section about the answer; '### Task' one about the question
            in_output = bool(re.match(r"(?:output|format|answer|response|expected|returns?)\b", heading.group(1), re.I))
            continue
        if not in_output and line.strip():
            kept.append(line)
    q = "\n".join(kept)
    sentences = []
    for s in _SENTENCE.split(q):
        s = _PREFACE.sub("", _LABEL.sub("", s.strip()))
        s = _RELAYED.sub("", _SIGNATURE.sub("", _TRAILING_SLOT.sub("", s).strip()).strip())
        if not s or _SYSTEM_TURN.match(s) or _PERSONA.match(s) or _FORMAT_ONLY.match(s):
            continue
        sentences.append(s)
    q = " ".join(sentences)
    q = _OPTIONS.sub(" ", q)
    q = _RETURNS.sub(" ", q)
    if (json_text := _json_words(q)) is not None:
        q = json_text
    q = _CALL.sub(_call_words, q)
    q = " ".join(q.split())
    return q if q.strip(" .?!") else text
