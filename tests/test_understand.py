"""The question reader on paraphrase groups written independently of it (tests/data/qa_paraphrases.json):
all five questions of a group must read to the group's intent and slots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perception.memory.understand import INTENTS, TimeSpec, read_question
from perception.memory.understand.words import fix_slips, normalise

GROUPS = json.loads((Path(__file__).parent / "data" / "qa_paraphrases.json").read_text(encoding="utf-8"))["groups"]


def _slots(r) -> dict:
    """The reading in the file's slot vocabulary."""
    out: dict = {"class": r.label or ("object" if r.label_word else None)}
    spec = r.reference if r.intent == "compare" else r.time
    if spec is not None:
        key = {"last": "window_s", "ago": "window_s" if r.intent == "compare" else "at_s", "since": "since_s", "at": "at_s"}.get(spec.kind)
        if key:
            out[key] = spec.a
    if r.region is not None:
        out["region"] = r.region.name.split()[0].replace("center", "centre")
    return {k: v for k, v in out.items() if v is not None}


def _group_errors(group) -> list[str]:
    """What the reader got wrong on one group (empty when all five read to its intent and slots)."""
    want, errors = dict(group["slots"]), []
    for q in group["questions"]:
        r = read_question(q)
        assert r.intent in INTENTS and 0.0 <= r.confidence <= 1.0
        got = _slots(r)
        if r.intent != group["intent"]:
            errors.append(f"{q!r}: intent {r.intent}, want {group['intent']}")
        for k, v in want.items():
            ok = got.get(k) in (None, "object") if k == "class" and v == "object" else got.get(k) == v
            if not ok:
                errors.append(f"{q!r}: {k}={got.get(k)!r}, want {v!r}")
    return errors


# Groups read fully right today: all 37. This floor catches regressions.
MIN_GROUPS_RIGHT = 37


def test_paraphrase_groups_read_to_one_intent_and_slots():
    failing = {f"{g['intent']}-{i}": e for i, g in enumerate(GROUPS) if (e := _group_errors(g))}
    right = len(GROUPS) - len(failing)
    assert right >= MIN_GROUPS_RIGHT, f"{right}/{len(GROUPS)} groups right; wrong: {failing}"


def test_each_intent_has_a_group_read_fully_right():
    right = {g["intent"] for g in GROUPS if not _group_errors(g)}
    assert right >= {"count_now", "count_distinct", "count_entered", "count_left", "presence", "compare"}, right


# More paraphrases (written for this test, not taken from the file): (question, intent, slots, about).
MORE = [
    ("How long ago did the latest arrival show up?", "when_last", {"class": "person"}, "arrival"),
    ("What time did the newest walker step into the frame?", "when_last", {"class": "person"}, "arrival"),
    ("How much time has elapsed since someone new came in?", "when_last", {"class": "person"}, "arrival"),
    ("When did the last person walk out of the picture?", "when_last", {"class": "person"}, "departure"),
    ("How many seconds into the clip did the first pedestrian appear?", "when_first", {"class": "person"}, None),
    ("After the 15-second mark, when did somebody first show up?", "when_first", {"class": "person", "since_s": 15}, None),
    ("For how long has the view not been empty of people?", "duration", {"class": "person"}, "occupied"),
    ("How long did the newest arrival stay on screen?", "duration", {"class": "person"}, "arrival"),
    ("How long was the most recent person to leave in view?", "duration", {"class": "person"}, "departure"),
    ("Is anyone in the middle third (left to right) of the frame?", "presence", {"class": "person", "region": "centre"}, None),
    ("Is the right third of the image empty of pedestrians now?", "presence", {"class": "person", "region": "right"}, None),
    ("How many distinct walkers have passed since t = 40 s?", "count_distinct", {"class": "person", "since_s": 40}, None),
    ("How many people went out of view within the last half-minute?", "count_left", {"class": "person", "window_s": 30}, None),
    ("How many newcomers were there during the past twelve seconds?", "count_entered", {"class": "person", "window_s": 12}, None),
    ("Are there fewer people in view than at the 5-second mark?", "compare", {"class": "person", "at_s": 5}, None),
    ("What went on from t = 8 s until now?", "summary", {"since_s": 8}, None),
    ("Describe the scene 25 seconds into the video.", "describe", {"at_s": 25}, None),
    ("From which edge did the latest newcomer walk in?", "where", {"class": "person"}, "arrival"),
]


@pytest.mark.parametrize("question,intent,slots,about", MORE)
def test_more_paraphrases_read_to_intent_slots_and_subject(question, intent, slots, about):
    r = read_question(question)
    assert (r.intent, r.about) == (intent, about), r
    got = _slots(r)
    assert {k: got.get(k) for k in slots} == slots, got


# Constructions rather than cue words (written for this test): a perfect or past passive of seeing is a
# cumulative count, present-tense 'appear' with a now-cue is what is visible, 'come and gone' is everyone so far,
# verb forms of rising and dropping compare counts, and a yes/no about arrivals in a window counts arrivals.
CONSTRUCTIONS = [
    ("How many people appear in the current frame?", "count_now", {"class": "person"}),
    ("How many pedestrians appear on screen right now?", "count_now", {"class": "person"}),
    ("How many people appeared in the last 10 s?", "count_entered", {"class": "person", "window_s": 10}),
    ("How many people has it seen to date?", "count_distinct", {"class": "person"}),
    ("How many walkers has the video contained?", "count_distinct", {"class": "person"}),
    ("How many people have been in the scene since the video started?", "count_distinct", {"class": "person"}),
    ("How many people have been visible at some point?", "count_distinct", {"class": "person"}),
    ("Count every person who has been in view.", "count_distinct", {"class": "person"}),
    ("Up to this moment, how many people were seen?", "count_distinct", {"class": "person"}),
    ("How many pedestrians were spotted thus far?", "count_distinct", {"class": "person"}),
    ("How many people have come and gone?", "count_distinct", {"class": "person"}),
    ("How many people were seen at 10 s?", "count_now", {"class": "person", "at_s": 10}),
    ("How many people has the camera seen in the last 10 seconds?", "count_distinct", {"class": "person", "window_s": 10}),
    ("Did the number of people drop compared to 5 s ago?", "compare", {"class": "person", "window_s": 5}),
    ("Has the number of pedestrians risen since 5 s?", "compare", {"class": "person"}),
    ("Did anyone drop out of view in the last 10 s?", "count_left", {"class": "person", "window_s": 10}),
    ("Were there any arrivals in the last 10 seconds?", "count_entered", {"window_s": 10}),
    ("How many guys are walking in the picture now?", "count_now", {"class": "person"}),
    ("How many people walked in during the last 10 s?", "count_entered", {"class": "person", "window_s": 10}),
    ("How many people popped into view in the last 10 s?", "count_entered", {"class": "person", "window_s": 10}),
    ("What's the crowd size at the moment?", "count_now", {"class": "person"}),
    ("Give me a headcount.", "count_now", {"class": "person"}),
    ("How many bodies are on camera?", "count_now", {"class": "person"}),
    ("How many commuters have been through so far?", "count_distinct", {"class": "person"}),
]


# Slips and phrasings a second independent question set brought up (written for this test): typing slips of
# the question words are read through, real words one slip from them are left alone, 'the same as' compares.
SLIPS = [
    ("how mnay peple entred the view in the last 30 seconds", "count_entered", {"class": "person", "window_s": 30}),
    ("are there any humans in the rigth half", "presence", {"class": "person", "region": "right"}),
    ("how lnog has the newest walker been in view", "duration", {"class": "person"}),
    ("how many ppl left in the last five seconds", "count_left", {"class": "person", "window_s": 5}),
    ("Is any individual present in the center at this moment?", "presence", {"class": "person", "region": "centre"}),
    ("Current number of people walking in view, please.", "count_now", {"class": "person"}),
    ("Since second 12, how many humans have appeared in frame?", "count_entered", {"class": "person", "since_s": 12}),
    ("How many cars have driven into view in the last 2 minutes?", "count_entered", {"class": "car", "window_s": 120}),
    ("Total unique people who have visited the scene up to this point?", "count_distinct", {"class": "person"}),
    ("Give me the time of the most recent arrival of a person.", "when_last", {"class": "person"}),
    ("Give me the dwell time of the latest pedestrian to arrive.", "duration", {"class": "person"}),
    ("What did the pedestrians do in the last 20 seconds?", "summary", {"window_s": 20}),
    ("Describe what you see right now.", "describe", {}),
    ("Is the count of individuals the same as it was 10 seconds ago?", "compare", {"class": "person", "window_s": 10}),
]


def test_real_words_one_slip_from_a_question_word_stay():
    from perception.memory.understand.words import normalise

    for q in ("is it even busier now", "how many till now", "who leaves though", "in the form of a tree"):
        assert normalise(q) == q


def test_the_same_as_reads_as_an_equality():
    r = read_question("Are there the same number of people now as 5 seconds ago?")
    assert (r.intent, r.compare_op, r.reference.kind, r.reference.a) == ("compare", "same", "ago", 5.0)


# Context before the question (written for this test): a statement first, then the asking clause.
CONTEXT = [
    ("The crossing is on the right side of the picture and I'm worried someone is waiting there - is anyone in the "
     "right half of the image right now?", "presence", {"class": "person", "region": "right"}),
    ("I lost sight of person 2 when he walked behind the van - where is he now?", "where", {}),
    ("There was a group near the bus stop a moment ago and now it looks emptier, so - how many people left the view "
     "in the last 40 seconds?", "count_left", {"class": "person", "window_s": 40}),
    ("The newest walker among them - when did they appear?", "when_last", {"class": "person"}),
    ("person count now > person count 10s ago?", "compare", {"class": "person", "window_s": 10}),
    ("person in left third? y/n", "presence", {"class": "person", "region": "left"}),
    ("unique customers so far?", "count_distinct", {"class": "person"}),
    ("exits last 15 s, persons", "count_left", {"class": "person", "window_s": 15}),
]


# Telegraphic and colloquial questions (written for this test).
COLLOQUIAL = [
    ("cars visible rn", "count_now", {"class": "car"}),
    ("walkers leaving, last 30 sec", "count_left", {"class": "person", "window_s": 30}),
    ("How many visitors wandered in during the last 2 minutes?", "count_entered", {"class": "person", "window_s": 120}),
    ("How many taxis pulled away in the past minute?", "count_left", {"class": "car", "window_s": 60}),
    ("person in top half?", "presence", {"class": "person", "region": "top"}),
    ("same number of people as 20 sec ago?", "compare", {"class": "person", "window_s": 20}),
    ("Has the foot traffic picked up compared to a minute ago?", "compare", {"class": "person", "window_s": 60}),
    ("I'd like to know what the shoppers did in the last 5 minutes.", "summary", {"class": "person", "window_s": 300}),
    ("A bus stopped outside the frame. How many people came into view in the last 30 seconds?", "count_entered",
     {"class": "person", "window_s": 30}),
]


def test_scheduled_questions_warm_the_intent_matcher_up():
    from perception.memory.run import make_memory_stage
    from perception.memory.understand.embed import IntentMatcher

    if not IntentMatcher.available():
        pytest.skip("the optional MiniLM package is not installed")
    stage = make_memory_stage(ask="how many people are in view?")
    try:
        assert IntentMatcher._warming is not None
        IntentMatcher._warming.join(timeout=300)
        assert IntentMatcher._examples is not None
    finally:
        stage.close()


def test_a_moment_one_unit_ago_reads_as_english():
    from perception.memory.understand import TimeSpec

    assert TimeSpec("ago", 1.0).describe(5.0).startswith("a second ago")
    assert TimeSpec("ago", 60.0).describe(90.0).startswith("a minute ago")
    assert TimeSpec("ago", 10.0).describe(20.0).startswith("10 seconds ago")


def test_away_for_a_while_is_the_last_stretch():
    r = read_question("I stepped away for two minutes - what did I miss?")
    assert (r.intent, r.time.kind, r.time.a) == ("summary", "last", 120.0)


def test_phrasings_written_without_the_parser_mostly_read_right():
    import importlib.util

    path = Path(__file__).parents[1] / "bench" / "qa_phrasings.py"
    spec = importlib.util.spec_from_file_location("qa_phrasings", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    items = [it for name in bench.UNTOUCHED
             for it in json.loads((bench.FOLDER / f"{name}.json").read_text(encoding="utf-8"))["items"]]
    right = sum(not bench.problems(it, read_question(it["question"])) for it in items)
    assert right >= 0.9 * len(items), f"{right}/{len(items)}"  # set7: 225/240 when this floor was set; set7 + set9: 443/480; + set11: 667/720


# Phrasings of fixes drawn from bench/qa_phrasings sets 4-6 and 8 (written for this test, not copied from the sets):
# a moment to describe stays a description, 'X and a half' and hours in windows, 'compare with', 'free of', walking in
# since the start (arrivals, not everyone), more words for people; set 8: driving / riding / rolling in and off,
# 'took off', 'no one' (not track #1), entries and exits as people, 'person 4' keeps its class, 'how did it look'.
DRAWN_FROM_SETS = [
    ("What did the plaza look like at 0:40?", "describe", {"at_s": 40}),
    ("Give me a description of the picture at two minutes.", "describe", {"at_s": 120}),
    ("What does the scene look like over the last minute?", "summary", {"window_s": 60}),
    ("How many people left in the past minute and a half?", "count_left", {"class": "person", "window_s": 90}),
    ("How many walkers came in during the last 2 and a half minutes?", "count_entered", {"class": "person", "window_s": 150}),
    ("How many visitors left during the past quarter of an hour?", "count_left", {"class": "person", "window_s": 900}),
    ("How many people walked in during the last half an hour?", "count_entered", {"class": "person", "window_s": 1800}),
    ("How does the number of pedestrians compare with 20 seconds ago?", "compare", {"class": "person", "window_s": 20}),
    ("Is the left half free of people right now?", "presence", {"class": "person", "region": "left"}),
    ("How many people walked into view since the start?", "count_entered", {"class": "person"}),
    ("How many different travellers have been on camera?", "count_distinct", {"class": "person"}),
    ("Are there guests in the top half?", "presence", {"class": "person", "region": "top"}),
    ("any1 on the right?", "presence", {"class": "person", "region": "right"}),
    ("Who appeared first?", "when_first", {"class": "person"}),
    ("How many scooters rolled into view over the past 3 minutes?", "count_entered", {"class": "motorcycle", "window_s": 180}),
    ("How many vans drove away after 1:15?", "count_left", {"class": "truck", "since_s": 75}),
    ("how many cyclists rode off in the last 45 seconds", "count_left", {"class": "bicycle", "window_s": 45}),
    ("How many shoppers took off during the past minute?", "count_left", {"class": "person", "window_s": 60}),
    ("how many people stepped in since the start?", "count_entered", {"class": "person"}),
    ("Is no one in the top half?", "presence", {"class": "person", "region": "top"}),
    ("number of exits since 2:00?", "count_left", {"class": "person", "since_s": 120}),
    ("when was the most recent entry?", "when_last", {"class": "person"}),
    ("For how long was pedestrian #8 in view?", "duration", {"class": "person"}),
    ("How did the plaza look a minute ago?", "describe", {"at_s": 60}),
    # set 10: compact durations, 'total' as a count word, 'time since', 'what was visible', the scene at a moment
    ("how many bikes left in the past 2m15s", "count_left", {"class": "bicycle", "window_s": 135}),
    ("fewer ppl than 2m ago?", "compare", {"class": "person", "window_s": 120}),
    ("where was track 3 at 2m05s", "where", {"at_s": 125}),
    ("summary of the last 1h", "summary", {"window_s": 3600}),
    ("total pedestrians in view now", "count_now", {"class": "person"}),
    ("total cyclists so far", "count_distinct", {"class": "bicycle"}),
    ("time since the newest cyclist showed up", "when_last", {"class": "bicycle"}),
    ("tell me how long it's been since the most recent person arrived", "when_last", {"class": "person"}),
    ("what was on screen at 1:10", "describe", {"at_s": 70}),
    ("Describe what was going on 45 seconds ago", "describe", {"at_s": 45}),
    ("describe the street from 20 seconds ago", "describe", {"at_s": 20}),
    ("what is going on at the moment?", "describe", {}),
    ("What's been going on since 0:30?", "summary", {"since_s": 30}),
    ("how many people came in after 2:00.", "count_entered", {"class": "person", "since_s": 120}),
    ("What happened since 40 seconds ago?", "summary", {"window_s": 40}),
    # set 12: occupancy, ingress / egress, lifetime, what the camera saw, a class word beats an event noun or 'track'
    ("occupancy of the lobby right now?", "count_now", {"class": None}),
    ("egress of cyclists since 0:20", "count_left", {"class": "bicycle", "since_s": 20}),
    ("inbound cars in the past 2 minutes", "count_entered", {"class": "car", "window_s": 120}),
    ("lifetime of track 5?", "duration", {}),
    ("What did you see at 0:45?", "describe", {"at_s": 45}),
    ("what did the camera see in the last 30 seconds", "summary", {"window_s": 30}),
    ("what was in shot 20 seconds ago", "describe", {"at_s": 20}),
    ("departures of vans in the last minute", "count_left", {"class": "truck", "window_s": 60}),
    ("distinct track count for dogs", "count_distinct", {"class": "dog"}),
    # set 14: formal benchmark wording
    ("What is the total number of cyclists in the current frame?", "count_now", {"class": "bicycle"}),
    ("Is the number of pedestrians greater now than 25 seconds ago?", "compare", {"class": "person", "window_s": 25}),
    ("Has the number of cars diminished compared with 50 seconds ago?", "compare", {"class": "car", "window_s": 50}),
    ("Give the timestamp of the initial appearance of a dog.", "when_first", {"class": "dog"}),
    ("State the earliest time at which a pedestrian was observed.", "when_first", {"class": "person"}),
    ("Report the on-screen duration of track 7.", "duration", {}),
    ("What is the total visible duration of object 3?", "duration", {}),
    ("Describe the street as it appeared at timestamp 1:05.", "describe", {"at_s": 65}),
    ("What does the image depict right now?", "describe", {}),
    # set 15: literal translations and slang
    ("How many cars passed between second 15 and second 45?", "count_distinct", {"class": "car"}),
    ("How many persons came after the minute 2:10?", "count_entered", {"class": "person", "since_s": 130}),
    ("Somebody is in the corner down left now?", "presence", {"class": "person", "region": "bottom"}),
    ("Are there less people now than before 40 seconds?", "compare", {"class": "person", "window_s": 40}),
    ("How was the scene before 2 minutes?", "describe", {"at_s": 120}),
    ("How many dogs abandoned the image since 0:30?", "count_left", {"class": "dog", "since_s": 30}),
    ("how many peeps bounced in the last min", "count_left", {"class": "person", "window_s": 60}),
    ("bikers count went down vs 1 min ago?", "compare", {"class": "bicycle", "window_s": 60}),
    ("How long is it since the last bus came?", "when_last", {"class": "bus"}),
    ("Make me a resume of the last 3 minutes.", "summary", {"window_s": 180}),
    ("what went down since 1:00", "summary", {"since_s": 60}),
    # set 16: more literal translations
    ("In the left half, some person exist?", "presence", {"class": "person", "region": "left"}),
    ("How much time back the newest cyclist arrived?", "when_last", {"class": "bicycle"}),
    ("How long makes that the last truck came?", "when_last", {"class": "truck"}),
    ("Since how long is the track 6 in the picture?", "duration", {}),
    ("Since how much time is arrived the newest car?", "when_last", {"class": "car"}),
    ("What was in the picture since the start?", "summary", {}),
    # set 19: creative paraphrase
    ("How many people left between 1 and 2 minutes?", "count_left", {"class": "person"}),
    ("How many walkers have wandered into the shot in the last 40 seconds?", "count_entered", {"class": "person", "window_s": 40}),
    ("How many shoppers made their way in over the past minute?", "count_entered", {"class": "person", "window_s": 60}),
    ("How many people have drifted off screen since 0:50?", "count_left", {"class": "person", "since_s": 50}),
    ("Counting from 1:10, when did the first cyclist turn up?", "when_first", {"class": "bicycle", "since_s": 70}),
    ("How many seconds back did the latest person come in?", "when_last", {"class": "person"}),
    ("When did the final walker arrive?", "when_last", {"class": "person"}),
    ("How much screen time has #9 had?", "duration", {}),
    ("How long was visitor 12 on screen?", "duration", {"class": "person"}),
    ("Whereabouts is #4 right now?", "where", {}),
    ("Walk me through the last two minutes.", "summary", {"window_s": 120}),
    ("What was the street like 40 seconds back?", "describe", {"at_s": 40}),
    ("What did the camera show at 1:30?", "describe", {"at_s": 90}),
    ("How many cars are driving in view now?", "count_now", {"class": "car"}),
    ("Right now, counting everyone on screen, what's the total?", "count_now", {"class": "person"}),
    # set 21: annotators of a surveillance-video benchmark
    ("How many subjects departed in the past 45 seconds?", "count_left", {"class": "person", "window_s": 45}),
    ("Is any subject present in the top right corner?", "presence", {"class": "person"}),
    ("First car after 2:00?", "when_first", {"class": "car", "since_s": 120}),
    ("First bike?", "when_first", {"class": "bicycle"}),
    ("What was going on at the 50-second mark?", "describe", {"at_s": 50}),
    ("What happened between 0:30 and 0:50?", "summary", {}),
    # set 22: computer-vision engineers checking a tracker
    ("how many peds in right third of FoV currently", "count_now", {"class": "person", "region": "right"}),
    ("current # of car tracks in bottom half", "count_now", {"class": "car", "region": "bottom"}),
    ("veh egress count since t=15", "count_left", {"class": "car", "since_s": 15}),
    ("num unique car IDs over the whole sequence", "count_distinct", {"class": "car"}),
    ("any ped in left ROI?", "presence", {"class": "person", "region": "left"}),
    ("person count now exceeds count 25 s ago?", "compare", {"class": "person"}),
    ("ts of first ped detection", "when_first", {"class": "person"}),
    ("how many sec ago did the last person appear", "when_last", {"class": "person"}),
    ("pos of car 5 now", "where", {}),
    # set 24: retail, venue and transport staff
    ("Is footfall higher now than 45 seconds ago?", "compare", {"class": "person"}),
    ("How many customers cleared the platform between 1:30 and 2:30?", "count_left", {"class": "person"}),
    ("What was on the concourse at 0:50?", "describe", {"at_s": 50}),
    ("What went on between 1:00 and 2:00?", "summary", {}),
    # set 26: investigators and adjusters writing for the record
    ("Since 00:00:50, how many pedestrians have entered the frame?", "count_entered", {"class": "person", "since_s": 50}),
    ("Are there more individuals in frame now than at 00:01:00?", "compare", {"class": "person", "at_s": 60}),
    ("Where was object #8 at T+15?", "where", {"at_s": 15}),
    ("After T+20, when was the first vehicle observed?", "when_first", {"class": "car", "since_s": 20}),
    ("How many canines left the frame within the last minute?", "count_left", {"class": "dog", "window_s": 60}),
    ("What transpired in the last 90 seconds?", "summary", {"window_s": 90}),
    ("Characterise the frame as of twenty seconds ago.", "describe", {"at_s": 20}),
    ("At what timecode did the first individual appear in the footage?", "when_first", {"class": "person"}),
    # set 29: questions asked through a chat box beside other remarks
    ("I saw a bus earlier, but how many cars are there now?", "count_now", {"class": "car"}),
    ("there was a truck at 0:40 I think, anyway how many buses are on screen now?", "count_now", {"class": "bus", "at_s": None}),
    ("ok so ignoring the dog for a sec, how many bikes are visible right now?", "count_now", {"class": "bicycle", "at_s": None}),
    ("never mind the people, how many vehicles at present?", "count_now", {"class": "car"}),
    ("so the bus left, right? how many trucks are visible now?", "count_now", {"class": "truck"}),
    ("it's 1:00 now, how many people left in the last 15 seconds?", "count_left", {"class": "person", "window_s": 15}),
    ("is it busier now than at 1:10? I'm at 1:40 in the video", "compare", {"at_s": 70}),
    ("what was it like twenty seconds ago?", "describe", {"at_s": 20}),
    # set 31: unusual time expressions
    ("Are there fewer dogs now than three quarters of a minute ago?", "compare", {"class": "dog", "window_s": 45}),
    ("Are there fewer pedestrians now than a minute and a quarter ago?", "compare", {"class": "person", "window_s": 75}),
    ("Is it busier now than a dozen seconds ago?", "compare", {"window_s": 12}),
    ("How many people have exited over the previous two and a half minutes?", "count_left", {"class": "person", "window_s": 150}),
    ("Where was the bicycle at the minute-and-a-half mark?", "where", {"class": "bicycle", "at_s": 90}),
    ("Describe the scene 45 seconds from the start.", "describe", {"at_s": 45}),
    # set 33: queries typed as into a search box
    ("cars now", "count_now", {"class": "car"}),
    ("n buses bottom left", "count_now", {"class": "bus", "region": "bottom"}),
    ("coach arrivals last 5 min", "count_entered", {"class": "bus", "window_s": 300}),
    ("dog exits since start", "count_left", {"class": "dog"}),
    ("bus present centre?", "presence", {"class": "bus", "region": "centre"}),
    ("#5 first seen", "when_first", {}),
    ("#2 visible secs", "duration", {}),
    ("latest vehicle arrival", "when_last", {"class": "car"}),
    ("count arrivals in the last forty-five seconds", "count_entered", {"window_s": 45}),
    # set 34: colleagues reviewing a recording in a meeting
    ("I need the time the first truck entered the frame.", "when_first", {"class": "truck"}),
    ("I need the time the newest truck appeared.", "when_last", {"class": "truck"}),
    ("Tell me whether a bus is visible in the top half right now.", "presence", {"class": "bus", "region": "top"}),
    ("Pull up a count of people in the centre of the frame right now.", "count_now", {"class": "person", "region": "centre"}),
    ("Let's figure out how many individual bicycles appeared between 0:20 and 1:10.", "count_distinct", {"class": "bicycle"}),
    ("Can you count how many cars came in since the start?", "count_entered", {"class": "car"}),
    ("How many various peoples came in this video until now?", "count_distinct", {"class": "person"}),
    # set 36: event stewards and crowd managers
    ("How many marchers are in the right third of the route view now?", "count_now", {"class": "person", "region": "right"}),
    ("Give me a live count of punters in the bottom half.", "count_now", {"class": "person", "region": "bottom"}),
    ("How many attendees trickled in over the past 5 seconds?", "count_entered", {"class": "person", "window_s": 5}),
    ("How many people filtered out between 2:00 and 2:30?", "count_left", {"class": "person"}),
    ("How many marchers have dispersed out of the frame since 1:00?", "count_left", {"class": "person", "since_s": 60}),
    ("How many trucks are in view at the station exit currently?", "count_now", {"class": "truck"}),
    ("Is there a steward in the left third right now?", "presence", {"class": "person", "region": "left"}),
    # set 38: staff at a care home, a hospital, a school, a library and a campus
    ("How many patients can you see in the corridor at the moment?", "count_now", {"class": "person"}),
    ("Count the pupils currently in view.", "count_now", {"class": "person"}),
    ("How many minibuses are visible in the right half now?", "count_now", {"class": "bus", "region": "right"}),
    ("How many staff are on camera just now?", "count_now", {"class": "person"}),
    ("How many police dogs are in the picture now?", "count_now", {"class": "dog"}),
    ("How many car exits in the last 2 minutes?", "count_left", {"class": "car", "window_s": 120}),
    # set 41: a held-out test's second batch, written to be harder to parse
    ("In the lowest third of the shot, are there any people now?", "presence", {"class": "person", "region": "bottom"}),
    ("Since the last arrival, how much time has gone by?", "when_last", {"class": "person"}),
    ("Can you run me through the last fifteen seconds?", "summary", {"window_s": 15}),
    ("Between ten and thirty seconds, what were the pedestrians doing?", "summary", {}),
    ("In the past forty seconds, how has pedestrian traffic developed?", "summary", {"window_s": 40}),
    # set 42: prompts of a video-QA benchmark or an agent: format instructions, options, labels, calls, JSON
    ("How long has track 9 been on screen? Reply with a number of seconds.", "duration", {}),
    ("Question: how many cars entered during the last 25 s? Give your answer as an integer.", "count_entered",
     {"class": "car", "window_s": 25}),
    ("You are a traffic analyst.\nHow many cyclists are visible right now?\n(A) 0 (B) 1 (C) 2 (D) 3", "count_now",
     {"class": "bicycle"}),
    ("### Instruction\nWhen did the first dog show up?\n### Answer format\nseconds since the start", "when_first",
     {"class": "dog"}),
    ("count_arrivals(label='person', since='1:10') -> int", "count_entered", {"class": "person", "since_s": 70}),
    ('{"query": "number of people currently in the bottom half", "return": "integer"}', "count_now",
     {"class": "person", "region": "bottom"}),
    ("Based on the footage so far, is anyone in the top third? Respond yes or no.", "presence",
     {"class": "person", "region": "top"}),
    # set 43: a blind user's door camera and a robot's own camera: the asker's left is the picture's left
    ("Is anybody there on my right?", "presence", {"class": "person", "region": "right"}),
    ("How many bikes are to my left at the moment?", "count_now", {"class": "bicycle", "region": "left"}),
    # set 47: commentators at a race: competitors, 'surged in', 'in shot'
    ("How many contestants are on screen right now?", "count_now", {"class": "person"}),
    ("How many racers have charged into view in the last 30 seconds?", "count_entered", {"class": "person", "window_s": 30}),
    ("How many walkers have you got in shot now?", "count_now", {"class": "person"}),
    ("What did the shot show 20 seconds ago?", "describe", {"at_s": 20}),
    # set 48: dog owners and walkers at a park camera: pet names and breeds, owners, 'trotted off', 'how has it gone'
    ("how many pups in the left half atm", "count_now", {"class": "dog", "region": "left"}),
    ("When did the latest spaniel show up?", "when_last", {"class": "dog"}),
    ("How many furry friends are on the screen?", "count_now", {"class": "dog"}),
    ("How many owners have headed off since 4:00?", "count_left", {"class": "person", "since_s": 240}),
    ("How many doggies have trotted off since 0:50?", "count_left", {"class": "dog", "since_s": 50}),
    ("How many kids have come into the garden since the start?", "count_entered", {"class": "person"}),
    ("Are there more dogs now than at the very start?", "compare", {"class": "dog", "at_s": 0}),
    ("How's the whole video gone overall?", "summary", {}),
    ("How did the morning go?", "summary", {}),
    # set 49: transport staff at a bus interchange: shuttles, cabs, 'tl;dr' ('bus 4' as a track: the test below)
    ("Tell me how many shuttles are in view as we speak.", "count_now", {"class": "bus"}),
    ("Latest cab arrival: timestamp please.", "when_last", {"class": "car"}),
    ("tl;dr of the footage so far", "summary", {}),
    # set 51: a construction site gate and a loading yard: tippers, flatbeds, pickups, blokes, contractors, 'on site'
    ("How many tippers have we got waiting?", "count_now", {"class": "truck"}),
    ("Are there any pickups in view?", "presence", {"class": "truck"}),
    ("how many blokes are on the right hand side of the shot right now", "count_now", {"class": "person", "region": "right"}),
    ("How many contractors have shown up in the past hour?", "count_entered", {"class": "person", "window_s": 3600}),
    ("How many workers have come on site so far?", "count_entered", {"class": "person"}),
    ("What was the gate like 30 seconds ago?", "describe", {"at_s": 30}),
    ("What's happening on screen?", "describe", {}),
    # set 53: farmers and neighbours at a farm gate and a lane: tractors, ramblers, 'at the minute', 'turned into'
    ("Is there a tractor in view at the minute?", "presence", {"class": "truck"}),
    ("when did the first rambler appear", "when_first", {"class": "person"}),
    ("How many lorries have turned into the lane?", "count_entered", {"class": "truck"}),
    ("How many delivery vans have come up the lane so far?", "count_entered", {"class": "truck"}),
    ("Are there more people now than right at the start?", "compare", {"class": "person", "at_s": 0}),
    ("What's showing on the camera at the minute?", "describe", {}),
    ("What's out there right now?", "describe", {}),
    # set 56: a recreation ground: players, refs, subs; 'Coach Dave here -', 'rocked up', an aside between dashes
    ("Coach Dave here - how many of my lads are standing there now?", "count_now", {"class": "person"}),
    ("When did the ref first show up?", "when_first", {"class": "person"}),
    ("How many spectators have rocked up?", "count_entered", {"class": "person"}),
    ("How many dogs have come onto the field?", "count_entered", {"class": "dog"}),
    ("How many different coaches - buses I mean - have been here?", "count_distinct", {"class": "bus"}),
    ("What did the view show a minute ago?", "describe", {"at_s": 60}),
    ("Talk me through what the camera shows now", "describe", {}),
    # set 60: CCTV operators on a high street at night: revellers, 'police van 2', 'time on scene', log style
    ("When did the newest reveller show up?", "when_last", {"class": "person"}),
    ("Time on scene for police van 11?", "duration", {"class": "truck"}),
    ("Time the latest pedestrian appeared?", "when_last", {"class": "person"}),
    ("Give me the story of the night so far.", "summary", {}),
    # set 62: a cycling campaign counting a new lane: riders, couriers on bikes, a kid's bike, 'the new lane'
    ("how many riders are waiting at the junction", "count_now", {"class": "bicycle"}),
    ("Couriers on bikes currently in view: how many?", "count_now", {"class": "bicycle"}),
    ("Is there a kid's bike in view?", "presence", {"class": "bicycle"}),
    ("How many bikes are on the new lane right now?", "count_now", {"class": "bicycle"}),
    ("Count the pedestrians wandering in the lane at this moment, go on.", "count_now", {"class": "person"}),
    ("What was on camera at 4:00?", "describe", {"at_s": 240}),
    ("whats in the picture right now", "describe", {}),
    ("Talk me through what's on screen now.", "describe", {}),
    ("Tell me how the morning's gone on the lane, start to now.", "summary", {}),
    # set 65: a nature reserve: birders, 4x4s, 'between minute two and minute six', 'what is the camera picking up'
    ("Can you spot any birders in shot?", "presence", {"class": "person"}),
    ("when did the latest 4x4 turn up", "when_last", {"class": "car"}),
    ("What's the camera picking up now?", "describe", {}),
    # set 68: a ferry terminal: foot pax, gulls, motorcyclists, off the ramp / on board, radio prefixes, terse logs
    ("how many foot pax waiting", "count_now", {"class": "person"}),
    ("any gulls on the car deck", "presence", {"class": "bird"}),
    ("How many individual motorcyclists have we seen in the past 20 minutes?", "count_distinct",
     {"class": "motorcycle", "window_s": 1200}),
    ("How many cars have come off the ramp in the last 10 minutes?", "count_entered", {"class": "car", "window_s": 600}),
    ("how many passengers got off in the last quarter of an hour", "count_entered", {"class": "person", "window_s": 900}),
    ("Ticket office asking: how many cars have joined the queue so far?", "count_entered", {"class": "car"}),
    ("How many cars have boarded in the last 10 minutes?", "count_left", {"class": "car", "window_s": 600}),
    ("How many vans are waiting to board?", "count_now", {"class": "truck"}),
    ("Marshal to office: how many bikes have gone on board so far?", "count_left", {"class": "bicycle"}),
    ("Harbour master wants the freight figure: how many different lorries since 1:00:00?", "count_distinct",
     {"class": "truck", "since_s": 3600}),
    ("departures, cars, past quarter hour", "count_left", {"class": "car", "window_s": 900}),
    ("how many coaches have departed in the last three quarters of an hour", "count_left", {"class": "bus", "window_s": 2700}),
    ("motorbikes in, last 5 min", "count_entered", {"class": "motorcycle", "window_s": 300}),
    ("Security here - how many bags can you see on the concourse right now, anything left unattended?", "count_now",
     {"class": "bag"}),
    ("lorry on the left side of frame?", "presence", {"class": "truck", "region": "left"}),
    ("last HGV - time?", "when_last", {"class": "truck"}),
    ("how long since a dog was on the quay", "when_last", {"class": "dog"}),
    ("last sighting of a van between 8:00 and 16:00", "when_last", {"class": "truck"}),
    ("time first motorbike came off the ramp", "when_first", {"class": "motorcycle"}),
    ("what's happening on the ramp", "describe", {}),
    # set 69: a ski resort's base and car park: snowboarders, instructors, gritters, snowploughs, 'four by fours',
    # the drop-off loop, 'the 4x4 marked 25'
    ("how many snowboarders top right of the screen", "count_now", {"class": "person", "region": "top"}),
    ("any ski patrol in view", "presence", {"class": "person"}),
    ("is there a gritter out", "presence", {"class": "truck"}),
    ("how many different four by fours in the last half hour", "count_distinct", {"class": "car", "window_s": 1800}),
    ("how many 4 by 4s came in since 12:00", "count_entered", {"class": "car", "since_s": 720}),
    ("how many vans have driven away in the last hour and a half", "count_left", {"class": "truck", "window_s": 5400}),
    ("how many skiers have come down to the base so far", "count_entered", {"class": "person"}),
    ("Is there a 4x4 blocking the drop-off loop?", "presence", {"class": "car"}),
    ("what happened at the drop off loop since 12:00", "summary", {"since_s": 720}),
    ("is there a bag left on the bench outside the cafe", "presence", {"class": "bag"}),
    ("Is the car park fuller now than it was 20 minutes ago?", "compare", {"class": "car", "window_s": 1200}),
    ("What happened in the car park in the last 10 minutes?", "summary", {"window_s": 600}),
    ("is the lift queue shorter than it was an hour ago", "compare", {"window_s": 3600}),
    # set 71: a family's bird-feeder camera: bird names, flying in and off, 'Dad, how many ...', sneaking cats
    ("How many blue tits can you see at the moment?", "count_now", {"class": "bird"}),
    ("Dad how many different wood pigeons have we had since 1:00:00", "count_distinct", {"class": "bird", "since_s": 3600}),
    ("how many birds have landed in the garden in the last 5 minutes", "count_entered", {"class": "bird", "window_s": 300}),
    ("how many pigeons flew in between 1:00 and 2:30", "count_entered", {"class": "bird"}),
    ("how many cats have sneaked in", "count_entered", {"class": "cat"}),
    ("how many cats jumped over the fence into the garden", "count_entered", {"class": "cat"}),
    ("Could you tell me how many people have come through the gate since the recording began?", "count_entered",
     {"class": "person"}),
    ("How many pigeons have flown off in the past 5 minutes?", "count_left", {"class": "bird", "window_s": 300}),
    ("how many birds got scared off when the sparrowhawk came, like between 7:20 and 7:40", "count_left", {"class": "bird"}),
    ("How many dogs went back inside?", "count_left", {"class": "dog"}),
    ("Has someone left a bag by the door?", "presence", {}),
    ("How many people left the garden?", "count_left", {"class": "person"}),
    ("What time did the sparrowhawk first appear?", "when_first", {"class": "bird"}),
    ("how long did robin number 14 stay", "duration", {"class": "bird"}),
    ("what happened when the sparrowhawk came, like from 7:00 to 8:00", "summary", {}),
    # set 74: misspelt on a phone: words no dictionary knows, abbreviations, words run together
    ("hw many carrs parkd on the left", "count_now", {"class": "car", "region": "left"}),
    ("how many diff motorbiks in past 15 minits", "count_distinct", {"class": "motorcycle", "window_s": 900}),
    ("how many bikes enterd view in the last minit", "count_entered", {"class": "bicycle", "window_s": 60}),
    ("r there morecats now than at 2:00", "compare", {"class": "cat"}),
    ("whendid a truck first come intoview", "when_first", {"class": "truck"}),
    ("quick sumry of the past 5 minits", "summary", {"window_s": 300}),
    ("how many vanss hav gone so far", "count_left", {"class": "truck"}),
    ("is ther a bagg left on the bench by itslef", "presence", {"class": "bag"}),
    # set 76: a theme park and zoo entrance: peacocks, school groups, radio calls, 'admitted', 'vehicles out'
    ("Number of peacocks in the plaza at present:", "count_now", {"class": "bird"}),
    ("What time did the first school group arrive", "when_first", {"class": "person"}),
    ("Gate supervisor to control, how many guests admitted in the last five minutes, over", "count_entered",
     {"class": "person", "window_s": 300}),
    ("Control to car park, how many vehicles out in the last quarter hour, over", "count_left", {"class": "car", "window_s": 900}),
    ("how many dogs out on the prom", "count_now", {"class": "dog"}),
    ("first car to disembark, when?", "when_first", {"class": "car"}),
    ("How many mascots have come out onto the plaza?", "count_entered", {}),
    ("When did the first bag get left at the lockers", "when_first", {"class": "bag"}),
    ("Is the queue longer now than 5 minutes ago?", "compare", {"window_s": 300}),
    ("Give me a picture of what's happening at guest services", "describe", {}),
    # set 78: a hotel's front of house: limousines, luggage, couriers, check-ins, the rank, the porte-cochère
    ("How many limousines are waiting out front?", "count_now", {"class": "car"}),
    ("How many pieces of luggage on the bell trolley now?", "count_now", {"class": "bag"}),
    ("How many different motorbike couriers have called in the last 30 minutes?", "count_distinct",
     {"class": "motorcycle", "window_s": 1800}),
    ("How many cycle couriers have turned up?", "count_entered", {"class": "bicycle"}),
    ("How many taxis have pulled onto the rank in the last 15 minutes?", "count_entered", {"class": "car", "window_s": 900}),
    ("Check-ins in the past half hour, how many, please?", "count_entered", {"class": "person", "window_s": 1800}),
    ("Concierge to door: number of guests in through the doors in the last five minutes? Over.", "count_entered",
     {"class": "person", "window_s": 300}),
    ("How many suitcases have been brought in through the entrance?", "count_entered", {"class": "bag"}),
    ("How many minutes since a car last pulled up?", "when_last", {"class": "car"}),
    ("What's happening out front this moment?", "describe", {}),
    ("How long did the luggage trolley sit outside?", "duration", {}),
    # set 79: lifeguards and a seafront warden: bathers, quad bikes, 'Warden:', 'dog on the beach?'
    ("How many bathers in the centre of the frame?", "count_now", {"class": "person", "region": "centre"}),
    ("is there a quad bike on the sand", "presence", {"class": "motorcycle"}),
    ("Warden: how many different dogs have been on the sand in the last half hour?", "count_distinct",
     {"class": "dog", "window_s": 1800}),
    ("how many people have come down the slipway so far", "count_entered", {"class": "person"}),
    ("how many motorbikes have come along the front so far", "count_entered", {"class": "motorcycle"}),
    ("how many vehicles have driven onto the slipway since 0:45", "count_entered", {"class": "car", "since_s": 45}),
    ("dog on the beach?", "presence", {"class": "dog"}),
    ("ice cream van here yet?", "presence", {"class": "truck"}),
    ("last sighting of the black lab", "when_last", {"class": "dog"}),
    ("what could you see ten minutes back", "describe", {"at_s": 600}),
    ("Warden: can you describe the beach right now?", "describe", {}),
    ("How many people in the top right of the shot?", "count_now", {"class": "person", "region": "top"}),
    ("Fewer cars on the forecourt than 15 minutes ago?", "compare", {"class": "car", "window_s": 900}),
    ("Headcount in the frame right now?", "count_now", {"class": "person"}),
    # set 81: Australians and New Zealanders: utes, pushies, 4WDs, surfies, ibis, moggies, 'shot through', 'nicked off'
    ("How many utes are parked up right now?", "count_now", {"class": "truck"}),
    ("how many 4WDs can ya see right now", "count_now", {"class": "car"}),
    ("Heaps of surfies out there - how many exactly, mate?", "count_now", {"class": "person"}),
    ("how many moggies on the fence rn", "count_now", {"class": "cat"}),
    ("Since 7:50, how many ibis have landed?", "count_entered", {"class": "bird", "since_s": 470}),
    ("How many cars have shot through in the last 5 minutes?", "count_left", {"class": "car", "window_s": 300}),
    ("how many utes nicked off since 2:00", "count_left", {"class": "truck", "since_s": 120}),
    ("How many individuals walked into shot from 0:05 through 0:35?", "count_entered", {"class": "person"}),
    ("When was the first kid on a pushie?", "when_first", {"class": "bicycle"}),
    ("What's the earliest a dog was on camera?", "when_first", {"class": "dog"}),
    ("Give us a rundown of what's in shot", "describe", {}),
    # set 83: an Indian housing society's gate: two-wheelers, four-wheelers, cycles, scooties, tempos, maids, 'what all'
    ("How many two-wheelers are parked near the gate right now?", "count_now", {"class": "motorcycle"}),
    ("Kindly tell how many four-wheelers are visible in parking currently.", "count_now", {"class": "car"}),
    ("how many unique cycles in last 15 min", "count_distinct", {"class": "bicycle", "window_s": 900}),
    ("How many scooties came inside since 5:30?", "count_entered", {"class": "motorcycle", "since_s": 330}),
    ("How many tempos entered the society in the past 2 hours", "count_entered", {"class": "truck", "window_s": 7200}),
    ("How many maids have gone out in the last 20 minutes?", "count_left", {"class": "person", "window_s": 1200}),
    ("Watchman ji, how many cars are there in the top half of the camera?", "count_now", {"class": "car", "region": "top"}),
    ("Total how many maids are standing outside the gate at this moment?", "count_now", {"class": "person"}),
    ("What all is there at the gate at this moment?", "describe", {}),
    ("How many bikes are on the cycle path now?", "count_now", {"class": "bicycle"}),
    # set 86: a café and the shop next door: regulars, vans pulling up, motorbikes zooming off
    ("How many different regulars d'you reckon we've seen since 30:00?", "count_distinct", {"class": "person", "since_s": 1800}),
    ("How many vans have pulled up so far?", "count_entered", {"class": "truck"}),
    ("How many cars have rolled up in total?", "count_entered", {"class": "car"}),
    ("how many motorbikes zoomed off since 12:10", "count_left", {"class": "motorcycle", "since_s": 730}),
    ("How long into the video till the first car?", "when_first", {"class": "car"}),
    # set 88: spoken through dictation at a front door: minutes and seconds said in full, homophones
    ("how many different cars since 1 minute 20 seconds", "count_distinct", {"class": "car", "since_s": 80}),
    ("how many different buses have there been since 4 minutes 30", "count_distinct", {"class": "bus", "since_s": 270}),
    ("are there more people at the door than there were at 1 minute 30", "compare", {"class": "person", "at_s": 90}),
    ("how many individual birds have been seen in the passed minute", "count_distinct", {"class": "bird", "window_s": 60}),
    ("how many bags were brought to the door in the last 10 minutes", "count_entered", {"class": "bag", "window_s": 600}),
    ("how many bags were taken away in the last quarter of an hour", "count_left", {"class": "bag", "window_s": 900}),
    ("is the bus at the stop yet", "presence", {"class": "bus"}),
    ("what was outside 5 minutes ago", "describe", {"at_s": 300}),
    ("what could the camera see at 6 minutes 15", "describe", {"at_s": 375}),
    ("describe what's happening outside", "describe", {}),
    ("tell me what's going on out there", "describe", {}),
    # set 90: a park's playing fields and skate park: BMXs, youth teams, thresholds, events counted as times
    ("how many BMXs rolled in since 2:20", "count_entered", {"class": "bicycle", "since_s": 140}),
    ("how many different BMXers have been at the skate park so far", "count_distinct", {"class": "bicycle"}),
    ("how many of the u10s are out on the pitch right now?", "count_now", {"class": "person"}),
    ("Did more than 20 people turn up in the last 15 mins?", "count_entered", {"class": "person", "window_s": 900}),
    ("Have more than 3 dogs left in the last 10 mins?", "count_left", {"class": "dog", "window_s": 600}),
    ("how many times has an ice cream van turned up so far", "count_entered", {"class": "truck"}),
    ("Is the queue longer now than 5 minutes ago?", "compare", {"class": "person", "window_s": 300}),
    # set 91: a US highway work zone: semis, rigs, 18 wheelers, flaggers, personnel, radio calls
    ("hw many 18 wheelers visible now", "count_now", {"class": "truck"}),
    ("how many rigs we got in view right now", "count_now", {"class": "truck"}),
    ("Current count of personnel in the top left of the camera view?", "count_now", {"class": "person"}),
    ("how many flaggers walked off camera since 0:45", "count_left", {"class": "person", "since_s": 45}),
    ("Flagger to foreman, how many cars came into view in the last 90 seconds, over", "count_entered", {"class": "car", "window_s": 90}),
    ("earliest sighting of an SUV on the feed?", "when_first", {"class": "car"}),
    ("most recent semi arrival, what time", "when_last", {"class": "truck"}),
    ("first car to disembark, when?", "when_first", {"class": "car"}),
    # set 94: a museum's entrance hall and steps
    ("How many coaches are pulled up in the left of the picture just now?", "count_now", {"class": "bus", "region": "left"}),
    ("how many taxis pulled up since 5:30", "count_entered", {"class": "car", "since_s": 330}),
    ("How many scooter riders have arrived in the last 10 minutes?", "count_entered", {"class": "motorcycle", "window_s": 600}),
    ("anyone on the steps? bottom of the shot", "presence", {"class": "person", "region": "bottom"}),
    # set 96: questions passed on by call-centre agents ('the customer wants to know ...')
    ("The customer wants to know how many taxis have pulled up in the last hour", "count_entered", {"class": "car", "window_s": 3600}),
    ("customer asks if there are any bicycles in the bike rack right now", "presence", {"class": "bicycle"}),
    ("the hotel manager wants to know how many different suitcases have been seen in reception so far", "count_distinct", {"class": "bag"}),
    ("she's asking is her cat on the camera", "presence", {"class": "cat"}),
    ("She wants to know if there's a bag left on the bench, it's lost property", "presence", {"class": "bag"}),
    ("note: cust wants no. of people in centre of view currently", "count_now", {"class": "person", "region": "centre"}),
    ("cust asking what the camera showed 10 minutes ago", "describe", {"at_s": 600}),
    ("the gentleman's asking what the camera saw 5 minutes ago", "describe", {"at_s": 300}),
    # set 98: a place of worship's gate on a festival day
    ("a stray dog came in, how many dogs can you see now?", "count_now", {"class": "dog"}),
    ("Number of different devotees seen since 1:30 please", "count_distinct", {"class": "person", "since_s": 90}),
    ("Has any minibus come in last 10 minutes?", "count_entered", {"class": "bus", "window_s": 600}),
    ("did any van come since 2:30?", "count_entered", {"class": "truck", "since_s": 150}),
    ("How many cars come in past 3 min, please?", "count_entered", {"class": "car", "window_s": 180}),
    ("has car 25 been there more than 10 minutes?", "duration", {"class": "car"}),
    ("what was at the gate 2 minutes ago", "describe", {"at_s": 120}),
    ("What could be seen 30 seconds ago?", "describe", {"at_s": 30}),
    ("The most recent person to walk in, when did that happen?", "when_last", {"class": "person"}),
    # set 100: real words a phone's autocorrect put for time words
    ("how many crows landed in the yard in the passed minuet", "count_entered", {"class": "bird", "window_s": 60}),
    ("hoe many motorbikes have rocked up in lest hour", "count_entered", {"class": "motorcycle", "window_s": 3600}),
    ("how many crows flue off in the passed 30 secs", "count_left", {"class": "bird", "window_s": 30}),
    ("how many walkers out front just know", "count_now", {"class": "person"}),
    # set 101: a UK building site's gate: wagons, dumpers, drivers, 'at the mo'
    ("How many concrete wagons currently in view?", "count_now", {"class": "truck"}),
    ("When did we first get a dumper in shot?", "when_first", {"class": "truck"}),
    ("Banksman - how many tippers pulled in the last half hour?", "count_entered", {"class": "truck", "window_s": 1800}),
    ("How many delivery drivers walked back out in the last 45 seconds?", "count_left", {"class": "person", "window_s": 45}),
    ("Is there a bag left by the gatehouse?", "presence", {"class": "bag"}),
    ("What's going on at the gate at the mo?", "describe", {}),
    ("How many station wagons are parked now?", "count_now", {"class": "car"}),
    # set 104: Americans talking to a voice assistant about a porch camera
    ("how many kids rode up on their bikes in the last ten minutes", "count_entered", {"class": "bicycle", "window_s": 600}),
    ("how many cars backed out between minute two and minute six", "count_left", {"class": "car"}),
    ("how many people headed on down the road between the one minute mark and the four minute mark", "count_left", {"class": "person"}),
    ("I heard the dog barking a bit ago, is somebody out there right now", "presence", {"class": "person"}),
    ("are there more people out there now than there were at the one minute thirty mark", "compare", {"class": "person", "at_s": 90}),
    ("how many people walking on the bike path now", "count_now", {"class": "person"}),
    # set 106: older people dictating, with hesitations and slips put right in passing
    ("Let me think... how many vans, no, cars are parked on the left just now?", "count_now", {"class": "car", "region": "left"}),
    ("How many people are on the right, no, the left third of the picture right now?", "count_now", {"class": "person", "region": "left"}),
    ("How many different cats, or, no, dogs, have been on the camera?", "count_distinct", {"class": "dog"}),
    ("How many cars, um, no, lorries, left in the last hour?", "count_left", {"class": "truck", "window_s": 3600}),
    ("How many people left between ten and fifteen, no, twenty minutes in?", "count_left", {"class": "person"}),
    ("How many bicycles went off, um, in the last five minutes, I mean ten minutes?", "count_left", {"class": "bicycle", "window_s": 600}),
    ("When did the dog, no, the cat first show up?", "when_first", {"class": "cat"}),
    ("What's happening on the drive, erm, right this minute?", "describe", {}),
    ("What was on the camera, um, a minute ago?", "describe", {"at_s": 60}),
    # set 107: a council CCTV control room on a Friday night
    ("how many bods stood on the left of shot right now", "count_now", {"class": "person", "region": "left"}),
    ("count of PHVs in frame pls", "count_now", {"class": "car"}),
    ("how many delivery lads on mopeds in shot", "count_now", {"class": "motorcycle"}),
    ("how many individual delivery riders on mopeds seen since 5:00", "count_distinct", {"class": "motorcycle", "since_s": 300}),
    ("first police carrier on scene - what time?", "when_first", {"class": "truck"}),
    ("what have we had on this camera so far", "summary", {}),
    ("talk me through what's on screen", "describe", {}),
    ("what was on cam 5 mins ago", "describe", {"at_s": 300}),
    # set 110: a bus station's notes with symbols
    ("# m/bikes parked now?", "count_now", {"class": "motorcycle"}),
    ("cars > 5 in last 10m?", "count_distinct", {"class": "car", "window_s": 600}),
    ("# buses onto stand last 30s?", "count_entered", {"class": "bus", "window_s": 30}),
    ("# buses → layover bays last 15m?", "count_entered", {"class": "bus", "window_s": 900}),
    ("# taxis off rank last 2m?", "count_left", {"class": "car", "window_s": 120}),
    ("# ppl in thru doors last 2m?", "count_entered", {"class": "person", "window_s": 120}),
    ("# coaches arrived last hr?", "count_entered", {"class": "bus", "window_s": 3600}),
    ("van in btm L of pic?", "presence", {"class": "truck", "region": "bottom"}),
    ("ppl in L third now?", "presence", {"class": "person", "region": "left"}),
    ("taxis in btm third of frame now?", "presence", {"class": "car", "region": "bottom"}),
    ("bus count ↓ vs 3m ago?", "compare", {"class": "bus", "window_s": 180}),
    ("when 1st taxi on rank?", "when_first", {"class": "car"}),
    ("last van in yard when?", "when_last", {"class": "truck"}),
    ("1st bus approx. how far in?", "when_first", {"class": "bus"}),
    ("taxi #5 wait time?", "duration", {"class": "car"}),
    ("how's it looking out there now?", "describe", {}),
    ("dogs now bottom half", "count_now", {"class": "dog", "region": "bottom"}),
    ("number of surfers out back atm", "count_now", {"class": "person"}),
    # set 111: a film shoot's unit base
    ("How many SAs are stood around frame left?", "count_now", {"class": "person", "region": "left"}),
    ("how many honeywagons can the camera see right now", "count_now", {"class": "truck"}),
    ("How long has trailer 10 been in shot?", "duration", {"class": "truck"}),
    ("how many vans have rolled onto base so far", "count_entered", {"class": "truck"}),
    ("how many runners have come back to base in the last 3 mins", "count_entered", {"class": "person", "window_s": 180}),
    ("how many trailers were towed out in the last half hour", "count_left", {"class": "truck", "window_s": 1800}),
    ("anyone camera right?", "presence", {"class": "person", "region": "right"}),
    ("what's happening on base right this second", "describe", {}),
    ("what's on camera right now?", "describe", {}),
    # set 114: Scottish English through a speech recogniser: numbers written as other words, times read out
    ("how many different weans between won and tree minutes", "count_distinct", {"class": "person"}),
    ("how many cars came into view since won thirty", "count_entered", {"class": "car", "since_s": 90}),
    ("how many folk turned up for the wee bus in the last fore minutes", "count_entered", {"class": "person", "window_s": 240}),
    ("how many ramblers have left in the last quarter of an our", "count_left", {"class": "person", "window_s": 900}),
    ("are there more bikes now than at nought forty fife", "compare", {"class": "bicycle", "at_s": 45}),
    ("how many people came into the picture in the first to minutes", "count_entered", {"class": "person"}),
    ("how long was number twenty won in view", "duration", {}),
    ("wheres tractor tree", "where", {"class": "truck"}),
    ("whats happening at the bus stop the noo", "describe", {}),
    ("From thirty to fifty seconds, how many vehicles came into the frame?", "count_entered", {"class": "car"}),
    # set 116: talking to the camera as if it were a person or a pet
    ("how many teslas have you got in view atm, buddy?", "count_now", {"class": "car"}),
    ("good boy, how many cars you got on the bays at the moment?", "count_now", {"class": "car"}),
    ("is the lorry park fuller for you now than an hour ago", "compare", {"class": "truck", "window_s": 3600}),
    ("tell me what you saw", "summary", {}),
    ("what did you catch at 45 seconds in", "describe", {"at_s": 45}),
    ("what was in your view at 1:45", "describe", {"at_s": 105}),
    # set 118: learners of English whose first language is Chinese, Japanese, Korean or Vietnamese
    ("first 1 minute how many car total?", "count_distinct", {"class": "car"}),
    ("in first 1 minute of video how many people enter?", "count_entered", {"class": "person"}),
    ("top of screen is there car now?", "presence", {"class": "car", "region": "top"}),
    ("now someone is in the video or not?", "presence", {"class": "person"}),
    ("car last time see how many second ago?", "when_last", {"class": "car"}),
    ("bicycle 7 stay how many second?", "duration", {"class": "bicycle"}),
    ("what happen now?", "describe", {}),
    ("at 2:50 picture show what?", "describe", {"at_s": 170}),
    # set 122: Irish English at a GAA club's car park and pitch gate
    ("How many young ones are out on the pitch now?", "count_now", {"class": "person"}),
    ("How many mammies are after coming in to collect the young ones in the last five minutes?", "count_entered", {"class": "person", "window_s": 300}),
    ("How many lads have gone home since half two on the video?", "count_left", {"class": "person", "since_s": 150}),
    ("Are there more people at the gate now than at half two on the video?", "compare", {"class": "person", "at_s": 150}),
    # set 124: students texting in Gen-Z slang
    ("how many bikes got taken out the bike store in the last 30 mins", "count_left", {"class": "bicycle", "window_s": 1800}),
    ("lowkey need a summary of the past 15 mins", "summary", {"window_s": 900}),
    ("what did the cam show 30 secs ago", "describe", {"at_s": 30}),
    # set 126: engineers' notation
    ("distinct N(car) over t ∈ [0, 300]", "count_distinct", {"class": "car"}),
    ("How many distinct class=dog tracks for t > 45 s?", "count_distinct", {"class": "dog", "since_s": 45}),
    ("N(dog) currently visible, ROI: left", "count_now", {"class": "dog", "region": "left"}),
    ("N entries, class=car, in [60, 120] s", "count_entered", {"class": "car"}),
    ("t_first for class=person?", "when_first", {"class": "person"}),
    ("N_in(truck) over the last 5 min", "count_entered", {"class": "truck", "window_s": 300}),
    ("outflow of class=car over (1:00, 2:00)", "count_left", {"class": "car"}),
    ("Is N(dog) > 0 in ROI: top left?", "presence", {"class": "dog", "region": "top"}),
    ("min t where class == bicycle", "when_first", {"class": "bicycle"}),
    ("t_last(car) in ROI: right", "when_last", {"class": "car"}),
    ("Δt since the most recent bus detection", "when_last", {"class": "bus"}),
    ("time-in-view for car 12", "duration", {"class": "car"}),
    ("Is N(person) now below its value at t = 2:00?", "compare", {"class": "person", "at_s": 120}),
    # set 128: follow-ups that still say what they ask ('same question for ...')
    ("Same question for cyclists: how many different ones since 5:00?", "count_distinct", {"class": "bicycle", "since_s": 300}),
    ("And how many cyclists came in over the same last five minutes?", "count_entered", {"class": "bicycle", "window_s": 300}),
    ("OK, and how many ambulances came in during the last half hour?", "count_entered", {"class": "truck", "window_s": 1800}),
    ("And is there a wheelchair user out front right now?", "presence", {"class": "person"}),
    # set 129: a distribution warehouse's goods-in yard
    ("How many curtain-siders have come in since 0h45m?", "count_entered", {"class": "truck", "since_s": 2700}),
    ("Where was rigid 9 at 1h10m?", "where", {"class": "truck", "at_s": 4200}),
    ("is the shunter about", "presence", {"class": "truck"}),
    # set 131: Nigerian English at a Lagos motor park
    ("how many danfo dey the park now", "count_now", {"class": "bus"}),
    ("How many okada riders don comot in the last 5 minutes?", "count_left", {"class": "motorcycle", "window_s": 300}),
    ("Molue dey the left side now?", "presence", {"class": "bus", "region": "left"}),
    ("Na how many motor don enter since 2:00?", "count_entered", {"class": "car", "since_s": 120}),
    ("Okada dey plenty pass how e be 3 minutes ago?", "compare", {"class": "motorcycle", "window_s": 180}),
    ("Wetin dey the picture now?", "describe", {}),
    # set 134: a drive-thru's crew in a lunch rush
    ("how many cars bailed out of the lane since 2:00", "count_left", {"class": "car", "since_s": 120}),
    ("how deep is the stack now", "count_now", {"class": "car"}),
    ("fewer walk-ups than at timecode 04:30?", "compare", {"class": "person", "at_s": 270}),
    ("how many couriers sitting on mopeds right now", "count_now", {"class": "motorcycle"}),
    ("how many walk-ups left between 1:00 and 3:00 on the clip", "count_left", {"class": "person"}),
    # set 136: Mandarin speakers who learned English as adults
    ("from 1:00:00 to 1:10:00 how many car come in", "count_entered", {"class": "car"}),
    ("how long already no see dog", "when_last", {"class": "dog"}),
    ("left side have bicycle or not", "presence", {"class": "bicycle", "region": "left"}),
    ("now got motorbike in bottom left?", "presence", {"class": "motorcycle", "region": "bottom"}),
    ("before 2 minute picture is what", "describe", {"at_s": 120}),
    ("at 30:00 what happening", "describe", {"at_s": 1800}),
    # set 137: a harbour-side fish market at dawn
    ("how many fishermen on the quay now", "count_now", {"class": "person"}),
    ("when did the last reefer pull in", "when_last", {"class": "truck"}),
    ("how many porters knocked off since 5:00", "count_left", {"class": "person", "since_s": 300}),
    ("how many reefers backed in since 10:00", "count_entered", {"class": "truck", "since_s": 600}),
    ("Many buyers about at the minute?", "count_now", {"class": "person"}),
    ("How many trucks are backed into the bays now?", "count_now", {"class": "truck"}),
    # set 139: South African English at a strip mall's parking lot
    ("how many bakkies pulled in since 1:00", "count_entered", {"class": "truck", "since_s": 60}),
    ("any okes hanging around the cars now?", "presence", {"class": "person"}),
    # set 141: Jamaican and Caribbean-British speakers on a high street
    ("how much car deh pon di left side a di picture now", "count_now", {"class": "car", "region": "left"}),
    ("wah time di first taxi reach", "when_first", {"class": "car"}),
    ("how many cab draw up since 4:00", "count_entered", {"class": "car", "since_s": 240}),
    ("di bus deh yah now?", "presence", {"class": "bus"}),
    ("how much pickney tek off in di last 5 minute", "count_left", {"class": "person", "window_s": 300}),
    ("how long van 3 stop fah", "duration", {"class": "truck"}),
    ("what it did look like at 1:00", "describe", {"at_s": 60}),
    # set 143: German, Dutch and Scandinavian engineers writing English
    ("How many cars came into the picture in the last 2,5 minutes?", "count_entered", {"class": "car", "window_s": 150}),
    ("Is at the moment a truck at the gate?", "presence", {"class": "truck"}),
    ("How long is it ago that a bus was in the picture?", "when_last", {"class": "bus"}),
    ("The car 4 stands since when there?", "duration", {"class": "car"}),
    ("What was to see at 00:05:00?", "describe", {"at_s": 300}),
    # set 145: a canal towpath by a lock
    ("How many anglers are on the left of the picture now?", "count_now", {"class": "person", "region": "left"}),
    ("how long ago did we last see a duck", "when_last", {"class": "bird"}),
    ("How many walkers in the last couple of minutes?", "count_distinct", {"class": "person", "window_s": 120}),
    ("How many gongoozlers have drifted off since 5:00?", "count_left", {"class": "person", "since_s": 300}),
    # set 147: a bike shop's staff typing fast
    ("how many roadies set off in the last 10 mins", "count_left", {"class": "bicycle", "window_s": 600}),
    ("how lng was person 3 in frame", "duration", {"class": "person"}),
    # set 149: a cemetery and crematorium's gate
    ("How many mourners came in since 2:00?", "count_entered", {"class": "person", "since_s": 120}),
    ("When was the hearse last seen?", "when_last", {"class": "car"}),
    ("How many crows have come down in the last minute?", "count_entered", {"class": "bird", "window_s": 60}),
    ("Where is the visitor tracked as 23?", "where", {"class": "person"}),
    # set 152: a retired man, new to computers, writing to the app
    ("How many omnibuses have left since the half-hour mark?", "count_left", {"class": "bus", "since_s": 1800}),
    ("Would you kindly describe what the camera is showing just now?", "describe", {}),
    ("What was to be seen at the 45-minute mark?", "describe", {"at_s": 2700}),
    ("Please tell me how many cats are in the picture at this moment. My late wife used to feed them.", "count_now", {"class": "cat"}),
    # set 154: search-box queries at a harbour car park
    ("bikes now qty", "count_now", {"class": "bicycle"}),
    ("dogs total last half hr", "count_distinct", {"class": "dog", "window_s": 1800}),
    ("cars in last 5m", "count_entered", {"class": "car", "window_s": 300}),
    ("4x4s out since 11:00", "count_left", {"class": "car", "since_s": 660}),
    ("most recent van", "when_last", {"class": "truck"}),
    ("4x4 last seen", "when_last", {"class": "car"}),
    ("heron first after 1:15", "when_first", {"class": "bird", "since_s": 75}),
    ("cormorant now?", "presence", {"class": "bird"}),
    ("view at 8:30", "describe", {"at_s": 510}),
    ("gulls down vs 1 min ago", "compare", {"class": "bird", "window_s": 60}),
    # set 156: CCTV operators on a nightlife street
    ("How many females exited the frame on the right in the last 90 secs?", "count_left", {"class": "person", "window_s": 90}),
    # set 158: Singlish at a hawker centre
    ("how many motorbike park there now", "count_now", {"class": "motorcycle"}),
    ("right side got bicycle anot", "presence", {"class": "bicycle", "region": "right"}),
    ("how many taxi go off last 3 min", "count_left", {"class": "car", "window_s": 180}),
    ("how many pigeon fly in last 1 min", "count_entered", {"class": "bird", "window_s": 60}),
    ("the lorry just now come at what time", "when_last", {"class": "truck"}),
    ("left side now got what", "describe", {}),
    ("10 min ago what going on", "describe", {"at_s": 600}),
    # set 160: a police station's rear yard
    ("How many pandas have driven out in the past hour?", "count_left", {"class": "car", "window_s": 3600}),
    ("How many traffic bikes are in the yard now?", "count_now", {"class": "motorcycle"}),
    ("How many officers have returned to station in the last 20 minutes?", "count_entered", {"class": "person", "window_s": 1200}),
    ("How many IRVs have booked mobile since 2:20?", "count_left", {"class": "car", "since_s": 140}),
    ("how many cars back in last 5 min", "count_entered", {"class": "car", "window_s": 300}),
    # set 162: a Deaf family writing English with ASL grammar
    ("van come how many since 3:15", "count_entered", {"class": "truck", "since_s": 195}),
    ("dog last outside how long before", "when_last", {"class": "dog"}),
    ("bird now have?", "presence", {"class": "bird"}),
    ("at 0:45 what there", "describe", {"at_s": 45}),
    ("5 min before what see", "describe", {"at_s": 300}),
    # set 163: children at a zoo entrance
    ("how many zookeepers went away", "count_left", {"class": "person"}),
    ("how many doggys are there", "count_now", {"class": "dog"}),
    # set 170: a Deaf couple writing English in BSL order about their shop front
    ("now van there how-many?", "count_now", {"class": "truck"}),
    ("last 10 minutes customer go how many?", "count_left", {"class": "person", "window_s": 600}),
    ("between 1:00 and 2:00 motorbike go how many?", "count_left", {"class": "motorcycle"}),
    ("now van outside?", "presence", {"class": "truck"}),
    ("at 12:00 what camera see?", "describe", {"at_s": 720}),
    ("now car park what happen?", "describe", {}),
    # set 168: an ambulance hub's paramedics and duty manager
    ("How many ambs have gone out in the last half hour?", "count_left", {"class": "truck", "window_s": 1800}),
    ("When was the RRV last seen?", "when_last", {"class": "car"}),
    ("How many DCAs RTB in the last 40 minutes?", "count_entered", {"class": "truck", "window_s": 2400}),
    ("How many fly-cars mobilised since 2:15?", "count_left", {"class": "car", "since_s": 135}),
    ("Got a cat 1 holding - how many ambs are on the forecourt right now?", "count_now", {"class": "truck"}),
    ("What's the camera seen in the last hour?", "summary", {"window_s": 3600}),
    ("How many staff have walked onto the forecourt in the last 10 mins?", "count_entered", {"class": "person", "window_s": 600}),
    # set 175: an airport rescue and firefighting station
    ("how many crash tenders went mobile since 12:00?", "count_left", {"class": "truck", "since_s": 720}),
    ("when was the last appliance seen", "when_last", {"class": "truck"}),
    ("how many of blue watch are in view right now", "count_now", {"class": "person"}),
    # set 171: neighbourhood-watch volunteers' notebook tallies and worried messages
    ("cars all up so far?", "count_distinct", {"class": "car"}),
    ("vans in since 0:40? no. of", "count_entered", {"class": "truck", "since_s": 40}),
    ("different vans seen since the 10pm mark (video 0:40)? no. of", "count_distinct", {"class": "truck", "since_s": 40}),
    ("could you tell me how many cars are on the camera at this very moment? I want to check before I go out.", "count_now", {"class": "car"}),
    ("Tell me what the frame showed at 7:00.", "describe", {"at_s": 420}),
    # set 173: an emergency department's triage nurse and porters in clinical shorthand
    ("how many pts turned up between 1:00 and 4:00", "count_entered", {"class": "person"}),
    ("more relatives outside now vs 2 mins ago?", "compare", {"class": "person", "window_s": 120}),
    ("what's the current view", "describe", {}),
    # set 178: an office's facilities team, in polite wrappers
    ("Would you mind describing what the left side of the picture shows right now?", "describe", {}),
    ("Could you paint me a picture of what the car park looked like at 6:45?", "describe", {"at_s": 405}),
    ("Do you happen to know if there's a motorbike in shot right now?", "presence", {"class": "motorcycle"}),
    ("Would you be able to tell me what the car park looks like right now?", "describe", {}),
    # set 180: children on a farm-park trip
    ("how many hens are there now", "count_now", {"class": "bird"}),
    ("how many land rovers are there", "count_now", {"class": "car"}),
    ("how many ducks waddled off in the last 30 seconds", "count_left", {"class": "bird", "window_s": 30}),
    ("when did the first grown up come", "when_first", {"class": "person"}),
    # set 181: a barn wedding venue's manager and bar staff
    ("How many smokers went back in over the last 3 minutes?", "count_left", {"class": "person", "window_s": 180}),
    ("How many guests have come out to the yard since 1:20:00?", "count_entered", {"class": "person", "since_s": 4800}),
    # set 165: a wedding venue's coordinator and photographer
    ("When were the doves last in shot?", "when_last", {"class": "bird"}),
]


def test_a_species_colour_is_no_colour_asked_about():
    assert read_question("how many blue tits on the feeder now").colour is None
    assert read_question("how many blue cars now").colour == "blue"


def test_a_fewer_comparison_reads_its_direction_from_shorter():
    assert read_question("Is the queue longer now than 5 minutes ago?").compare_op == "more"
    assert read_question("is the lift queue shorter than it was an hour ago").compare_op == "fewer"
    assert read_question("Is the queue of cars longer than at 2:00?").compare_op == "more"
    assert read_question("Is car 4 no longer visible?").intent != "compare"


def test_a_suffix_typed_onto_a_word_is_no_word_of_its_own():
    assert fix_slips("is it busyer now") != "is it busy er now"
    assert "shop ers" not in fix_slips("how many differnt shopers so far")


def test_a_range_of_hour_timecodes_keeps_its_hours():
    for q in ("from 1:00:00 to 1:10:00 how many car come in", "how many cars left from 1:00:00 to 1:30:00"):
        t = read_question(q).time
        assert (t.kind, t.a) == ("between", 3600.0), q
    assert read_question("cars 1:00-2:00").time.b == 120.0


def test_a_track_marked_with_a_number_is_that_track():
    assert read_question("Where in the frame is the 4x4 marked 25?").track_id == 25
    assert read_question("How long was the omnibus numbered 21 in the picture?").track_id == 21


@pytest.mark.parametrize("question,intent,slots", CONSTRUCTIONS + SLIPS + CONTEXT + COLLOQUIAL + DRAWN_FROM_SETS)
def test_constructions_read_to_intent_and_slots(question, intent, slots):
    r = read_question(question)
    assert r.intent == intent, r
    got = _slots(r)
    assert {k: got.get(k) for k in slots} == slots, got


def test_a_run_that_ends_while_the_intent_matcher_warms_up_waits_for_it():
    """Exiting mid-load aborted short `run --questions` runs (exit 134); the warm-up must finish before exit."""
    import subprocess
    import sys

    script = """
import sys, time
from perception.memory.understand.embed import IntentMatcher
IntentMatcher.available = staticmethod(lambda: True)
def slow_bank():
    time.sleep(1.0)
    print("warm-up finished", flush=True)
IntentMatcher._warm = classmethod(lambda cls: slow_bank())
IntentMatcher.warm_up()
sys.exit(0)
"""
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "warm-up finished" in proc.stdout


def test_everyday_words_for_people_name_people_but_not_the_one_who_passes_the_question_on():
    assert [read_question(q).label for q in ("How many families are in view?", "When did the last latecomer arrive?",
                                             "Is the waiter on the terrace now?", "How many grown-ups are there?")] == \
        ["person"] * 4
    passed_on = ("My son wants to know how many dogs are in view.", "Mum is asking: are there more cars than at 1:00?",
                 "My brother, how many bikes are there now?", "Ranger query: how many dogs are at the gate?")
    assert [read_question(q).label for q in passed_on] == ["dog", "car", "bicycle", "dog"]
    assert read_question("Relative to 10 minutes ago, are there more bicycles now?").label == "bicycle"
    assert read_question("My dog, is it still in the garden?").label == "dog"  # only people pass questions on


def test_a_unit_before_its_number_written_in_words_is_a_time():
    spec = read_question("How many distinct dogs did we see between minute two and minute six?").time
    assert (spec.kind, spec.a, spec.b) == ("between", 120.0, 360.0)


def test_a_class_word_with_a_number_names_a_track_unless_the_number_is_a_time_or_distance():
    named = ("How long was bus 4 in view?", "Where's bike 11?", "Where is dog #3?", "In which part of the screen is "
             "individual 19?", "Report how long the dog with identifier 5 has been in view.", "how long was obj 6 visible",
             "I'm following the man labelled 8 - where is he?", "Where's pup 2 now?", "Where is minibus 3 parked?",
             "Whereabouts is player 10?", "How long was police van 2 on scene?")
    assert [read_question(q).track_id for q in named] == [4, 11, 3, 19, 5, 6, 8, 2, 3, 10, 2]
    assert read_question("How long was police van 2 on scene?").label == "truck"
    assert read_question("Where's pup 2 now?").label == "dog"
    unnamed = ("Was there a car 2 minutes ago?", "Is a bus 1:30 in?", "Was a dog 5 m away?", "How many cars 20-40 s?",
               "How many people 2 minutes ago?")
    assert [read_question(q).track_id for q in unnamed] == [None] * 5


def test_a_moment_to_describe_is_answered_with_who_was_in_view_then():
    r = read_question("Describe the scene at 0:30.")
    assert (r.intent, r.time.kind, r.time.a, r.negated) == ("describe", "at", 30.0, False)
    assert read_question("Is the bottom part of the frame free of pedestrians?").negated


def test_a_timecode_counts_hours_minutes_and_seconds():
    assert read_question("How many trucks arrived from 00:01:00 to 00:01:30?").time == TimeSpec("between", 60.0, 90.0)
    assert read_question("What happened since 1:02:03?").time == TimeSpec("since", 3723.0)
    assert read_question("How many dogs came into frame between T+10 and T+25?").time == TimeSpec("between", 10.0, 25.0)
    assert read_question("How many people at 0:45?").time == TimeSpec("at", 45.0)


def test_only_a_query_opening_with_the_latest_arrival_asks_when():
    assert read_question("most recent bus arrival").intent == "when_last"
    assert read_question("What colours are the clothes of the newest arrival?").intent != "when_last"


def test_role_words_are_no_source_of_typing_slips():
    assert normalise("a clip from outside our office") == "a clip from outside our office"
    assert normalise("the dance hall") == "the dance hall"
    assert normalise("how mnay peple") == "how many people"


def test_a_range_with_one_unit_is_a_window():
    assert read_question("dogs arrived 20-40s").time == TimeSpec("between", 20.0, 40.0)
    assert read_question("people left 1-2 min").time == TimeSpec("between", 60.0, 120.0)


def test_opening_windows_and_marks_read_as_windows():
    assert read_question("How many bicycles arrived during the opening 30 seconds?").time == TimeSpec("between", 0.0, 30.0)
    assert read_question("How many unique bicycles appeared in the first quarter-minute?").time == TimeSpec("between", 0.0, 15.0)
    assert read_question("How many cars arrived between the 1:05 and 1:35 marks?").time == TimeSpec("between", 65.0, 95.0)


def test_where_the_player_is_is_not_the_time_asked_about():
    r = read_question("the video's at 1:45 — between 1:00 and 1:30 how many different people were seen?")
    assert (r.intent, r.time, r.reference) == ("count_distinct", TimeSpec("between", 60.0, 90.0), None)
    r = read_question("the video is at 2:00 — when did the first bus come after 1:15?")
    assert (r.intent, r.label, r.time) == ("when_first", "bus", TimeSpec("since", 75.0))
    assert read_question("what happened since 1:00? it's 1:30 now").time == TimeSpec("since", 60.0)
    assert read_question("How many people are visible when the video is at 0:45?").time == TimeSpec("at", 45.0)
    assert read_question("how many people were there when it is 1:30").time == TimeSpec("at", 90.0)


def test_a_unit_after_the_second_number_of_a_window_applies_to_both():
    assert read_question("How many people left between 1 and 2 minutes?").time == TimeSpec("between", 60.0, 120.0)
    assert read_question("what happened from 30 to 45 seconds").time == TimeSpec("between", 30.0, 45.0)
    assert read_question("what happened between 0:30 and 2 minutes").time == TimeSpec("between", 30.0, 120.0)


def test_a_count_asked_against_a_number_keeps_the_number():
    assert read_question("Did more than 20 people turn up in the last 15 mins?").threshold == (">", 20)
    assert read_question("Are there at least three people visible right now?").threshold == (">=", 3)
    assert read_question("did fewer than ten cars leave since 2:00").threshold == ("<", 10)
    assert read_question("Is there at least one car in the picture now?").intent == "presence"
    assert read_question("How many people are visible? Options: 0, 1-2, more than 2.").threshold is None
    assert read_question("Describe the scene in under 50 words.").intent == "describe"


def test_a_tracked_object_asked_against_a_length_of_time_keeps_the_length():
    r = read_question("has car 25 been there more than 10 minutes?")
    assert (r.intent, r.track_id, r.threshold, r.yes_no, r.time) == ("duration", 25, (">", 600.0), True, None)


def test_a_slip_put_right_in_passing_reads_as_the_correction():
    assert read_question("How long was person three, no, thirteen, in the picture?").track_id == 13
    assert read_question("How long was the van, number three, no, number five, there?").track_id == 5
    assert read_question("Where is car twenty, no, twenty-two, now?").track_id == 22
    assert read_question("how many cars, sorry, now?").label == "car"  # an apology, not a correction
    assert normalise("Answer yes, no, or maybe: is there a dog?").startswith("answer yes, no, or maybe")


def test_the_first_minutes_and_from_the_start_are_windows_from_zero():
    assert read_question("first 2 minute how many people go out?").time == TimeSpec("between", 0.0, 120.0)
    assert read_question("from start to 1:00, how many people leave?").time == TimeSpec("between", 0.0, 60.0)


def test_interval_notation_is_a_window():
    assert read_question("unique count where class == bus in [60, 120] s").time == TimeSpec("between", 60.0, 120.0)
    assert read_question("entries where class == bus, t ∈ [600, 1200]").time == TimeSpec("between", 600.0, 1200.0)


def test_a_time_read_out_as_two_numbers_is_a_clock_time():
    assert read_question("how many cars since one thirty").time == TimeSpec("since", 90.0)
    assert read_question("how many individuals, a rough number for the report?").track_id is None


def test_a_driver_named_by_number_is_that_track():
    assert read_question("Where is driver 33 stood?").track_id == 33
    assert read_question("where is person one hundred five").track_id == 105
    assert read_question("how long was person two hundred and twelve on camera").track_id == 212


# The most (fewest) in view at once: five ways each, from a set written for this test by a helper who never read the
# parser (/work/scratch/s41/peak_questions.json in stop 41); then questions sharing their words that ask something else.
AT_ONCE_GROUPS = [
    ("most", ["max people at once", "What's the highest number of people that were on screen at the same time?",
              "At its busiest, how many pedestrians were crossing the plaza?", "how much people was there in same time maximum?",
              "Up to now, how many people at most were waiting by the door at the same time?"]),
    ("fewest", ["min people at once", "What was the fewest number of people visible at the same time?",
                "When it was quietest, how many folks were hanging around?", "lowest pedestrian count at any moment",
                "how many people was minimum in same time on the plaza?"]),
]


@pytest.mark.parametrize("extreme,questions", AT_ONCE_GROUPS)
def test_the_most_or_fewest_at_once_reads_as_a_count_at_once(extreme, questions):
    for q in questions:
        r = read_question(q)
        assert (r.intent, r.extreme, r.label, r.time) == ("count_peak", extreme, "person", None), (q, r)


def test_a_count_at_once_keeps_its_window_and_a_when_question_asks_for_the_time():
    r = read_question("during the first 45 seconds what was the most pedestrians on screen together")
    assert (r.intent, r.time) == ("count_peak", TimeSpec("between", 0.0, 45.0))
    r = read_question("What's the most people you've seen in the shot at one time so far?")  # 'at one time' is no moment
    assert (r.intent, r.time) == ("count_peak", None)
    assert (read_question("When was it busiest?").intent, read_question("When was it busiest?").extreme) == ("when_peak", "most")
    r = read_question("How long ago were there the fewest cars in the lot?")
    assert (r.intent, r.extreme, r.ago) == ("when_peak", "fewest", True)
    r = read_question("Were there ever more than 5 people at once?")
    assert (r.intent, r.extreme, r.threshold, r.yes_no) == ("count_peak", "most", (">", 5), True)


@pytest.mark.parametrize("question,intent", [
    ("Who was the most recent person to arrive?", "when_last"),
    ("How many people came in during the busiest 5 minutes?", "count_entered"),
    ("How many people entered during the peak hour?", "count_entered"),
    ("max number of cars right now", "count_now"),
    ("What happened during the busiest part of the stream?", "summary"),
    ("parked cars top left count", "count_now"),
    ("ppl exits last 2 min count", "count_left"),
    ("Record the count of trucks entering view in the last forty seconds.", "count_entered"),
])
def test_words_of_the_most_at_once_in_other_questions_keep_their_intent(question, intent):
    assert read_question(question).intent == intent


@pytest.mark.parametrize("question", ["Give me a summary of the video so far.", "what's gone on overall",
                                      "I was away — can you summarise since the start?", "Sum up the whole video"])
def test_a_summary_of_everything_so_far_covers_the_stream_from_its_start(question):
    r = read_question(question)
    assert (r.intent, r.time) == ("summary", TimeSpec("since", 0.0))
    assert read_question("what happened?").time is None  # no window: the answer's default (the last ten seconds)
