"""Intent cues: a decision list over word patterns of a question whose slots (times, regions, ids) are removed."""

from __future__ import annotations

import re

INTENTS = ("count_now", "count_distinct", "count_entered", "count_left", "count_peak", "presence", "compare",
           "when_first", "when_last", "when_peak", "duration", "where", "summary", "describe", "track")


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


_RIDE = r"(?:drove|driven|drives?|driving|rode|ridden|rides?|riding|roll(?:ed|s|ing)?)"  # moving in or out on wheels
_FLY = r"(?:fl(?:ew|own|y|ies|ying)|flutter(?:ed|s|ing)?|swoop(?:ed|s|ing)?|hop(?:ped|s|ping)?|sne(?:ak(?:ed|s|ing)?|uck)|snuck)"
# off a ferry, bus or train and into the camera's view; on board is out of it
_OFF_BOARD = (r"(?:c[oa]m(?:e|es|ing)|(?:got|gets|get|getting)) (?:off|down) (?:the |a )?(?:ramp|boat|ferry|ship|vessel|bus|coach|train|"
              r"plane|gangway)|(?:got|gets|get|getting) off\b|disembark\w*|alight(?:s|ed|ing)?\b")
_ON_BOARD = r"(?<!to )board(?:ed|s|ing)?\b(?! (?:the )?(?:camera|screen))|(?:gone|went|go|goes|going|got|get|gets|getting) (?:on )?(?:board|aboard)\b|embark(?:ed|s|ing)?\b"
_NOT_A_STATE = r"(?<!\bare )(?<!\bis )(?<!\bwere )(?<!\bwas )"  # 'pulled up', not 'are pulled up': a state, no arrival
# arrivals that say the thing moved in (an arrival even beside 'so far', which alone asks for a distinct count)
_MOVED_IN = (r"turn(?:s|ed|ing)? (?:in|into)", r"c[oa]m(?:e|es|ing) up (?:the|to)", r"c[oa]m(?:e|es|ing) on(?:to)? (?:the )?site",
             r"c[oa]m(?:e|es|ing) onto", r"rock(?:s|ed|ing)? up", r"(?:got|gets|get|getting) here",
             r"join(?:s|ed|ing)? (?:the )?(?:queue|line)", r"c[oa]m(?:e|es|ing) down (?:to|into|the)\b", r"(?<=\bhave )come down\b(?! (?:from|off)\b)", r"c[oa]m(?:e|es|ing) on(?= (?:shift|duty)\b| ?\??$)",
             rf"{_NOT_A_STATE}back(?:ed|s|ing)? (?:in|into|onto)\b", r"c[oa]m(?:e|es|ing) along\b", rf"(?:pull(?:s|ing)?|{_NOT_A_STATE}pulled) up\b", rf"{_RIDE} up\b", r"c[oa]m(?:e|es|ing) through",
             rf"{_FLY} (?:in|into|onto|down)\b", r"land(?:ed|s|ing)?\b(?! rovers?\b)", r"admit(?:ted|s)?\b", r"c[oa]m(?:e|es|ing) out (?:onto|into|to the)\b",
             _OFF_BOARD)
COUNT = _rx(r"how many", r"number of", r"no\.? of", r"count(?:ed|ing)?", r"tally", r"headcount", r"head count", r"total of", r"total (?:unique|distinct|different|separate)",
            r"total(?= (?!(?:[a-z-]+ )?(?:time|duration|length|amount)\b|number of (?:seconds|minutes))[a-z]+)", r"enumerate",
            r"how much (?=(?:persons|people|pedestrians|folks|humans|cars|bikes|vehicles)\b)", r"crowd size", r"occupancy",
            r"size of the crowd",
            r"how (?:big|large) (?:is|was) the crowd", r"what number", r"how deep (?:is|was) the (?:stack|queue|line)",
            r"(?<=[a-z0-9]s )(?:total|unique|distinct|different|count)(?= ?\??$)")  # search-box terse: 'gulls total 5-10 min'
ENTER = _rx(r"new(?:ly)?(?! (?:lane|road|street|path|route|junction|layout|crossing|camera|cam|sign|signals?|lights?|building|"
            r"car park|shop|store|bay|stand|gate|entrance|bridge|square|site)\b)", r"newcomers?", r"newly arrived", r"arriv\w*", r"enter\w*", r"entries", r"entry",
            r"c[oa]me?(?:s|ing)? (?:in|into|along|by|on screen|through)", rf"{_RIDE} (?:in(?! view\b| the (?:frame|picture|scene|shot|image)\b)|into|onto|up)",
            r"walk(?:ed|s|ing)? up\b", *_MOVED_IN, r"wander(?:ed|s|ing)? (?:into\b|in\b(?! the\b)|up\b)", rf"(?:pull(?:s|ing)?|{_NOT_A_STATE}pulled) (?:up|in|into|onto)\b", r"in through\b", r"check-ins?\b", r"(?:brought|carried|wheeled) (?:in|into|to|up to|over to)\b",
            r"c[oa]m(?:e|es|ing) inside", r"show(?:ed|s)? (?:their|his|her) face", r"walk(?:ed|s|ing)? (?:into|onto|(?:in|on)(?! (?:the|this|a|view|sight|frame|screen|shot|picture|scene)\b))",  # 'walking in view': where
            r"step(?:ped|s)? (?:in|into)", r"(?:came|come|comes) back\b(?! out)", r"(?<=number of )[a-z-]+ (?:onto|into|to)\b(?! (?:the )?(?:left|right|top|bottom)\b)", r"(?:come|came|comes|pulled)(?= ?(?:,|\?|$|since\b|please\b|already\b|how many\b))", r"show(?:s|ed|n|ing)? up", r"turn(?:s|ed|ing)? up", r"appear(?:s|ed|ing|ance|ances)?",
            r"join(?:s|ed|ing)?", r"(?:filter|trickl|flow|stream|pour|flood)(?:s|ed|ing|e|es)? in\b", r"dr[ae]w(?:s|ing)? up\b", r"return(?:ed|s|ing)? (?:to|back|in)\b", r"rtb\b", r"back (?:at|to) base\b", r"c[oa]m(?:e|es|ing) to (?:the |my |our )?(?:door|gate|entrance|house|site|shop|station|stop|desk|counter|yard)\b", r"(?<=s )back in\b", r"(?<!to )reach(?:ed|es)?\b(?! (?:\d|over|out|up|the (?:end|limit|maximum|peak|top)|an? (?:peak|maximum|limit))\b)",
            r"(?:surg|charg|rush|burst|sweep|swept|rac|barrel|spill)(?:e|es|ed|ing|s)? (?:in|into)\b", r"pop(?:s|ped|ping)? (?:up|in|into)", r"emerg\w*", r"came", r"first (?:seen|spotted|noticed|visible|detected)",
            r"got (?:in|into)", r"added", r"(?<=^)[a-z0-9-]+s in(?= ?(?:[,-]|$))", r"ingress", r"inbound",
            r"(?:made|make|makes|found|find|finds) (?:their|his|her|its) way (?:in|into|onto)", r"(?:made|make|makes) (?:their|his|her|its|an|a) entrance",
            r"[a-z]+ (?:into|onto) (?:the )?(?:camera's )?(?:view|sight|frame|picture|scene|shot|image|screen|garden|yard|driveway|grounds)")
LEAVE = _rx(r"(?<!get )(?<!got )(?<!been )(?<!being )left(?! (?:unattended|behind|lying|alone|on (?:the|a)(?! (?:clip|video|footage|recording|stream|tape|feed)\b)|an?|some|his|her|their|its)\b)", _ON_BOARD, r"check-outs?\b",
            rf"{_FLY} (?:away|off|out)\b", r"(?<!into )(?<!in )(?<!the )(?<!of )shot through\b", r"(?:nick|bugger|clear|push|piss)(?:ed|s|ing)? off\b", r"bolt(?:ed|s)?\b",
            r"scarper(?:ed|s)?\b", r"legged it\b", r"knock(?:ed|s|ing)? off\b", r"turn(?:ed|s)? out\b(?! (?:to|that|well|fine|ok|okay|right)\b)", r"(?:booked|went|gone|go|goes) mobile\b", r"mobili[sz]ed\b", r"dispatched\b", r"set(?:s|ting)? (?:off|out)\b(?! (?:the|an?|his|her|their|its)\b)", r"drift(?:ed|s|ing)? (?:off|away)\b", r"step(?:ped|s|ping)? off\b",
            r"(?:zoom|speed|race|roar|whizz|whiz|tear|shoot)(?:s|ed|ing)? (?:off|away)\b", r"(?:sped|tore) (?:off|away)\b", r"(?:scared|chased|frightened) (?:off|away)\b", r"(?:taken|took|takes?|taking|carried|wheeled|carted) away\b", r"(?:taken|carried|wheeled|carted) (?:out|off)\b",
            r"(?:went|go|goes|gone|going|ran|run|runs|headed|walked) (?:back )?inside\b", r"(?:went|gone|headed|walked) back in\b(?! (?:view|shot|frame|sight)\b)", r"(?:went|walked|ran|headed|drove) back out\b", r"tow(?:ed|s|ing)? (?:out|off|away)\b", r"(?:back|revers)(?:ed|es|s|ing)? out\b", r"head(?:ed|s|ing)? (?:on )?(?:down|up) the (?:road|street|lane|hill|drive)\b", r"(?<=how many )[a-z-]+ out\b(?! (?:of|there|here|now|on|and|at|by|front)\b)(?! in (?!the (?:last|past|previous)\b))", r"(?<=number of )[a-z-]+ (?:out(?: of)?|off)\b(?! (?:view|there|here|now|front|back)\b)", r"(?<=^)[a-z0-9-]+s out(?= ?(?:[,-]|$))", r"leav\w*", r"exit\w*", r"depart\w*", r"disappear\w*", r"vanish\w*", r"gone(?! (?:by|past|through|on|along))",
            r"go(?:es)? (?:away|off)\b(?! (?:the|an?)\b)", r"(?<=[a-z] )(?<!\bthe )(?<!\bthey )(?<!\bit )(?<!\bhe )(?<!\bshe )(?<!\bwe )go(?= how many\b| ?\??$)", r"went (?:away|out|off)", rf"{_RIDE} (?:off|away|out)", r"(?:took|takes?|taking) off", r"(?:go|goes|going|gone) out", r"wander(?:ed|s|ing)? (?:off|away|out)", r"pull(?:ed|s|ing)? (?:away|out|off)", r"walk(?:ed|s|ing)? (?:out|off|away)",
            r"(?:head|trot|amble|stroll|saunter|jog|run|ran|toddle|potter|trundle|waddl)\w* (?:off|away|out|home)\b", r"(?:gone|went|go|goes|going) home\b",
            r"out of (?:view|sight|(?:the )?(?:frame|picture|scene|shot|image|camera))", r"ended",
            r"drop(?:ped)? out", r"step(?:ped|s)? out", r"cleared (?:the|out|off)", r"no longer (?:visible|there|in view)", r"lost(?! (?:property|and found)\b)",
            r"last (?:seen|spotted|visible|noticed|detected)", r"mov(?:e|es|ed|ing) out", r"outgoing", r"outbound", r"egress", r"exits?",
            r"quit(?:s|ted)?", r"(?:filter|trickl|flow|stream|pour)(?:s|ed|ing|e|es)? out\b", r"dispers\w*", r"abandon(?:s|ed)?", r"dipped", r"bounced", r"bail(?:ed|s)(?: out)?", r"peaced out", r"off(?:-| )screen",
            r"beyond (?:the )?(?:camera's )?(?:reach|view|frame|edge)")
DISTINCT = _rx(r"unique", r"distinct", r"different", r"individual", r"so far", r"in total", r"total", r"overall",
               r"altogether", r"all together", r"ever", r"in all", r"since the (?:start|beginning)", r"from the (?:start|beginning)",
               r"whole (?:video|stream|clip|recording|time)", r"entire", r"until now", r"up to now", r"till now",
               r"cumulative\w*", r"all (?:the )?(?:time|along)", r"have you (?:seen|spotted|observed|counted)",
               r"did you (?:see|spot|observe|count)", r"have (?:been )?(?:seen|spotted|observed)", r"has (?:been )?(?:seen|spotted)",
               r"passed (?:by|through)", r"pass(?:ed)? by", r"(?:went|gone) (?:by|past|through|along)", r"separate", r"to date",
               r"at (?:some|any) (?:point|time|stage)", r"since (?:the )?(?:video|stream|clip|recording|footage|it) (?:started|began|start)",
               r"every(?:one|body)? (?:person |people |pedestrian )?(?:who|that)",
               r"(?:has|have|had) (?:\w+ ){0,2}(?:seen|spotted|observed|counted|captured|recorded|noticed|detected|tracked|contained|featured|included)",
               r"up to (?:this|that|the present) (?:moment|point|time)", r"thus far", r"c[oa]me and (?:gone|went|go)",
               r"(?:has|have) been (?:in|on|visible|around|present|through|across|seen|spotted|observed|captured|recorded|detected)")
NOW = _rx(r"now", r"currently", r"current", r"at the moment", r"at present", r"presently", r"at this (?:moment|point|time|instant)",
          r"still", r"visible", r"in view", r"on screen", r"in (?:the )?(?:frame|picture|scene|shot|image|view)", r"right now",
          r"these days", r"there", r"can you see", r"do you see", r"in sight", r"present")
MORE = _rx(r"more", r"greater", r"exceed\w*", r"busier", r"fuller", r"more crowded", r"increas\w*", r"gr[eo]w\w*", r"went up", r"gone up", r"go up",
           r"rose", r"ris(?:e|es|en|ing)", r"up(?= (?:vs|versus)\b)", r"pick(?:ed|s|ing)? up", r"higher", r"bigger", r"larger", r"climb\w*", r"(?<!no )longer(?= (?:now |today )?than)")
FEWER = _rx(r"fewer", r"less", r"diminish\w*", r"reduc\w*", r"quieter", r"emptier", r"calmer", r"less crowded", r"decreas\w*", r"shr[iu]nk\w*", r"declin\w*",
            r"(?<!what )went down", r"gone down", r"(?:number|numbers|count|crowd|queue)s? (?:has |have )?come down", r"go(?:es)? down", r"drop(?:s|ped|ping)?(?! out|[- ]off)", r"fell", r"fall(?:s|en|ing)?", r"lower", r"down(?= (?:vs|versus)\b)",
            r"smaller", r"thinn?ed", r"thinner", r"shorter")
SAME = _rx(r"same", r"as many", r"unchanged", r"equal")
CHANGE = _rx(r"chang\w*", r"differ\w*", r"same", r"as many", r"as crowded", r"as busy", r"compare\w*", r"than")
WHEN = _rx(r"when", r"what time", r"how long into (?:the )?(?:video|stream|clip|recording|footage)", r"(?:the )?(?:earliest|latest) (?=(?:a|an|the|that|any)\b)", r"how (?:many|much) (?:seconds|minutes|time) since", r"^time (?:(?:the|that|of the) )?(?:first|last|latest|newest|most recent)\b", r"(?<=[-,] )time(?= ?\??$)", r"at what (?:time|point|moment|second)", r"which (?:time|moment|second|point)",
           r"how long ago", r"how long before(?= ?\??$)", r"how (?:many|much) (?:seconds|time|minutes) ago", r"how recently", r"timestamp", r"at which time", r"(?:start|birth) time",
           r"(?:earliest|latest|first|last|initial) (?:time|moment)", r"time at which", r"the (?:time|moment|instant) (?:the|an?|that|when)", r"(?:first|earliest) (?:seen|sighting|spotted|appearance|detection|occurrence)", r"(?<!to )(?:last|latest|most recent) (?:sighting|appearance|detection)",
           r"since when", r"how long since", r"time since", r"how long after (?:the )?(?:start|beginning|it (?:started|began))", r"(?<!dwell )time of", r"(?:appearance|arrival|entry|exit|departure|sighting) time", r"since [^?]* (?:has|have) (?:gone by|passed|elapsed)", r"timecode", r"how far in(?:to)?\b", r"how long has it been since", r"(?:has )?passed since", r"elapsed since")
AGO = _rx(r"how long ago", r"how (?:many|much) (?:seconds|minutes|time) since", r"(?:has )?passed since", r"(?:has )?gone by since", r"since [^?]* (?:has|have) gone by", r"elapsed since", r"how (?:many|much) (?:seconds|time|minutes) ago", r"how recently", r"how long since",
          r"time since",
          r"how long has it been", r"how long before(?= ?\??$)", r"ago")
HOW_LONG = _rx(r"how long", r"for how long", r"duration", r"how many (?:seconds|minutes)", r"how much time",
               r"length of time", r"dwell(?:ed|ing)?(?: time)?", r"for how many", r"how long (?:has|have|did|was|were)", r"stay(?:ed)? (?:for|around)?",
               r"spent", r"time (?:spent|in view|on screen|on scene|on camera|on cam|in shot|in frame|in (?:the )?picture|visible)", r"wait(?:ing)? time", r"total time", r"stretch of time",
               r"(?:on-?screen|screen|viewing) time", r"visible (?:for|secs?|seconds|time)\b", r"total visible", r"lingered", r"lifetime", r"life ?span", r"remain(?:ed)? (?:in view|visible)?")
WHERE = _rx(r"where", r"which (?:part|side|region|area|corner|half|third|direction|way|edge|border)", r"what (?:part|side|region|area|position|location|direction)",
            r"location", r"position", r"whereabouts", r"located", r"which way", r"heading", r"head(?:ed|ing)? (?:to|towards)")
SUMMARY = _rx(r"what (?:has |have )?happen\w*", r"(?:everything|what) (?:you|the camera) (?:saw|have seen|caught)\b", r"what did you catch\b", r"what (?:is|has) the camera (?:seen|picked up|caught)\b", r"what (?:have|has) (?:we|you|it|the camera) (?:had|got|seen)\b", r"(?:the|a) story\b", r"what went on", r"what (?:has |had |is )?gone on", r"all that (?:has |had )?(?:gone on|happened)", r"(?:talk|walk|run) me through", r"what could be seen",
              r"(?:what is|what has been|what was|what were) (?:been )?going on",
              r"going on", r"happen\w*", r"summar\w*", r"recap\w*", r"overview", r"events?", r"anything (?:interesting|new|notable|unusual|happen\w*)",
              r"what (?:has )?changed", r"catch me up", r"fill me in", r"brief me", r"activity", r"rundown", r"run-down",
              r"highlights?", r"what did i miss", r"sum up", r"what (?:has )?occurred", r"occurr\w*", r"develop\w*",
              r"what took place", r"took place", r"transpir\w*", r"what went down", r"(?:a|the) r[eé]sum[eé]", r"what (?:did |has )?pass(?:ed)?(?! (?:by|through))\b", r"update me", r"give me an update", r"report", r"what went on", r"what was on(?! (?:screen|camera|view|display|the|a|an)\b)",
              r"what did (?:the |those |these )?\w+ do", r"what (?:were|was|are|is|have) (?:the |those |these )?\w+ (?:been )?doing", r"what (?:the |those |these )?\w+ (?:did|were doing|have been doing)\b(?! look)", r"how did things (?:go|change)", r"describe what (?:\w+ )?did")
DESCRIBE = _rx(r"what do you see", r"what (?:can|could) (?:you )?see", r"what (?:you )?see", r"describe", r"description", r"depict\w*", r"characteri[sz]\w*",
               r"what (?:is|was|were|are) (?:(?:the|this|that|our|my) )?(?:[a-z]+ ){0,2}?(?:[a-z]+) like\b",
               r"what (?:did|does|do|is|was) (?:the )?(?:frame|picture|image|camera|cam|screen|video|footage|scene|shot|view|feed) show(?:ing)?",
               r"what (?:is|was) (?:the )?(?:current )?(?:view|picture|scene|frame|shot|image)\b(?! (?:of|for|from)\b)",
               r"what (?:is|was|are|were) (?:at|by|near|outside) (?:the|my|our) [a-z]+(?: [a-z]+)? ?\??$",
               r"what (?:(?:is|was|are|were) )?(?:visible|(?:out )?there|outside|out front|in front|in view|in your view|on screen|in (?:the )?(?:scene|frame|picture|image|view|shot))",
               r"what (?:is|was) showing\b", r"what (?:is|was|are|were) (?:the )?(?:camera|cam|feed|sensor)s? (?:picking up|seeing|capturing|showing)\b", r"what (?:is|was) on (?:camera|cam|screen|the screen|display|the camera|the cam|the feed)\b",
               r"what (?:(?:did|does|do|can|could) )?(?:the |your )?(?:camera|cam|robot|sensor|you|it) see", r"(?:video|picture|camera|screen|image|frame)(?: is| was| shows?| showed)? what\b", r"what in (?:the )?(?:picture|frame|video|screen|image|shot|view)\b", r"how(?: is|'s) it looking\b", r"what (?:the |your )?(?:camera|cam|feed|video|footage|screen|picture|frame|shot|image) (?:showed|shows|show|saw|sees|captured|picked up)",
               r"what can be seen", r"what (?:is|was|were|are) (?:there )?to (?:be )?seen?\b",
               r"what are (?:they|the people|people|the persons) (?:doing|wearing)", r"look(?:s|ed)? like", r"what (?:color|kind|type|size|sort)",
               r"which color", r"wearing", r"dressed", r"who is", r"who are", r"tell me about", r"what objects", r"list", r"what things",
               r"what is in", r"appearance", r"how big", r"how large", r"how small", r"color", r"show me", r"identify",
               r"which (?:people|persons|objects|ones)", r"who", r"what (?:is|are) (?:the )?(?:person|people|object|objects)",
               r"what is the scene", r"the scene", r"how (?:do|does|did) (?:\w+ ){1,3}look\b", r"^how (?:the|this|that) [a-z]+ look(?:s|ed)?\b")
DESCRIBE_ASK = _rx(r"describe", r"look(?:s|ed)? like", r"wearing", r"colou?r", r"what (?:kind|type|sort)")
YES_NO = re.compile(r"\bor not\b|(?:(?:^|, )(?:(?:and|so|ok|okay|hey|tell me|please|say),?\s+)?(?:is|are|was|were|did|do|does|has|have|had|"
                    r"(?:can|could|will|would)(?! you (?:please )?(?:describe|tell|give|show|list|summari[sz]e|count|say|explain|recap))|"
                    r"should|any|anyone|anybody|somebody|someone|no one|nobody|there is|there are)|"
                    r"\b(?:if|whether) (?:there|any|anyone|anybody|someone|somebody|no one|nobody|it|the|an?)|\by/n|\byes or no|\byes/no)\b")
PRESENCE = _rx(r"any", r"anyone", r"anybody", r"someone", r"somebody", r"there", r"no one", r"nobody", r"present", r"free of",
               r"empty", r"occupied", r"exist\w*", r"see (?:a|an|any)", r"deserted", r"vacant", r"clear")
LATEST = _rx(r"last", r"latest", r"final", r"newest", r"most recent(?:ly)?", r"recently")
NEW = _rx(r"new", r"newcomers?", r"arriv\w*", r"newly", r"not (?:there|present|visible|in view) (?:at|from) the (?:start|beginning)")
SEPARATE = _rx(r"unique", r"distinct", r"different", r"separate", r"individual")
HOW_LONG_STAY = _rx(r"stay\w*", r"spen[dt]", r"been (?:on screen|visible|in view|around|here|there)", r"remain\w*", r"linger\w*")
SEEN_PAST = _rx(r"(?:were|was) (?:seen|spotted|observed|detected|recorded|captured|tracked|counted|noticed)")  # cumulative unless at a moment
SEEN_NOW = _rx(r"appears?", r"(?:is|are) appearing")  # present tense: what is visible, not who arrived
TRACK_WORDS = _rx(r"the thing")  # what a track id becomes after slot removal


CURRENT = re.compile(r"\b(?:now|currently|current|at the moment|right now|at present|presently|at this (?:moment|instant))\b")  # 'total cars visible now'


_LATEST_EVENT = re.compile(r"(?:the )?(?:last|latest|most recent|newest|final) (?:[a-z]+ )?(?:arrival|newcomer|entry|entrant|departure|exit)\b")


# the most (fewest) in view at once: a superlative with a word of simultaneity or of number ('the maximum number of
# people', 'most cars at the same time', 'how many birds at once, at most'), or a busiest (quietest) moment
AT_ONCE = re.compile(r"\b(?:(?:all )?at once|(?:(?:at|in) )?(?:the |a )?same (?:time|moment|instant)"
                     r"|at (?:a|1|any(?: 1| single)?) (?:time|moment|point|instant)|in 1 (?:moment|go)"
                     r"|simultaneous(?:ly)?|concurrent(?:ly)?|together)\b")
_NUMBER_WORD = r"(?:number|count|headcount|head count|crowd|occupancy|quantity|tally|amount|total|load)\b"
_CALM = r"(?:empty|quiet|calm|dead)"  # 'most empty' is the fewest
_MOST = re.compile(rf"\b(?:max(?:imum|imal)?|most(?! recent| {_CALM})|highest|largest|biggest|greatest|peak|record"
                   r"|all-time high|at most(?! \d))\b")
_FEWEST = re.compile(rf"\b(?:(?<!\d )min(?:imum|imal)?(?! \d)|fewest|lowest|smallest|least(?! \d)|how low|most {_CALM})\b")
_MOST_NUMBER = re.compile(rf"\b(?:(?:max(?:imum|imal)?|highest|largest|biggest|greatest|peak|most) (?:[a-z]+ )?"
                          rf"|(?:top|record) ){_NUMBER_WORD}|\bhigh[- ]water mark\b")
_FEWEST_NUMBER = re.compile(rf"\b(?:(?<!\d )min(?:imum|imal)?|fewest|lowest|smallest|least) (?:[a-z]+ )?{_NUMBER_WORD}"
                            r"|\blow[- ]water mark\b|\btrough\b")
_SUPERLATIVE_MOMENT = (r"\b(?:(?:at|during|in) (?:its|the|their) {0}(?! \d| hours?\b| times?\b)"
                       r"|(?:it|the [a-z]+) (?:was|got|is) (?:at its |the )?{0}"
                       r"|(?:was|is|did|does) (?:it|the [a-z]+) (?:at its |the |get |look )?{0}"
                       r"|{0} (?:moment|point|instant|second)|(?:were|was) (?:there )?the {1}(?! recent))\b")
_BUSIEST = re.compile(
    _SUPERLATIVE_MOMENT.format(r"(?:busiest|fullest|peak|worst|height|longest|most (?:crowded|packed|full|busy|rammed|swamped))",
                               "most") + r"|\b(?:biggest|largest) crowd\b|\bpeak(?:ed)?(?= ?\??$)")  # 'when did it peak'
_QUIETEST = re.compile(
    _SUPERLATIVE_MOMENT.format(rf"(?:quietest|emptiest|slowest|calmest|most {_CALM}|least (?:busy|crowded))", "fewest")
    + r"|\bbottom(?:ed|s)? out\b")
# a question after the time of the most (fewest): 'timestamp of peak occupancy', 'in which minute was it busiest'
PEAK_WHEN = re.compile(r"\b(?:time ?stamp|time|moment|minute|second|point) (?:of|when)\b"
                       r"|\b(?:in |at )?(?:which|what) (?:minute|second|moment|time|point)\b"
                       r"|^time ?stamp\b|(?:^|, )when (?:was|were|did|is|does)\b")


def extreme(q: str) -> str | None:
    """'most' or 'fewest' when a normalised question asks for the largest or smallest number in view at once, else None
    (run before time slots are taken: 'at one time' is no moment)."""
    together = bool(AT_ONCE.search(q))
    if together and re.search(r"\bever\b|\bat any (?:time|point)\b", q) and (checked := THRESHOLD.search(q)):  # 'ever more than 5 at once?'
        return "fewest" if checked.group("op") in ("fewer than", "less than", "under") else "most"
    if _QUIETEST.search(q) or _FEWEST_NUMBER.search(q) or (together and _FEWEST.search(q)):
        return "fewest"
    if _BUSIEST.search(q) or _MOST_NUMBER.search(q) or (together and _MOST.search(q)):
        return "most"
    return None


def has(rx: re.Pattern[str], q: str) -> bool:
    """Whether ``q`` contains one of the pattern's phrases."""
    return rx.search(q) is not None


TALLY = re.compile(r"(?:number of |count of |total |cumulative )?(?:(?P<distinct>unique|distinct|different|separate)\b|"
                   r"(?:(?!(?:last|latest|recent|final|newest|first)\b)[a-z]+ )?"  # 'dog exits since start'
                   r"(?:(?P<came>arrivals|entries|entrances|newcomers|check-ins)|(?P<went>exits|departures|leavers|check-outs))\b)")  # telegraphic counts


# a number of things, not a time or a length of answer, to check a count against: 'more than 20 people', 'at least 3
# dogs' ('at least one' asks whether there is any: presence)
THRESHOLD = re.compile(r"\b(?P<op>(?:more|fewer|less) than|at least|over|under) (?P<n>\d+)\b(?<!at least 1)(?<!more than 0)"
                       r"(?! ?(?:s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|%|words?|characters?|sentences?|lines?)\b)")


# what is left of 'more than 10 minutes' once the time is taken out: how long a tracked object stayed, checked
STAY_CHECK = re.compile(r"\b(?P<op>(?:more|longer|less|shorter) than|at least|over|under) ?\??$")


# a search-box query for a time: 'last van', 'most recent dog', '4x4 last seen', 'trailer most recent arrival', 'gull first'
_TERSE_WHEN = re.compile(r"(?:(?:the )?(?:last|latest|most recent|newest) [a-z0-9-]+|[a-z0-9-]+(?: [a-z-]+)? "
                         r"(?:(?:last|latest|most recent) (?:seen|spotted|sighting|sighted|arrival|entry|departure|exit)"
                         r"|(?P<first>first)(?: (?:seen|spotted|sighting|sighted|arrival|appearance))?)) ?\??")


_LEFT_THERE = re.compile(r"\b(?:is|are|was|were) there (?:an?|any|some)? ?[a-z-]+(?: [a-z-]+)? left\b")


def classify(q: str, *, track: bool, times: list, yes_no: bool) -> tuple[str, float]:
    """(intent, confidence) for a normalised question with its slots removed; ``times`` are its time specs."""
    window = any(not t.is_moment for t in times)
    tally = TALLY.match(q)
    if tally and not yes_no:  # 'unique people so far', 'exits last 15 s': a count with no counting word
        return ("count_distinct" if tally.group("distinct") else "count_entered" if tally.group("came") else "count_left"), 0.75
    if not yes_no and (terse := _TERSE_WHEN.fullmatch(q)) and not has(SUMMARY, q):  # search-box: 'last van', '4x4 last seen', 'gull first'
        return ("when_first" if terse.group("first") else "when_last"), 0.7
    if track and re.search(r"\b(?:time|duration) ?\??$", q) and len(q.split()) <= 4:  # 'car #5 time'
        return "duration", 0.7
    if re.fullmatch(r"(?:the )?(?:current )?(?:view|scene|picture|frame|shot|feed|camera|cam)(?: now)? ?\??", q):  # 'view at 8:30'
        return "describe", 0.7
    if re.match(r"(?:the )?(?:very )?(?:first|earliest)\b", q) and not (yes_no or has(COUNT, q) or has(SUMMARY, q) or has(WHERE, q)
                                                          or has(DESCRIBE_ASK, q)):
        return "when_first", 0.75  # 'first bike?', 'first car after 2:00?'
    if re.match(r"what (?:happened|went on|was going on|was happening) when\b", q) and not yes_no:
        return "summary", 0.85  # 'what happened when the sparrowhawk came': a conjunction, not a question about time
    if re.match(r"(?:[a-z]+ ?: )?(?:please |(?:can|could|would) you (?:please |kindly )?)?(?:describe|give (?:me )?a description)\b", q) \
            and not has(SUMMARY, q):  # 'describe the scene as it appeared at 0:45', 'warden: can you describe ...'
        return ("track", 0.85) if track else ("describe", 0.85)
    if track and has(SUMMARY, q) and not has(WHEN, q) and not has(HOW_LONG, q):  # 'report on #4', not 'report #4's duration'
        return "track", 0.8
    if track and times and STAY_CHECK.search(q):  # 'has car 25 been there more than 10 minutes?': its time in view, checked
        return "duration", 0.85
    if THRESHOLD.search(q) and len(re.findall(r"\bthan\b", q)) <= 1 and not (has(COUNT, q) or has(WHEN, q) or has(HOW_LONG, q)):
        # 'did more than 20 people turn up in the last 15 min', 'are there at least 3 dogs now': a count, checked
        if has(LEAVE, q):
            return "count_left", 0.8
        if has(ENTER, q):
            return "count_entered", 0.8
        return ("count_distinct" if has(SEPARATE, q) or has(DISTINCT, q) or window else "count_now"), 0.8
    if has(COUNT, q):
        if (has(MORE, q) or has(FEWER, q)) and (yes_no or re.search(r"\b(?:than|vs|versus|exceed(?:s|ed)?)\b", q)):
            return "compare", 0.9
        if (yes_no or q.endswith("?")) and has(SAME, q) and times:
            return "compare", 0.85
        if times and re.search(r"\bcompar", q):  # 'how does the number now compare with 45 s ago'
            return "compare", 0.85
        if re.search(r"\bhow (?:many|much) (?:seconds|secs?|minutes|mins?|time)\b", q):
            if has(AGO, q):
                return ("when_last" if has(LEAVE, q) or has(LATEST, q) or has(NEW, q) else "when_first"), 0.9
            if re.search(r"\binto the (?:video|stream|clip|recording|footage)\b|\bfirst\b", q) and not has(HOW_LONG_STAY, q):
                return "when_first", 0.85
            return "duration", 0.85
        if has(LEAVE, q) and not re.search(r"\bc[oa]me and (?:gone|went|go)\b", q):
            return "count_left", 0.9
        # 'how many appear right now' asks who is visible: 'appear' is its only arrival word, with a now-cue
        appear_now = not window and has(NOW, q) and not has(ENTER, SEEN_NOW.sub(" ", q))
        if has(ENTER, q) and not appear_now:
            moved_in = (r"\bnew(?:ly)?\b|newcomer|arriv|enter|\b(?:" + "|".join(_MOVED_IN) + r")\b|\bc[oa]me in(?:to)?\b(?! (?:this|the) (?:video|clip|stream|recording|footage))|\binto (?:view|sight|(?:the )?(?:frame|picture|scene|shot|image|screen))\b|"
                        rf"\b(?:walk(?:ed|s|ing)?|step(?:ped|s)?|pull(?:ed|s|ing)?|{_RIDE}) (?:in(?:to)?|onto)\b(?! (?:total|all)\b)")
            if has(SEPARATE, q) or (has(DISTINCT, q) and not window and not re.search(moved_in, q)
                                    and not re.search(r"\bhow many times\b", q)):  # 'how many times has a van turned up': events
                return "count_distinct", 0.85
            return "count_entered", 0.9
        if has(DISTINCT, re.sub(r"\btotal\b", " ", q) if CURRENT.search(q) else q) or (has(SEEN_PAST, q) and not times):
            return "count_distinct", 0.9
        if window:
            return "count_distinct", 0.75
        if has(MORE, q) and has(CHANGE, q):
            return "compare", 0.6
        return "count_now", 0.9 if (has(NOW, q) or times) else 0.8
    if (has(MORE, q) or has(FEWER, q)) and (times or re.search(r"\bcompar|\bthan\b|\bbefore\b|\bearlier\b", q)) \
            and not has(WHEN, q) and not has(HOW_LONG, q):
        return "compare", 0.85
    if has(SUMMARY, q) and not has(WHEN, q) and not has(HOW_LONG, q):
        return "summary", 0.9
    if has(WHERE, q) and re.match(r"(?:where|whereabouts|which|from which|from where|in which)\b", q):
        return "where", 0.85
    if re.match(r"who\b", q) and has(ENTER, q) and (re.search(r"\bfirst\b", q) or has(LATEST, q)) and not has(COUNT, q):
        return ("when_first" if re.search(r"\bfirst\b", q) else "when_last"), 0.8  # 'who came in first': that one, and when
    if has(WHEN, q):
        recent = has(LATEST, q) or (has(AGO, q) and not re.search(r"\bfirst\b", q))
        if has(LEAVE, q) or (recent and (has(ENTER, q) or has(NEW, q))):
            return "when_last", 0.9
        if has(ENTER, q) or re.search(r"\b(?:first|initial(?:ly)?|earliest)\b", q):
            return "when_first", 0.9
        if recent:  # 'how long since a dog was on the quay': since it was last there
            return "when_last", 0.75
        return ("track" if track else "when_first"), 0.5
    if has(HOW_LONG, q):
        if re.search(r"\bhow far into\b", q):
            return "when_first", 0.85
        if has(LATEST, q) and re.search(r"\bhow long (?:is|are|has|have) (?:arrived|come|came|entered|appeared)\b", q):
            return "when_last", 0.8  # 'since how long is arrived the last pedestrian': since its arrival
        return "duration", 0.85
    if _LATEST_EVENT.match(q) and not (yes_no or window or has(DESCRIBE_ASK, q)):
        return "when_last", 0.7  # 'latest vehicle arrival', 'most recent departure ago': when it was
    if window and (has(LEAVE, q) or has(ENTER, q)) and not yes_no and not has(DESCRIBE_ASK, q):  # 'people leaving last 2 min'
        return ("count_left" if has(LEAVE, q) else "count_entered"), 0.7
    if re.match(r"[a-z]+s (?:visible|in view|on screen|in (?:the )?(?:frame|picture|scene|shot))\b", q) and not yes_no:
        return "count_now", 0.7  # 'bikes visible now'
    if yes_no:
        if has(MORE, q) or has(FEWER, q) or (has(CHANGE, q) and (times or re.search(r"\bbefore|earlier|than\b", q))):
            return "compare", 0.9
        if has(LEAVE, q) and not _LEFT_THERE.search(q):  # 'is there a bag left by the gatehouse': still there
            return "count_left", 0.8
        if has(ENTER, q) and (window or not has(NOW, q)):
            return "count_entered", 0.8
        if track and not has(PRESENCE, q):
            return "track", 0.6
        return "presence", 0.85 if has(PRESENCE, q) else 0.6 if has(NOW, q) else 0.35
    if has(WHERE, q):
        return "where", 0.9
    if has(DESCRIBE, q):
        return ("track", 0.8) if track else ("describe", 0.8)
    if track:
        return "track", 0.6
    if has(MORE, q) or has(FEWER, q):
        return "compare", 0.5
    if has(LEAVE, q):
        return "count_left", 0.4
    if has(ENTER, q):
        return "count_entered", 0.4
    if has(PRESENCE, q):
        return "presence", 0.4
    return "describe", 0.2
