"""The phrasing ``casualties.py`` reads casualty figures by: where a figure's group, role, verb and list end.

Patterns only, no logic: each is matched at a position the casualty rules choose (``.match(sent, pos)``), so
"^" anchors at the start of the string given, not at ``pos``. The casualty words themselves are ``lexicon.py``'s.
"""

from __future__ import annotations

import re

from .lexicon import KIND_WORD
from .numbers import NUMBER_WORDS

KIND_RE = re.compile(r"\b(?:" + "|".join(sorted((re.escape(k) for k in KIND_WORD), key=len, reverse=True)) + r")\b",
                     re.IGNORECASE)
KIND_NEXT = re.compile(r"\s*" + KIND_RE.pattern, re.IGNORECASE)  # "2 militants killed": a kind word right after
# "killing 13", "killed at least 6", "detained two": the verb right before the figure
VERB_BEFORE = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in KIND_WORD if k != "lost their lives"),
                                                   key=len, reverse=True)) + r")\s+(?:(?:and|or)\s+(?!(?:and|or)\b)([a-z]+)\s+)?$",
                         re.IGNORECASE)
# "and 5 others were wounded": the figure's own passive verb, right after its phrase
OWN_VERB = re.compile(r"\s*(?:(?:others?|more)\s+)?(?:were|was|have been|has been|had been)\s+(?:also\s+|reportedly\s+|"
                      r"later\s+)?(" + "|".join(sorted((re.escape(k) for k in KIND_WORD if " " not in k),
                                                     key=len, reverse=True)) + r")\b(?!\s+(?:or|and/or)\b)",
                      re.IGNORECASE)
# "detained the man, a facilitator, and three additional suspects": the clause's verb, further back
CLAUSE_VERB = re.compile(r"\b(killed|killing|detained|detaining|arrested|arresting|captured|capturing|wounded|wounding|"
                         r"injured|injuring)\b(?![^.;:]*\b(?:by|when|after|as|while|during|following|said|and\s+\w+ed)\b)"
                         r"[^.;:]{0,80}$", re.IGNORECASE)
# words that may stand between a figure and the group it counts: "8 suspected Taliban", "2 Afghan soldiers"
GROUP_GAP = re.compile(r"^[\s'‘’\"“]*(?:(?:more|other|additional|suspected|alleged|armed|afghan|local|foreign|"
                       r"senior|enemy|fellow|of\s+the|of\s+them|of|the|their|his|her|border|national|special|government|"
                       r"pro-government|security|heavily|weapons|key|top|targeted|former|known|wanted|cell|network|"
                       r"(?-i:[A-Z][a-z]+|[A-Z]{2,5}|[A-Z][a-z][A-Z])|\((?-i:[A-Z][A-Za-z]{1,5})\)|[a-z]+-[a-z]+)"
                       r"[\s'‘’\"“-]+){0,3}$")
# officers by their rank ("a major general", "a colonel"); not "major", which is mostly an adjective
_RANK = r"generals?|colonels?|lieutenants?|captains?|sergeants?|brigadiers?"
# a figure counting officers by rank with no group named: the soldiers of the event's country
RANK_NEXT = re.compile(r"[\s'‘’\"“]*(?:[\w-]+\s+){0,2}?(?:" + _RANK + r")\b", re.IGNORECASE)
# people a press release names by their role rather than by their group: "the targeted individual", "a suspected
# weapons facilitator", "two men", "one person of interest"
_ROLE = (r"(?:sub-?commanders?|commanders?|leaders?|facilitators?|financiers?|governors?|advis[eo]rs?|deputy|deputies|"
         r"emplacers?|operatives?|members?|fighters?|individuals?|m[ae]n|persons?|detainees?|occupants|personnel|"
         r"bombers?|planners?|experts?|chief|head|organi[sz]ers?|coordinators?|recruiters?|trainers?|" + _RANK + ")")
# what a figure with an actor's name may count that is not people: "3 Afghan military posts", "a NATO airstrike",
# "a militant tunnel system", "2 Afghan Air Force strikes". Up to two modifiers may stand before the thing, but not a
# word that ends the noun phrase ("5 policemen on patrol"); a thing followed by a person is a modifier of that person
# ("a Taliban IED maker", "a Taliban weapons dealer", "Taliban Red Unit militants"). Matched at the end of the actor's
# name (``.match(sent, pos)``: "^" would only match at the start of the sentence).
_NOT_MODIFIER = (r"(?!(?:on|in|at|of|for|to|from|by|with|and|or|but|who|which|that|were|was|are|is|had|has|have|"
                 r"also|while|when|after|before|during|following|against|under|over|into|through|across|as|near|"
                 r"inside|including|among|between|killed|killing|wounded|injured|detained|arrested|captured|"
                 r"attacked|targeted|launched|conducted|destroyed|seized|other|others|later|earlier|together|however|"
                 r"whether|either|never|yesterday|border|water)\b)")
OBJECT_NOUN = re.compile(
    r"[\s'’]*(?:" + _NOT_MODIFIER + r"[\w-]+\s+){0,2}?"
    r"(?:posts?|bases?|check ?points?|vehicles?|tanks?|convoys?|patrols?|outposts?|positions?|compounds?|houses?|"
    r"APCs?|humvees?|trucks?|cars?|units?|offices?|headquarters|stations?|camps?|hideouts?|weapons?|rifles?|"
    r"motorbikes?|motorcycles?|caches?|centers?|centres?|helicopters?|aircraft|planes?|jets?|drones?|rounds?|"
    r"vessels?|strikes?|airstrikes?|air strikes?|bombardments?|shelling|rockets?|mortars?|attacks?|assaults?|"
    r"offensives?|ambush(?:es)?|operations?|raids?|missions?|tunnels?|systems?|facilit(?:y|ies)|depots?|"
    r"warehouses?|strongholds?|prisons?|courts?|factor(?:y|ies)|workshops?|ammunition|explosives?|IEDs?|mines?|"
    r"bombs?|sites?|routes?|roads?|bridges?)\b(?!-)"
    r"(?![\s-]+(?:" + _NOT_MODIFIER + r"[\w-]+\s+){0,2}" + _NOT_MODIFIER + r"(?:militants?|soldiers?|policem[ae]n|troops|staff|guards?|"
    r"insurgents?|team|cell|[a-z]+(?:ers?|ors?|ists?)|" + _ROLE + r")\b)",
    re.IGNORECASE)
PASSIVE = re.compile(r"^\s*(?:[\w'’-]+\s+){0,2}?(?:was|were|has been|had been|have been|got)\s+(?:also\s+|reportedly\s+)?"
                     r"(?=\w)", re.IGNORECASE)
# "24 were wounded", "two others": the figure counts the group named just before
ELIDED = re.compile(r"^\s*(?:others?\b|more\b|were\b|was\b|of them\b|people\b|persons\b|individuals\b|men\b|"
                    r"(?:others?|more)\s+were\b)", re.IGNORECASE)
DEFINITE = re.compile(r"\b(?:killed|killing|arrested|arresting|detained|detaining|captured|capturing|apprehended)"
                      r"\s+(the)\s+", re.IGNORECASE)
ROLE_NEXT = re.compile(r"[\s'‘’\"“]*(?:(?:[\w-]+|\([A-Za-z]{2,6}\))\s+){0,3}?(" + _ROLE + r")\b", re.IGNORECASE)
ROLE_AFTER = re.compile(r"\s+(?:[a-z-]+\s+)?" + _ROLE + r"\b", re.IGNORECASE)
ANOTHER = re.compile(r"\banother\b", re.IGNORECASE)
ALONG_WITH = re.compile(r"\b(?:along with|together with|as well as)\s+$", re.IGNORECASE)
# people counted by their occupation, not by a group: civilians unless a force is named with them ("2 engineers",
# "a government official", "1 railroad worker"); "NDS employees", "police officers" are the force's own (actors.yaml)
CIVILIAN_NEXT = re.compile(r"[\s'‘’\"“]*(?:[\w-]+\s+){0,2}?(engineers?|workers?|employees?|officials?|prosecutors?|"
                           r"judges?|teachers?|doctors?|nurses?|journalists?|reporters?|students?|contractors?|"
                           r"drivers?|labou?rers?|deminers?|clerics?|staff(?:ers)?|aid workers?|(guards?|bodyguards?)|child|girls?|"
                           r"boys?|woman|women|teenagers?|infants?|babies|baby|sons?|daughters?|brothers?|"
                           r"relatives?)\b(?!-)",
                           re.IGNORECASE)
# "targeted a Taliban commander, killing him": the pronoun counts the person just named
PRONOUN = re.compile(r"\b(?:killing|killed|detaining|detained|arresting|arrested|capturing|captured|wounding|"
                     r"wounded|injuring|injured)\s+(him|her)\b", re.IGNORECASE)
# "militants shot and killed him": a verb of the figure's people, not their fate, when an object follows it and no
# auxiliary stands before it
ACTIVE_OBJECT = re.compile(r"\s+(?:him|her|them|at least|a|an|the|one|two|three|four|five|\d+|his|their)\b", re.IGNORECASE)
AUX_BEFORE = re.compile(r"\b(?:was|were|been|being|be|got|is|are)\s+(?:[a-z]+ly\s+|also\s+)?(?:\w+\s+and\s+)?$",
                        re.IGNORECASE)
THEN_KILLED = re.compile(r"\s+and\s+(?:then\s+|later\s+|subsequently\s+)?(?:killed|executed|shot dead|murdered|"
                         r"beheaded)\b", re.IGNORECASE)
# "1 civilian who was a government official", "2 civilians who were students": the people just counted, described
RESTATED = re.compile(r"\bwho\s+(?:was|were|is|are)\s+$", re.IGNORECASE)
ONE_BEFORE = re.compile(r"\b(?:a|an|the|one|1)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
# "the Jaji police district chief was killed", "the Taliban's shadow governor for Paktia and 6 commanders were killed":
# one person, named by a group and a single role, with no number before them
_SINGLE_ROLE = r"(?:sub-?commander|commander|leader|governor|chief|head|deputy|official|spokesman)"
GROUP_ROLE = re.compile(r"(?:['’]s)?\s+(?:(?!(?:and|or|of|in|on|at|by|for|with|was|were)\b)[\w-]+\s+){0,3}?"
                        + _SINGLE_ROLE + r"\b(?!-)(?:\s+(?:for|of|in)\s+(?-i:[A-Z][\w-]+)(?:\s+(?:province|district))?)?",
                        re.IGNORECASE)
SURFACE_ROLE = re.compile(r".*\b" + _SINGLE_ROLE + r"$", re.IGNORECASE)
BARE_START = re.compile(r"(?:^|[,;:]\s*|\band\s+|\bthe\s+|(?-i:[A-Z][\w-]*)\s+(?:(?:district|province|provincial|city|"
                        r"deputy|former|acting)\s+)?)$")
# what may stand between such a person and the passive verb they share: "for Paktia and 6 commanders including ..."
BARE_PASSIVE = re.compile(r"\s*(?:,?\s*(?:and|along with)\s+[^,;.]{1,60}?)?\s+(?:was|were|has been|had been|have been)"
                          r"\s+(?:also\s+|reportedly\s+)?", re.IGNORECASE)
THE_ROLE = re.compile(r"\b(the)\s+(?:[\w-]+\s+){0,2}?" + _ROLE + r"\b", re.IGNORECASE)
# "Qari Ziauddin, the Taliban shadow governor", "Sangari, an insurgent leader,": one named person
NAMED = re.compile(r"(?<![\w.])((?:(?:Mullah|Mawlawi|Maulawi|Maulvi|Mawlavi|Qari|Haji|Hajji|Mufti|Sheikh|Shaikh|"
                   r"Commander|Doctor|Dr\.)\s+)?(?-i:[A-Z][a-z]+)(?:\s+(?-i:[A-Z][a-z]+)){0,3}),\s+(?:a|an|the)\s+"
                   # "Guanajuato, a man was found dead": a place before a neutral person, not a person's name
                   r"(?:[\w'’()-]+\s+){0,5}?(?!(?:m[ae]n|persons?|individuals?)\b)" + _ROLE + r"\b", re.IGNORECASE)
NOT_A_NAME = re.compile(r"^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|"
                        r"May|June|July|August|September|October|November|December|Afghanistan|Kabul|Officials?|"
                        r"Meanwhile|However|Also|Additionally|The|This|That|He|She|They|It)\b")
# "the commander and three additional suspects were detained", "the individual associated with the cache was
# detained": a person named by role shares the passive verb after the phrase
ROLE_PASSIVE = re.compile(r"[^,;:.]{0,70}?\b(?:was|were|has been|had been|have been)\s+(?:also\s+|later\s+|"
                          r"subsequently\s+)?", re.IGNORECASE)
# what may join two figures of one list: "1 policeman and 2 militants", "the leader along with three associates"
LISTED = re.compile(r"[\s,]*(?:(?:and|along with|together with|as well as|plus)\s+)?", re.IGNORECASE)
LISTED_START = re.compile(r"\s*,?\s*(?:and|along with|together with|as well as)\b", re.IGNORECASE)
LISTED_ROLE = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+)(?!(?:a|an|the|his|her|their|its|several|many|numerous|"
                         r"multiple|some|few|" + "|".join(NUMBER_WORDS) + r")\b)((?:[a-z-]+\s+)?"
                         + _ROLE + r")\b(?!\s+of\b)", re.IGNORECASE)
NEUTRAL_PERSON = re.compile(r"\s+(?:(?:young|old|elderly|local|unidentified|other|more)\s+)?(?:m[ae]n|persons?|"
                            r"individuals?)\b(?!\s+(?:of|from|with|in)\s+(?:the\s+)?(?-i:[A-Z]))", re.IGNORECASE)
PLURAL = re.compile(r".*(?:[^s]s|men)$", re.IGNORECASE)  # "insurgents", "policemen"; not "Taliban"
PLURAL_NEXT = re.compile(r"\s+(?:[a-z-]+\s+)?(?:leaders|commanders|members|fighters|facilitators|operatives|"
                         r"suspects|men)\b", re.IGNORECASE)
SUBSET = re.compile(r"\b(?:including|among them|among whom|of whom|such as)\b(?![^.;]*\b(?:were|was|killed|wounded|"
                    r"injured|detained|arrested)\b)[^.;]{0,60}$", re.IGNORECASE)
# a party's claim about its enemy's losses is kept as a claim but is not a credible figure
PARTISAN = re.compile(r"\bTaliban(?:'s)? (?:claimed|claims|said|says|disputed|denied|spokesm[ae]n)|"
                      r"according to (?:the )?Taliban|\bMujahid\b|\bYousuf Ahmadi\b|Taliban (?:also )?(?:claim|say)|"
                      r"\b(?:the )?(?:militants|insurgents) (?:also )?claim(?:ed|s)?\b",
                      re.IGNORECASE)
CLAUSE_BREAK = re.compile(r"[;:]|\b(?:said|says|told|according|claimed|while|after|before|but)\b", re.IGNORECASE)


SEQUEL = re.compile(r"\b(?:also|additionally|in addition|further)\b", re.IGNORECASE)
SEPARATE = re.compile(r"\b(?:another|separately|a separate)\b", re.IGNORECASE)  # "an attack on another base"
MORE_PEOPLE = re.compile(r"^(?:another\b|[\w-]+(?:\s+\w+){0,2}?\s+(?:other|others|additional|more)\b)", re.IGNORECASE)
PRECISE = re.compile(r"^(?:(?:at least|more than|over|about|around|nearly|almost|approximately|roughly|up to|"
                     r"as many as)\s+)?"
                     r"(?:\d|(?:a\s+)?dozen\b|(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b)",
                     re.IGNORECASE)


# -- short joins between a figure and its neighbours ---------------------------------------------------------------
COMMA = re.compile(r"\s*,\s*")  # "5 civilians, 3 women": nothing but a comma between two phrases
OF_THEM = re.compile(r"\s+of (?:them|whom)\b")  # "12 civilians, 6 of them women"
OF_ROLE = re.compile(r"\s+of\s+(?:the\s+)?")  # "the head of police counterterrorism"
PASSIVE_BEFORE = re.compile(r"\b(?:was|were|been)\s+$")
# what may follow a figure that takes its group from the side fought: "killing 7.", "killing one and ..."
BARE_FIGURE_END = re.compile(r"\s*(?:[,.;]|and\b|or\b|others?\b|more\b|people\b|of (?:them|the)\b|$)")
WAS_NEXT = re.compile(r"\s*(?:were|was)\b")
ALTERNATIVE = re.compile(r"\s+(?:or|and/or)\s+(\w+)")  # "killed or wounded"
NEW_CLAUSE_BEFORE = re.compile(r"\b(?:when|after|as|while|because|before)\s+$", re.IGNORECASE)
THE_BEFORE = re.compile(r"\bthe\s+$", re.IGNORECASE)  # "killing the two attackers"
# a figure whose noun is itself its people's fate: "14 bodies", "12 more corpses", "3 dead" (killed)
FATE_NOUN = re.compile(r"\s+(?:more\s+|other\s+|dead\s+|charred\s+|mutilated\s+|decomposed\s+|unidentified\s+|"
                       r"bullet-riddled\s+){0,2}(?:bodies|corpses|dead(?=\s*(?:[,.;:)]|$|(?:and|or|in|on|at|after|when|as|were|was|"
                       r"including|among)\b)))\b(?!\s+(?:of|from)\s+(?:the\s+)?(?-i:[A-Z]))",
                       re.IGNORECASE)
# "the death toll rose to 23", "the toll from the attack has risen to 40", "bringing the death toll to 12"
DEATH_TOLL = re.compile(r"\b(?:death\s+toll|toll\s+of\s+(?:the\s+)?dead|number\s+of\s+(?:the\s+)?(?:dead|deaths|people\s+killed)|"
                        r"(?<=the )toll)\b(?:\s+(?:from|in|of)\s+[^,.;:]{1,60}?)?\s*(?:,\s*[^,.;]{1,40},\s*)?"
                        r"(?:(?:has|had|have)\s+)?(?:now\s+)?(?:rose|risen|rising|climbed|climbing|reached|increased|jumped|"
                        r"stood|stands|is|was|has\s+reached|hit|to|at)\s+(?:to\s+|at\s+)?(?=\S)", re.IGNORECASE)

# "2 fatalities", "1 fatality and 1 injured": a figure whose noun is the count of the dead itself
FATALITY_COUNT = re.compile(r"\s+fatalit(?:y|ies)\b(?!\s+(?:were\s+|are\s+)?(?:split|distributed|divided|coded))",
                            re.IGNORECASE)
# the text of a figure that is a total of the dead ("death toll rose to 23", "2 fatalities"): the event's total is
# at least it, whatever the figures by group add up to
TOTAL_TEXT = re.compile(r"^(?:" + DEATH_TOLL.pattern + r"|(?:at least\s+)?[\w-]+" + FATALITY_COUNT.pattern + r")",
                        re.IGNORECASE)
# what may stand between a person's passive verb and their fate: "a man was shot dead", "was found dead"
FATE_GAP = re.compile(r"(?:shot|stabbed|beaten|burned|tortured|strangled|found|later found|reportedly found)"
                      r"(?:\s+and)?\s+", re.IGNORECASE)  # fullmatch()ed up to the fate word
# a figure right after a passive's agent: "shot dead by several armed individuals", "wounded by two gunmen"
AGENT_BEFORE = re.compile(r"\b(?:killed|dead|injured|wounded|shot|attacked|stabbed|ambushed)\s+by\s+$", re.IGNORECASE)
# "96 people were detained in hospital": kept for treatment, not taken prisoner
HOSPITALISED = re.compile(r"\s+(?:(?:were|was|are|is|had\s+been|have\s+been)\s+)?(?:detained|held|kept)\s+"
                          r"(?:overnight\s+)?(?:in|at)\s+(?:a\s+|the\s+)?hospitals?\b", re.IGNORECASE)
