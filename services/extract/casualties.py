"""Casualty figures of a sentence (killed, wounded, captured, with the group each counts) and ACLED's rule for
totalling them over an event.

The vocabulary comes from ``lexicon.py``. ``casualty_figures`` is deterministic for a sentence, its actor
mentions and the event's country; ``conservative_total`` depends only on the (figure, sentence) pairs it is given.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import replace

from services.common.contracts import Casualty, Event

from .actors import ActorBook, ActorMention
from .dates import date_spans
from .lexicon import KIND, KIND_WORD
from .numbers import NUMBER_WORDS, Quantity, figure_value, find_quantities

_KIND_RE = re.compile(r"\b(?:" + "|".join(sorted((re.escape(k) for k in KIND_WORD), key=len, reverse=True)) + r")\b",
                      re.IGNORECASE)
_KIND_NEXT = re.compile(r"\s*" + _KIND_RE.pattern, re.IGNORECASE)  # "2 militants killed": a kind word right after
# "killing 13", "killed at least 6", "detained two": the verb right before the figure
_VERB_BEFORE = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in KIND_WORD if k != "lost their lives"),
                                                    key=len, reverse=True)) + r")\s+(?:(?:and|or)\s+(?!(?:and|or)\b)([a-z]+)\s+)?$",
                          re.IGNORECASE)
# "and 5 others were wounded": the figure's own passive verb, right after its phrase
_OWN_VERB = re.compile(r"\s*(?:(?:others?|more)\s+)?(?:were|was|have been|has been|had been)\s+(?:also\s+|reportedly\s+|"
                       r"later\s+)?(" + "|".join(sorted((re.escape(k) for k in KIND_WORD if " " not in k),
                                                      key=len, reverse=True)) + r")\b(?!\s+(?:or|and/or)\b)",
                       re.IGNORECASE)
# "detained the man, a facilitator, and three additional suspects": the clause's verb, further back
_CLAUSE_VERB = re.compile(r"\b(killed|killing|detained|detaining|arrested|arresting|captured|capturing|wounded|wounding|"
                          r"injured|injuring)\b(?![^.;:]*\b(?:by|when|after|as|while|during|following|said|and\s+\w+ed)\b)"
                          r"[^.;:]{0,80}$", re.IGNORECASE)
# words that may stand between a figure and the group it counts: "8 suspected Taliban", "2 Afghan soldiers"
_GROUP_GAP = re.compile(r"^[\s'‘’\"“]*(?:(?:more|other|additional|suspected|alleged|armed|afghan|local|foreign|"
                        r"senior|enemy|fellow|of\s+the|of\s+them|of|the|their|his|her|border|national|special|government|"
                        r"pro-government|security|heavily|weapons|key|top|targeted|former|known|wanted|cell|network|"
                        r"(?-i:[A-Z][a-z]+|[A-Z]{2,5}|[A-Z][a-z][A-Z])|\((?-i:[A-Z][A-Za-z]{1,5})\)|[a-z]+-[a-z]+)"
                        r"[\s'‘’\"“-]+){0,3}$")
# people a press release names by their role rather than by their group: "the targeted individual", "a suspected
# weapons facilitator", "two men", "one person of interest"
_ROLE = (r"(?:sub-?commanders?|commanders?|leaders?|facilitators?|financiers?|governors?|advis[eo]rs?|deputy|deputies|"
         r"emplacers?|operatives?|members?|fighters?|individuals?|m[ae]n|persons?|detainees?|occupants|personnel|"
         r"bombers?|planners?|experts?|chief|head|organi[sz]ers?|coordinators?|recruiters?|trainers?)")
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
_OBJECT_NOUN = re.compile(
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
_PASSIVE = re.compile(r"^\s*(?:[\w'’-]+\s+){0,2}?(?:was|were|has been|had been|have been|got)\s+(?:also\s+|reportedly\s+)?"
                      r"(?=\w)", re.IGNORECASE)
# "24 were wounded", "two others": the figure counts the group named just before
_ELIDED = re.compile(r"^\s*(?:others?\b|more\b|were\b|was\b|of them\b|people\b|persons\b|individuals\b|men\b|"
                     r"(?:others?|more)\s+were\b)", re.IGNORECASE)
_DEFINITE = re.compile(r"\b(?:killed|killing|arrested|arresting|detained|detaining|captured|capturing|apprehended)"
                       r"\s+(the)\s+", re.IGNORECASE)
_ROLE_NEXT = re.compile(r"[\s'‘’\"“]*(?:(?:[\w-]+|\([A-Za-z]{2,6}\))\s+){0,3}?(" + _ROLE + r")\b", re.IGNORECASE)
_ROLE_AFTER = re.compile(r"\s+(?:[a-z-]+\s+)?" + _ROLE + r"\b", re.IGNORECASE)
_ANOTHER = re.compile(r"\banother\b", re.IGNORECASE)
_ALONG_WITH = re.compile(r"\b(?:along with|together with|as well as)\s+$", re.IGNORECASE)
# people counted by their occupation, not by a group: civilians unless a force is named with them ("2 engineers",
# "a government official", "1 railroad worker"); "NDS employees", "police officers" are the force's own (actors.yaml)
_CIVILIAN_NEXT = re.compile(r"[\s'‘’\"“]*(?:[\w-]+\s+){0,2}?(engineers?|workers?|employees?|officials?|prosecutors?|"
                            r"judges?|teachers?|doctors?|nurses?|journalists?|reporters?|students?|contractors?|"
                            r"drivers?|labou?rers?|deminers?|clerics?|staff(?:ers)?|aid workers?|(guards?|bodyguards?)|child|girls?|"
                            r"boys?|woman|women|teenagers?|infants?|babies|baby|sons?|daughters?|brothers?|"
                            r"relatives?)\b(?!-)",
                            re.IGNORECASE)
# "targeted a Taliban commander, killing him": the pronoun counts the person just named
_PRONOUN = re.compile(r"\b(?:killing|killed|detaining|detained|arresting|arrested|capturing|captured|wounding|"
                      r"wounded|injuring|injured)\s+(him|her)\b", re.IGNORECASE)
# "militants shot and killed him": a verb of the figure's people, not their fate, when an object follows it and no
# auxiliary stands before it
_ACTIVE_OBJECT = re.compile(r"\s+(?:him|her|them|at least|a|an|the|one|two|three|four|five|\d+|his|their)\b", re.IGNORECASE)
_AUX_BEFORE = re.compile(r"\b(?:was|were|been|being|be|got|is|are)\s+(?:[a-z]+ly\s+|also\s+)?(?:\w+\s+and\s+)?$",
                         re.IGNORECASE)
_THEN_KILLED = re.compile(r"\s+and\s+(?:then\s+|later\s+|subsequently\s+)?(?:killed|executed|shot dead|murdered|"
                          r"beheaded)\b", re.IGNORECASE)
# "1 civilian who was a government official", "2 civilians who were students": the people just counted, described
_RESTATED = re.compile(r"\bwho\s+(?:was|were|is|are)\s+$", re.IGNORECASE)
_ONE_BEFORE = re.compile(r"\b(?:a|an|the|one|1)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
# "the Jaji police district chief was killed", "the Taliban's shadow governor for Paktia and 6 commanders were killed":
# one person, named by a group and a single role, with no number before them
_SINGLE_ROLE = r"(?:sub-?commander|commander|leader|governor|chief|head|deputy|official|spokesman)"
_GROUP_ROLE = re.compile(r"(?:['’]s)?\s+(?:(?!(?:and|or|of|in|on|at|by|for|with|was|were)\b)[\w-]+\s+){0,3}?"
                         + _SINGLE_ROLE + r"\b(?!-)(?:\s+(?:for|of|in)\s+(?-i:[A-Z][\w-]+)(?:\s+(?:province|district))?)?",
                         re.IGNORECASE)
_SURFACE_ROLE = re.compile(r".*\b" + _SINGLE_ROLE + r"$", re.IGNORECASE)
_BARE_START = re.compile(r"(?:^|[,;:]\s*|\band\s+|\bthe\s+|(?-i:[A-Z][\w-]*)\s+(?:(?:district|province|provincial|city|"
                         r"deputy|former|acting)\s+)?)$")
# what may stand between such a person and the passive verb they share: "for Paktia and 6 commanders including ..."
_BARE_PASSIVE = re.compile(r"\s*(?:,?\s*(?:and|along with)\s+[^,;.]{1,60}?)?\s+(?:was|were|has been|had been|have been)"
                           r"\s+(?:also\s+|reportedly\s+)?", re.IGNORECASE)
_THE_ROLE = re.compile(r"\b(the)\s+(?:[\w-]+\s+){0,2}?" + _ROLE + r"\b", re.IGNORECASE)
# "Qari Ziauddin, the Taliban shadow governor", "Sangari, an insurgent leader,": one named person
_NAMED = re.compile(r"(?<![\w.])((?:(?:Mullah|Mawlawi|Maulawi|Maulvi|Mawlavi|Qari|Haji|Hajji|Mufti|Sheikh|Shaikh|"
                    r"Commander|Doctor|Dr\.)\s+)?(?-i:[A-Z][a-z]+)(?:\s+(?-i:[A-Z][a-z]+)){0,3}),\s+(?:a|an|the)\s+"
                    r"(?:[\w'’()-]+\s+){0,5}?" + _ROLE + r"\b", re.IGNORECASE)
_NOT_A_NAME = re.compile(r"^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|"
                         r"May|June|July|August|September|October|November|December|Afghanistan|Kabul|Officials?|"
                         r"Meanwhile|However|Also|Additionally|The|This|That|He|She|They|It)\b")
# "the commander and three additional suspects were detained", "the individual associated with the cache was
# detained": a person named by role shares the passive verb after the phrase
_ROLE_PASSIVE = re.compile(r"[^,;:.]{0,70}?\b(?:was|were|has been|had been|have been)\s+(?:also\s+|later\s+|"
                           r"subsequently\s+)?", re.IGNORECASE)
# what may join two figures of one list: "1 policeman and 2 militants", "the leader along with three associates"
_LISTED = re.compile(r"[\s,]*(?:(?:and|along with|together with|as well as|plus)\s+)?", re.IGNORECASE)
_LISTED_START = re.compile(r"\s*,?\s*(?:and|along with|together with|as well as)\b", re.IGNORECASE)
_LISTED_ROLE = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+)(?!(?:a|an|the|his|her|their|its|several|many|numerous|"
                          r"multiple|some|few|" + "|".join(NUMBER_WORDS) + r")\b)((?:[a-z-]+\s+)?"
                          + _ROLE + r")\b(?!\s+of\b)", re.IGNORECASE)
_NEUTRAL_PERSON = re.compile(r"\s+(?:(?:young|old|elderly|local|unidentified|other|more)\s+)?(?:m[ae]n|persons?|"
                             r"individuals?)\b(?!\s+(?:of|from|with|in)\s+(?:the\s+)?(?-i:[A-Z]))", re.IGNORECASE)
_PLURAL = re.compile(r".*(?:[^s]s|men)$", re.IGNORECASE)  # "insurgents", "policemen"; not "Taliban"
_PLURAL_NEXT = re.compile(r"\s+(?:[a-z-]+\s+)?(?:leaders|commanders|members|fighters|facilitators|operatives|"
                          r"suspects|men)\b", re.IGNORECASE)
_SUBSET = re.compile(r"\b(?:including|among them|among whom|of whom|such as)\b(?![^.;]*\b(?:were|was|killed|wounded|"
                     r"injured|detained|arrested)\b)[^.;]{0,60}$", re.IGNORECASE)
# a party's claim about its enemy's losses is kept as a claim but is not a credible figure
_PARTISAN = re.compile(r"\bTaliban(?:'s)? (?:claimed|claims|said|says|disputed|denied|spokesm[ae]n)|"
                       r"according to (?:the )?Taliban|\bMujahid\b|\bYousuf Ahmadi\b|Taliban (?:also )?(?:claim|say)|"
                       r"\b(?:the )?(?:militants|insurgents) (?:also )?claim(?:ed|s)?\b",
                       re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[;:]|\b(?:said|says|told|according|claimed|while|after|before|but)\b", re.IGNORECASE)


_SEQUEL = re.compile(r"\b(?:also|additionally|in addition|further)\b", re.IGNORECASE)
_SEPARATE = re.compile(r"\b(?:another|separately|a separate)\b", re.IGNORECASE)  # "an attack on another base"
_MORE_PEOPLE = re.compile(r"^(?:another\b|[\w-]+(?:\s+\w+){0,2}?\s+(?:other|others|additional|more)\b)", re.IGNORECASE)
_PRECISE = re.compile(r"^(?:(?:at least|more than|over|about|around|nearly|almost|approximately|roughly|up to|"
                      r"as many as)\s+)?"
                      r"(?:\d|(?:a\s+)?dozen\b|(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b)",
                      re.IGNORECASE)


def _figure_traits(c: Casualty, sentence: str) -> tuple[bool, bool]:
    """(precise, additional) of one figure: written as a number ("two", "at least 13"), not as a person
    ("a Taliban leader", "Qari Ziauddin") or a vague word ("several"); and counting people besides those
    already reported ("two additional suspects", "the force also detained two men")."""
    at = sentence.find(c.text)
    before = sentence[:at] if at >= 0 else ""
    additional = bool(_MORE_PEOPLE.match(c.text) or _SEQUEL.search(before[-80:]) or _SEPARATE.search(sentence))
    # "killing the two attackers": people already counted, named again
    anaphoric = at >= 0 and re.search(r"\bthe\s+$", before, re.IGNORECASE) is not None
    return bool(_PRECISE.match(c.text)) and not anaphoric, additional


def conservative_total(figures: Iterable[tuple[Casualty, str]], kind: str = "killed",
                       groups: Container[str] | None = None) -> int:
    """The ACLED rule over (casualty, sentence) pairs: within one sentence the figures of one group
    add up ("1 policeman and 4 local policemen", "the leader and three of his associates"); across
    sentences (separate reports or claims) each group counts with its lowest figure; groups add up.

    A sentence that only names people ("captured a Taliban leader") or gives a vague word ("several")
    is a lower bound, not a competing report: a sentence with a written number wins over it, else the
    largest such bound counts. A sentence whose figures all count people besides those already reported
    ("the force also detained two suspects", "two other insurgents") adds to the total, unless it
    repeats a figure an earlier sentence already listed as additional. A party's claim about its enemy's
    losses ("the Taliban claimed 10 soldiers were killed") does not count."""
    per_sentence: dict[str, dict[str, list[tuple[int, bool, bool]]]] = {}
    for c, sentence in figures:
        if c.kind != kind or (groups is not None and c.group not in groups) or _PARTISAN.search(sentence):
            continue
        bucket = per_sentence.setdefault(sentence, {})
        bucket.setdefault(c.group, []).append((figure_value(c.min, c.max), *_figure_traits(c, sentence)))
    lowest: dict[str, int] = {}
    bound: dict[str, int] = {}
    extra: dict[str, int] = {}
    listed_extra: set[tuple[str, int]] = set()
    earlier = False
    for bucket in per_sentence.values():
        for group, items in bucket.items():
            n = sum(i[0] for i in items)
            if all(i[2] for i in items) and earlier:
                if all((group, i[0]) in listed_extra for i in items):
                    continue  # "Two other insurgents were also captured", restating the list above
                extra[group] = extra.get(group, 0) + n
            elif any(i[1] for i in items):
                lowest[group] = min(lowest.get(group, n), n)
                listed_extra |= {(group, i[0]) for i in items if i[2]}
            else:
                bound[group] = max(bound.get(group, n), n)
        earlier = True
    return sum(lowest.get(g, bound.get(g, 0)) for g in lowest.keys() | bound.keys()) + sum(extra.values())


def event_total(event: Event, kind: str = "killed", groups: Container[str] | None = None) -> int:
    """``conservative_total`` of an extracted event (its casualties paired with their claims)."""
    return conservative_total(zip(event.casualties, (c.statement for c in event.claims), strict=False), kind, groups)


def _named_people(sent: str, mentions: list[ActorMention]) -> dict[int, int]:
    """Start of each person named with a role ("Qari Ziauddin, the Taliban shadow governor") -> end of the role."""
    out = {}
    for m in _NAMED.finditer(sent):
        name = m.group(1)
        if _NOT_A_NAME.match(name) or find_quantities(name.split()[0]) or \
                any(x.start < m.end(1) and x.end > m.start(1) for x in mentions):
            continue
        out[m.start(1)] = m.end()
    return out


def _is_plural(role: str) -> bool:
    role = role.lower()
    return role.endswith("s") or role.endswith("men") or role in ("personnel", "deputies")


def casualty_figures(sent: str, actors: ActorBook, mentions: list[ActorMention] | None = None,
                     country: str | None = None) -> list[Casualty]:
    """Killed/wounded/captured figures in one sentence, each with the group it counts.

    A figure counts people only when an actor's name follows it (``13 militants``, ``2 Afghan
    soldiers``), it refers back to the group just counted (``and 24 were wounded``), or it counts people by
    their role (``two men``, ``the targeted individual``, ``Sangari, an insurgent leader``): people a
    government or foreign force detains, kills or wounds are counted as suspected insurgents, and people
    detained by nobody named as well; people an armed group takes are not counted by role. Its kind comes
    from the verb right before it (``killing 13``), else from the first casualty word after the group
    (``were killed``), else from the figure it is listed with (``killing 1 policeman and 2 militants``,
    ``detained the leader along with three of his associates``); a figure's own passive verb right after it wins
    (``15 militants were killed and 5 others were wounded``). Also counted: a pronoun for the single person just
    named (``targeted a Taliban commander, killing him``), a group's office holder with no number (``Jaji police
    district chief was killed``), and people named by occupation or family (``2 engineers``, ``3 of his sons``).
    A group naming a thing (``a NATO airstrike``, ``a militant tunnel system``) counts nobody.
    Ambiguous pairs (``killed or wounded``, ``killing and injuring``) are not counted as either."""
    skip = date_spans(sent)
    mentions = actors.find(sent) if mentions is None else mentions
    # groups are named for the event's country, so "militants" and "Taliban" in Afghanistan are one group
    mentions = [replace(x, name=actors.resolve(x.name, country)) for x in mentions] if country else mentions
    suspects, soldiers = actors.resolve(actors.suspects, country), actors.resolve(actors.soldiers, country)
    out: list[Casualty] = []
    prev: tuple[str, str, int] | None = None  # kind, group, end of the figure's phrase
    quantities = find_quantities(sent)
    # "arrested the senior Taliban leader": one person, though no number is written
    quantities += [Quantity(1, 1, False, m.start(1), m.end(1), m.group(1)) for m in _DEFINITE.finditer(sent)]
    quantities += [Quantity(1, 1, False, m.start(), m.end(), m.group()) for m in _ANOTHER.finditer(sent)]
    # "The individual associated with the cache was detained": one person named by role
    starts = {q.start for q in quantities}
    quantities += [Quantity(1, 1, False, m.start(1), m.end(1), m.group(1)) for m in _THE_ROLE.finditer(sent)
                   if m.start(1) not in starts]
    named = _named_people(sent, mentions)
    quantities = [q for q in quantities if not any(a < q.start < b for a, b in named.items())]
    quantities += [Quantity(1, 1, False, a, b, sent[a:b]) for a, b in named.items()
                   if not any(q.start <= a < q.end for q in quantities)]
    # people whose group is known before their figure is read: (group, end of their phrase, kind only from their own
    # passive verb, where the person a pronoun stands for is named)
    known: dict[int, tuple[str, int, bool, int]] = {}
    for pm in _PRONOUN.finditer(sent):
        # "targeted a Taliban commander, killing him": the last single person named before the verb
        antecedent = next((x for x in reversed(mentions) if x.end <= pm.start() and
                           _ONE_BEFORE.search(sent, max(0, x.start - 30), x.start) and
                           (not _PLURAL.match(x.surface) or _SURFACE_ROLE.match(x.surface))), None)
        if antecedent is not None:
            quantities.append(Quantity(1, 1, False, pm.start(1), pm.end(1), pm.group(1)))
            known[pm.start(1)] = (antecedent.name, pm.end(1), False, antecedent.start)
    for x in mentions:
        if _PLURAL.match(x.surface) and not _SURFACE_ROLE.match(x.surface) or \
                not _BARE_START.search(sent, max(0, x.start - 40), x.start) or \
                any(q.start <= x.start < q.end + 40 and _GROUP_GAP.match(sent[q.end:x.start]) for q in quantities):
            continue
        gm = _GROUP_ROLE.match(sent, x.end)
        end = gm.end() if gm else x.end if _SURFACE_ROLE.match(x.surface) else None
        if end is not None and not _PLURAL_NEXT.match(sent, end):
            quantities.append(Quantity(1, 1, False, x.start, end, sent[x.start:end]))
            known[x.start] = (x.name, end, True, -1)
    quantities.sort(key=lambda x: x.start)
    civilians = actors.resolve(actors.civilians, country)
    counted: list[tuple[int, int]] = []  # the phrases of the figures found so far
    part_of: tuple[str, int] | None = None  # the group and end of the last figure read as a breakdown
    for q in quantities:
        article = q.text.lower() in ("a", "an", "the", "another")
        group, gend, role, roled = None, q.end, False, False
        if q.start in known:
            group, gend = known[q.start][:2]
            if any(a <= known[q.start][3] < b for a, b in counted):
                continue  # "1 soldier was killed when militants shot and killed him": counted already
        elif q.start in named:
            gend, role = named[q.start], True
            inner = next((x for x in mentions if q.end <= x.start and x.end <= gend), None)
            group = inner.name if inner is not None else None
        else:
            m = next((m for m in mentions if m.start >= q.end), None)
            if m is not None and _GROUP_GAP.match(sent[q.end:m.start]) and not _OBJECT_NOUN.match(sent, m.end) and \
                    not (q.text.lower() == "the" and (_PLURAL.match(m.surface) or _PLURAL_NEXT.match(sent, m.end))):
                group, gend = m.name, m.end
                rm = _ROLE_AFTER.match(sent, gend)  # "a Taliban sub-commander": the phrase ends with the role
                if rm:
                    gend, roled = rm.end(), True
            else:
                rm = _ROLE_NEXT.match(sent, q.end)
                cm = _CIVILIAN_NEXT.match(sent, q.end) if civilians is not None else None
                if cm and rm and cm.end(1) <= rm.start(1):
                    rm = None  # "two NGO staff members": the occupation names them
                if rm and not any(q.end <= x.start < rm.end(1) for x in mentions) and \
                        not (article and _is_plural(rm.group(1))) and \
                        not (q.text.lower() == "the" and _PLURAL_NEXT.match(sent, rm.end(1))):
                    gend, role = rm.end(1), True
                    om = re.match(r"\s+of\s+(?:the\s+)?", sent[gend:])
                    inner = next((x for x in mentions if om and x.start == gend + om.end()), None)
                    if inner is not None:  # "the head of police counterterrorism": the force named with the role
                        group, gend = inner.name, inner.end
                elif civilians is not None and cm and \
                        not any(q.end <= x.start < cm.end(1) for x in mentions) and \
                        not (article and _is_plural(cm.group(1))):
                    # guards stand at a force's posts: counted with its soldiers, not as civilians
                    group, gend = (soldiers if cm.group(2) else civilians), cm.end(1)
            if group is None and not role and q.text.lower() == "the":
                continue
        if any(a <= q.start < b or a < q.end <= b for a, b in skip):
            continue
        # a figure of another side is listed after the part, not inside it ("4 civilians including 3 aid staff,
        # 1 policeman and 4 militants")
        other_side = group is not None and prev is not None and actors.side.get(group) != actors.side.get(prev[1])
        if _SUBSET.search(sent[max(0, q.start - 70):q.start]) and not other_side or \
                (prev is not None and re.match(r"\s+of (?:them|whom)\b", sent[q.end:])):
            continue  # "13 militants including 2 commanders", "12 civilians, 6 of them women": a part of a whole
        if group is not None and not article and prev is not None and group == prev[1] and \
                (re.fullmatch(r"\s*,\s*", sent[prev[2]:q.start]) or
                 part_of is not None and part_of[0] == group and _LISTED.fullmatch(sent[part_of[1]:q.start])):
            part_of = (group, gend)
            continue  # "5 civilians, 3 women and 2 children, were killed": a breakdown of the figure just given
        if prev is not None and _RESTATED.search(sent, max(0, q.start - 20), q.start) or \
                article and q.text.lower() != "the" and prev is not None and \
                re.fullmatch(r"\s*,\s*", sent[prev[2]:q.start]):
            continue  # "detained the man, an IED facilitator, and ...": the same person again
        elided = False
        if group is None and not role and not article and prev is not None and _ELIDED.match(sent[q.end:]):
            group, gend, elided = prev[1], q.end, True
        before = [x for x in mentions if x.end <= q.start]
        if group is None and not role and not article and \
                _VERB_BEFORE.search(sent[max(0, q.start - 40):q.start]) and \
                re.match(r"\s*(?:[,.;]|and\b|or\b|others?\b|more\b|people\b|of (?:them|the)\b|$)", sent[q.end:]):
            # "clashed with Taliban militants, killing 7": the side named last before the verb that is
            # not the side of the sentence's subject (its first actor); "security forces responded, killing
            # one": the armed group a government force fights
            other = [x for x in before if x.side != before[0].side]
            if other:
                group, gend, elided = other[-1].name, q.end, True
            elif before and all(x.side in ("state", "foreign") for x in before) and suspects:
                group, gend, elided = suspects, q.end, True
        if group is None and not role:
            continue
        kind, ambiguous = None, False
        vb = _VERB_BEFORE.search(sent[max(0, q.start - 40):q.start])
        if vb and re.search(r"\b(?:was|were|been)\s+$", sent[max(0, q.start - 60):q.start - len(vb.group(0))]):
            vb = None  # "6 militants were killed 5 militants and 3 police were wounded": a passive takes no object
        own = _OWN_VERB.match(sent, gend)
        if q.start in known and known[q.start][2]:
            bp = _BARE_PASSIVE.match(sent, gend)
            km = _KIND_RE.match(sent, bp.end()) if bp else None
            if km is None:
                continue
            kind = KIND_WORD[km.group(0).lower()]
            ambiguous = bool(re.match(r"\s+(?:or|and/or)\s+(?!" + re.escape(km.group(0)) + r")", sent[km.end():]))
        elif own:  # "killed and 5 others were wounded": the figure's own verb wins over the one before it
            kind = KIND_WORD[own.group(1).lower()]
            if kind == "captured" and _THEN_KILLED.match(sent, own.end()):
                kind = "killed"  # "was abducted and killed"
        elif vb:
            kind = KIND_WORD[vb.group(1).lower()]
            if vb.group(2) and KIND_WORD.get(vb.group(2).lower(), kind) != kind:
                ambiguous = True
        if kind is None and prev is not None and _LISTED.fullmatch(sent[prev[2]:q.start]) and \
                not _KIND_NEXT.match(sent, gend) and not re.match(r"\s*(?:were|was)\b", sent[gend:]):
            kind = prev[0]  # "killing 1 policeman and 2 Taliban militants"
        if kind is None and prev is not None and _ALONG_WITH.search(sent[:q.start]):
            kind = prev[0]  # "detained the leader, who ..., along with one suspected insurgent"
        if kind is None:
            after = sent[gend:gend + 110]
            km = _KIND_RE.search(after)
            if km and article and not (_PASSIVE.match(after) and _PASSIVE.match(after).end() == km.start()) and \
                    not ((role or roled or _LISTED_START.match(after)) and _ROLE_PASSIVE.fullmatch(after[:km.start()])):
                km = None  # "an Arbaki base, killing 6": only "an insurgent was killed" counts one
            if km and _ACTIVE_OBJECT.match(after, km.end()) and not _AUX_BEFORE.search(after, 0, km.start()):
                km = None  # "2 militants on a motorbike shot and killed him": they did the killing
            if km and not _CLAUSE_BREAK.search(after[:km.start()]) and not _OBJECT_NOUN.match(after[:km.start()]):
                kind = KIND_WORD[km.group(0).lower()]
                if kind == "captured" and _THEN_KILLED.match(after, km.end()):
                    kind = "killed"  # "was kidnapped and killed", "detained and later executed"
                alt = re.match(r"\s+(?:or|and/or)\s+(\w+)", after[km.end():])
                if alt:
                    ambiguous = KIND_WORD.get(alt.group(1).lower(), kind) != kind
        if kind is None and not article and not elided:
            near = sent[max(0, q.start - 15):q.start]
            if not re.search(r"\b(?:when|after|as|while|because|before)\s+$", near, re.IGNORECASE):
                kind = next((k for k, rx in KIND if rx.search(near)), None)  # not "was killed when 2 militants"
        if kind is None and not elided:
            cv = _CLAUSE_VERB.search(sent[max(0, q.start - 100):q.start])
            if cv:
                kind = KIND_WORD[cv.group(1).lower()]
        if kind is None:
            continue
        if group is None and prev is not None and _LISTED_START.match(sent, prev[2]) and \
                _LISTED.fullmatch(sent[prev[2]:q.start]):
            group = prev[1]  # "the shadow governor and 8 commanders": a role listed with a figure shares its group
        if group is None:  # counted by role: whose people they are follows from who took or hit them
            subject = before[0].side if before else None
            if kind != "captured" and subject not in ("state", "foreign") and civilians is not None and \
                    _NEUTRAL_PERSON.match(sent, q.end):
                group = civilians  # "two men were shot dead", "a person was killed by gunmen": people, not fighters
            elif subject == "nonstate" or (kind != "captured" and subject not in ("state", "foreign")):
                continue
            else:
                group = suspects
            if group is None:
                continue
        prev = (kind, group, gend)
        if ambiguous:
            continue
        text = sent[q.start:min(len(sent), gend + 45)].strip()
        out.append(Casualty(group=group, kind=kind, min=q.min, max=q.max, lower_bound=q.lower_bound, text=text))
        counted.append((q.start, gend))
        # "a Taliban leader and facilitator", "the commander, facilitator and two of their associates": one more
        # person for each role listed without a number
        pos = gend
        while (lm := _LISTED_ROLE.match(sent, pos)) and not _is_plural(lm.group(1)):
            pos = lm.end()
            out.append(Casualty(group=group, kind=kind, min=1, max=1, lower_bound=False,
                                text=sent[lm.start(1):min(len(sent), pos + 45)].strip()))
            prev = (kind, group, pos)
    return out
