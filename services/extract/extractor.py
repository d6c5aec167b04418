"""Story -> events. ``Extractor`` is the pluggable interface; ``RuleExtractor`` the default.

The default extractor is offline and deterministic: it splits the text into sentences, finds
places (gazetteer), event triggers (classify), dates (resolved against the dateline or the
publication time), actors and casualty figures in each, drops background sentences, and groups
what remains into one event per place and kind of event. Every event keeps the sentences it
came from, with character offsets into ``story.text``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from services.common.contracts import Actor, Casualty, Claim, Event, Evidence, Source, Story

from .actors import ActorBook, ActorMention, default_actor_book
from .classify import CASUALTY_ONLY, Trigger, classify
from .dates import DATELINE, DateRef, date_spans, dateline_date, find_dates, is_background
from .gazetteer import Gazetteer, Mention, Place, default_gazetteer
from .numbers import NUMBER_WORDS, Quantity, figure_value, find_quantities
from .world import BIG_CITY, WorldGazetteer, default_world

EXTRACTOR_NAME = "rules/0.3"


class Extractor(Protocol):
    """Anything that turns a story into events. Must be deterministic for a given story and version:
    event ids are derived from the output, and replays must produce the same ids."""

    name: str

    def extract(self, story: Story) -> list[Event]: ...


# -- sentences -----------------------------------------------------------------------------------

_ABBREV = re.compile(r"(?:\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mr|Mrs|Ms|Dr|Gen|Col|Lt|Capt|Sgt|"
                     r"St|No|Gov|Rep|Sen|Prof|U\.S|U\.N|a\.m|p\.m|vs|etc)|\b[A-Z])\.$")
_BOUNDARY = re.compile(r"[.!?]['\"”’)]*\s+(?=[\"“‘'(]?[A-Z0-9])|\n+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.start() + (1 if text[m.start()] in ".!?" else 0)
        candidate = text[start:end]
        if text[m.start()] == "." and _ABBREV.search(candidate):
            continue
        if candidate.strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    # trim surrounding whitespace from every span
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


# -- per-sentence analysis ---------------------------------------------------------------------

_PROVINCE_AFTER = re.compile(r"^\s*(?:province|provinces|provincial)\b", re.IGNORECASE)
_PROVINCE_BEFORE = re.compile(r"\bprovinces? of\s*$|\bprovince,?\s*$", re.IGNORECASE)
_CITY_AFTER = re.compile(r"^\s*(?:city|district|districts|town|airport|prison)\b", re.IGNORECASE)
_CITY_BEFORE = re.compile(r"(?:\bcity of|\bcapital(?: city)?(?: of)?|\bprovincial capital(?: of)?|\btown of|"
                          r"\boutside|\bsuburbs of|\bdistrict of)\s*(?:the\s+)?$", re.IGNORECASE)
_UNKNOWN_DISTRICT = re.compile(r"\b([A-Z][a-z]+(?:[-\s][a-z]{1,2})?(?:[-\s][A-Z][a-z]+)?)\s+district\b")
_NOT_VERIFIED = re.compile(r"(?:could|can)\s*not\s+(?:be\s+)?independently\s+(?:be\s+)?verif|"
                           r"unverified|not be independently confirmed", re.IGNORECASE)
_SPEAKER = re.compile(
    r"(?:said|told|according to|confirmed|claimed)\s+(?:by\s+)?((?:[A-Z][\w'’.-]+\s?){1,4}(?:,\s+(?:a|an|the)\s+[^,.;\"”]{3,80})?)"
    r"|((?:[A-Z][\w'’.-]+\s(?:(?:of|the|for)\s)?){1,5})(?:,\s+(?:a|an|the)\s+[^,]{3,80},\s+)?"
    r"(?:said|told|confirmed|claimed)")
_KIND = [("killed", re.compile(r"\b(?:killed|killing|dead|died|deaths?|lost their lives|bodies|martyred|"
                               r"eliminated|lifeless)\b", re.IGNORECASE)),
         ("wounded", re.compile(r"\b(?:wounded|wounding|injured|injuring|injuries|hurt)\b", re.IGNORECASE)),
         ("captured", re.compile(r"\b(?:captured|detained|arrested|taken (?:hostage|prisoner)|hostages?|"
                                 r"surrendered)\b", re.IGNORECASE))]


@dataclass
class SentenceInfo:
    start: int
    end: int
    text: str
    places: list[Place]
    trigger: Trigger | None
    dates: list[DateRef]
    actors: list[ActorMention]
    background: bool
    paragraph: int
    casualty_words: bool


@dataclass
class _Draft:
    place: Place
    trigger: Trigger
    sentences: list[SentenceInfo] = field(default_factory=list)

    def add(self, info: SentenceInfo) -> None:
        """A sentence joins once: a sentence naming two places of one event ("Girishk" and "Nahri Saraj district")
        would otherwise be read, and its casualties counted, twice."""
        if all(x.start != info.start for x in self.sentences):
            self.sentences.append(info)

    @property
    def key(self) -> tuple:
        return (self.place.admin1, self.place.admin2 if self.place.kind != "province" else None,
                self.trigger.sub_event_type)


def _resolve(m: Mention, text: str, trigger: Trigger | None, provinces_in_story: set[str],
             provinces_in_sentence: set[str] | frozenset[str] = frozenset()) -> Place | None:
    after = text[m.end:m.end + 20]
    before = text[max(0, m.start - 40):m.start]
    provs = [c for c in m.candidates if c.kind == "province"]
    others = [c for c in m.candidates if c.kind != "province"]
    if provs and (_PROVINCE_AFTER.match(after) or _PROVINCE_BEFORE.search(before)):
        return provs[0]
    if others:
        # a district/city name: prefer one in a province the sentence, else the story, names
        others.sort(key=lambda c: (c.admin1 not in provinces_in_sentence, c.admin1 not in provinces_in_story,
                                   c.kind != "district", not c.is_capital))
        if not provs:
            return others[0]
        capital = next((c for c in others if c.is_capital), None)
        if capital and (_CITY_AFTER.match(after) or _CITY_BEFORE.search(before)):
            return capital
        if capital and trigger and trigger.sub_event_type in (
                "Non-state actor overtakes territory", "Non-violent transfer of territory",
                "Government regains territory"):
            return capital  # cities fall; provinces are overrun district by district
    return provs[0] if provs else None


# "Baharak district, Takhar", "Tagab district of Kapisa province", "Qalat city, Zabul": the province
# named right after a district decides which district of that name is meant
_IN_PROVINCE = re.compile(r"^(?:\s*\([^)]{1,40}\))?[^.;()]{0,40}?\b(?:district|districts|city|area|village|town|"
                          r"center|centre|bazaar|bazar|highway)\b[\s,]*(?:of\s+|in\s+)?(?:the\s+)?$",
                          re.IGNORECASE)


_LANGUAGE = re.compile(r"[\s-]*(?:speaking|speakers?|language|dialect)\b", re.IGNORECASE)


_WHOLE_NAME = re.compile(r"\s*(?:\([^)]{1,40}\)\s*)?(?:district|city)\b", re.IGNORECASE)


def _explicit_provinces(mentions: list[Mention], text: str) -> set[str]:
    """Provinces a text names as provinces (a name that is only a province, or is marked as one)."""
    out = set()
    for m in mentions:
        provs = [c for c in m.candidates if c.kind == "province"]
        if not provs:
            continue
        others = [c for c in m.candidates if c.kind != "province"]
        if not others or _PROVINCE_AFTER.match(text[m.end:m.end + 20]) or \
                _PROVINCE_BEFORE.search(text[max(0, m.start - 40):m.start]) or \
                re.match(r"^\s*(?:[.;]|$)", text[m.end:m.end + 3]) and re.search(r",\s*$", text[:m.start]):
            out.add(provs[0].admin1)
    return out


def _places_in(sentence: str, gaz: Gazetteer, trigger: Trigger | None, story_provs: set[str]) -> list[Place]:
    places: list[Place] = []
    mentions = [m for m in gaz.find(sentence) if not m.surface.isupper() and
                not _LANGUAGE.match(sentence, m.end)]
    # "KABUL (Tolo News):" is where the report was filed, not where it happened: upper case is skipped
    sent_provs = _explicit_provinces(mentions, sentence)
    for i, m in enumerate(mentions):
        p = _resolve(m, sentence, trigger, story_provs, sent_provs)
        if p is not None and p.kind != "province":
            nxt = next((n for n in mentions[i + 1:] if any(c.kind == "province" for c in n.candidates)), None)
            if nxt is not None and _IN_PROVINCE.match(sentence[m.end:nxt.start]):
                prov = next(c for c in nxt.candidates if c.kind == "province")
                if p.admin1 != prov.admin1:
                    inside = next((c for c in m.candidates if c.admin1 == prov.admin1 and c.kind != "province"), None)
                    inside = inside or gaz.fuzzy_district(m.surface, prov.admin1)
                    # a whole district name that exists in one other province only: the district is more
                    # specific than the province written beside it ("Sangin district, Ghazni")
                    whole = _WHOLE_NAME.match(sentence, m.end) is not None and \
                        len({c.admin1 for c in m.candidates if c.kind != "province"}) == 1
                    p = inside or (p if whole else prov)
        if p and p not in places:
            places.append(p)
    # "Qushtifa district of Jowzhan": a district the list spells differently
    known = {p.admin2 for p in places if p.admin2}
    for m in _UNKNOWN_DISTRICT.finditer(sentence):
        name = m.group(1)
        if any(name.lower() in (p.name.lower(), (p.admin2 or "").lower()) for p in places):
            continue
        if any(x.start <= m.start(1) < x.end or m.start(1) <= x.start < m.end(1) for x in mentions):
            continue  # part of a name already found ("Dara i Sufi Payan" beside "Dara")
        prov = next((p.admin1 for p in places if p.kind == "province"), None)
        d = gaz.fuzzy_district(name, prov)
        if d and d.admin2 not in known:
            places.append(d)
    return places


def _most_specific(places: list[Place]) -> list[Place]:
    """Districts and places win over the provinces that contain them, and both over their country."""
    specific = [p for p in places if p.kind not in ("province", "country")]
    covered = {p.admin1 for p in specific}
    out = specific + [p for p in places if p.kind == "province" and p.admin1 not in covered]
    countries = {p.country for p in out}
    return out + [p for p in places if p.kind == "country" and p.country not in countries]


_DIVISION_AFTER = re.compile(r"^\s*(?:province|provinces|provincial|state|governorate|region|oblast|department|"
                             r"county|prefecture)\b", re.IGNORECASE)
_COUNTRY_AFTER = re.compile(r"^\s*(?:,|\bin\b)\s*")
_COUNTRY_BEFORE = re.compile(r"(\w+)['’]s?\s*(?:\w+\s+)?$")


def _world_places(sentence: str, world: WorldGazetteer, story_countries: set[str]) -> list[Place]:
    """Places of the world gazetteer in a sentence of a story the curated list found nothing in.

    A country is always taken. A subdivision or town is taken when its country is named right after it
    ("Mosul, Iraq", "Peshawar in Pakistan") or anywhere in the story, when it is marked as a division
    ("Sindh province"), when its name has several words, or when it is a city of a million people; among
    places of one name, those in a country the story names come first, then the most populous."""
    places: list[Place] = []
    for m, cands in world.find(sentence):
        if m.surface.isupper() or _LANGUAGE.match(sentence, m.end):
            continue
        if cands[0].place.kind == "country":
            places.append(cands[0].place)
            continue
        after = sentence[m.end:m.end + 60]
        qual = _COUNTRY_AFTER.match(after)
        qual_cc = world.country_named(after[qual.end():]) if qual else None
        if qual_cc is None:
            owner = _COUNTRY_BEFORE.search(sentence[max(0, m.start - 40):m.start])  # "Iraq's Anbar province"
            qual_cc = world.country_named(owner.group(1)) if owner else None
        division = bool(_DIVISION_AFTER.match(after) or _PROVINCE_BEFORE.search(sentence[max(0, m.start - 40):m.start]))
        pool = [w for w in cands if w.place.country == qual_cc] if qual_cc else list(cands)
        if not pool:
            continue
        pool.sort(key=lambda w: (w.place.country not in story_countries,
                                 (w.place.kind != "province") if division else (w.place.kind != "place"),
                                 -w.population))
        best = pool[0]
        anchored = qual_cc is not None or best.place.country in story_countries or division or \
            len(m.surface.split()) > 1 or "-" in m.surface or best.population >= BIG_CITY
        if anchored:
            places.append(best.place)
    return places


# -- casualty figures ------------------------------------------------------------------------------

_KIND_WORD = {"killed": "killed", "killing": "killed", "kill": "killed", "kills": "killed", "dead": "killed",
              "died": "killed", "dying": "killed", "martyred": "killed", "eliminated": "killed", "lifeless": "killed",
              "bodies": "killed", "deaths": "killed", "death": "killed", "lost their lives": "killed",
              "wounded": "wounded", "wounding": "wounded", "injured": "wounded", "injuring": "wounded",
              "injuries": "wounded", "hurt": "wounded",
              "captured": "captured", "capturing": "captured", "detained": "captured", "detaining": "captured",
              "arrested": "captured", "arresting": "captured", "taken hostage": "captured",
              "taken prisoner": "captured", "hostage": "captured", "hostages": "captured", "surrendered": "captured",
              "abducted": "captured", "abducting": "captured", "kidnapped": "captured", "detention": "captured",
              "apprehended": "captured", "in custody": "captured", "into custody": "captured",
              "in the custody": "captured", "capture of": "captured",
              "arrest of": "captured", "arrests of": "captured", "detention of": "captured",
              "killing of": "killed", "deaths of": "killed", "death of": "killed"}
_KIND_RE = re.compile(r"\b(?:" + "|".join(sorted((re.escape(k) for k in _KIND_WORD), key=len, reverse=True)) + r")\b",
                      re.IGNORECASE)
_KIND_NEXT = re.compile(r"\s*" + _KIND_RE.pattern, re.IGNORECASE)  # "2 militants killed": a kind word right after
# "killing 13", "killed at least 6", "detained two": the verb right before the figure
_VERB_BEFORE = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in _KIND_WORD if k != "lost their lives"),
                                                    key=len, reverse=True)) + r")\s+(?:(?:and|or)\s+(?!(?:and|or)\b)([a-z]+)\s+)?$",
                          re.IGNORECASE)
# "and 5 others were wounded": the figure's own passive verb, right after its phrase
_OWN_VERB = re.compile(r"\s*(?:(?:others?|more)\s+)?(?:were|was|have been|has been|had been)\s+(?:also\s+|reportedly\s+|"
                       r"later\s+)?(" + "|".join(sorted((re.escape(k) for k in _KIND_WORD if " " not in k),
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


def casualty_figures(sent: str, actors: ActorBook, mentions: list[ActorMention] | None = None) -> list[Casualty]:
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
    civilians = next((n for n, side in actors.side.items() if side == "civilians"), None)
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
                    group, gend = (actors.soldiers if cm.group(2) else civilians), cm.end(1)
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
            elif before and all(x.side in ("state", "foreign") for x in before) and actors.suspects:
                group, gend, elided = actors.suspects, q.end, True
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
            kind = _KIND_WORD[km.group(0).lower()]
            ambiguous = bool(re.match(r"\s+(?:or|and/or)\s+(?!" + re.escape(km.group(0)) + r")", sent[km.end():]))
        elif own:  # "killed and 5 others were wounded": the figure's own verb wins over the one before it
            kind = _KIND_WORD[own.group(1).lower()]
            if kind == "captured" and _THEN_KILLED.match(sent, own.end()):
                kind = "killed"  # "was abducted and killed"
        elif vb:
            kind = _KIND_WORD[vb.group(1).lower()]
            if vb.group(2) and _KIND_WORD.get(vb.group(2).lower(), kind) != kind:
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
                kind = _KIND_WORD[km.group(0).lower()]
                if kind == "captured" and _THEN_KILLED.match(after, km.end()):
                    kind = "killed"  # "was kidnapped and killed", "detained and later executed"
                alt = re.match(r"\s+(?:or|and/or)\s+(\w+)", after[km.end():])
                if alt:
                    ambiguous = _KIND_WORD.get(alt.group(1).lower(), kind) != kind
        if kind is None and not article and not elided:
            near = sent[max(0, q.start - 15):q.start]
            if not re.search(r"\b(?:when|after|as|while|because|before)\s+$", near, re.IGNORECASE):
                kind = next((k for k, rx in _KIND if rx.search(near)), None)  # not "was killed when 2 militants"
        if kind is None and not elided:
            cv = _CLAUSE_VERB.search(sent[max(0, q.start - 100):q.start])
            if cv:
                kind = _KIND_WORD[cv.group(1).lower()]
        if kind is None:
            continue
        if group is None and prev is not None and _LISTED_START.match(sent, prev[2]) and \
                _LISTED.fullmatch(sent[prev[2]:q.start]):
            group = prev[1]  # "the shadow governor and 8 commanders": a role listed with a figure shares its group
        if group is None:  # counted by role: whose people they are follows from who took or hit them
            subject = before[0].side if before else None
            if subject == "nonstate" or (kind != "captured" and subject not in ("state", "foreign")):
                continue
            group = actors.suspects
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


class RuleExtractor:
    name = EXTRACTOR_NAME

    def __init__(self, gazetteer: Gazetteer | None = None, actors: ActorBook | None = None,
                 world: WorldGazetteer | None = None, use_world: bool = True) -> None:
        self.gaz = gazetteer or default_gazetteer()
        self.actors = actors or default_actor_book()
        self._world = world
        self.use_world = use_world

    @property
    def world(self) -> WorldGazetteer:
        """Loaded on first use: only stories in which the curated list finds no place need it."""
        if self._world is None:
            self._world = default_world()
        return self._world

    # -- analysis ------------------------------------------------------------------------------

    def analyse(self, text: str, reference: date) -> list[SentenceInfo]:
        mentions = self.gaz.find(text)
        story_provs = _explicit_provinces(mentions, text) | {
            m.candidates[0].admin1 for m in mentions if len({c.admin1 for c in m.candidates}) == 1}
        # a story the curated list finds no place in is read against the world gazetteer
        world = self.world if self.use_world and not mentions else None
        story_countries = world.countries_in(text) if world is not None else set()
        infos = []
        paragraph = 0
        last_end = 0
        for s, e in split_sentences(text):
            if "\n" in text[last_end:s]:
                paragraph += 1
            last_end = e
            sent = text[s:e]
            trig = classify(sent)
            places = _places_in(sent, self.gaz, trig, story_provs)
            if not places and world is not None:
                places = _world_places(sent, world, story_countries)
            infos.append(SentenceInfo(
                start=s, end=e, text=sent, places=places, trigger=trig,
                dates=find_dates(sent, reference), actors=self.actors.find(sent),
                background=is_background(sent, reference), paragraph=paragraph,
                casualty_words=bool(CASUALTY_ONLY.search(sent)),
            ))
        return infos

    # -- grouping ------------------------------------------------------------------------------

    def extract(self, story: Story) -> list[Event]:
        text = story.text or story.summary or ""
        if not text.strip():
            return []
        published = (story.published_at or story.fetched_at).astimezone(UTC).date()
        reference = dateline_date(text, published) or published
        infos = self.analyse(text, reference)
        dl = DATELINE.search(text[:300])
        if dl:  # "KUNDUZ, March 10 (Wire)" dates the report, not the event
            for info in infos:
                info.dates = [d for d in info.dates if not (info.start + d.start < dl.end() and
                                                            info.start + d.end > dl.start())]
        drafts: dict[tuple, _Draft] = {}
        focus: list[Place] = []
        for info in infos:
            if info.background:
                continue
            places = _most_specific(info.places)
            if places:
                focus = places
            trig = info.trigger
            if trig is None and info.casualty_words and (info.places or focus):
                trig = Trigger("Battles", "Armed clash", 0, 0, "", 99)  # casualties without a verb of violence
            if trig is None:
                continue
            targets = places or focus[:1]
            for place in targets:
                if place.kind == "province":
                    # a province-level sentence about a district already reported joins that district's event
                    existing = [d for d in drafts.values() if d.place.admin1 == place.admin1]
                    if existing and not places:
                        existing[0].add(info)
                        continue
                draft = _Draft(place, trig)
                if trig.rank == 99:
                    same_place = [d for d in drafts.values()
                                  if d.place.admin1 == place.admin1 and d.place.admin2 == place.admin2]
                    if same_place:
                        same_place[0].add(info)
                        continue
                if draft.key in drafts:
                    drafts[draft.key].add(info)
                else:
                    # a weaker trigger at the same place folds into the stronger one
                    same_place = [d for d in drafts.values()
                                  if d.place.admin1 == place.admin1 and d.place.admin2 == place.admin2]
                    # arrests a sentence reports without a place of its own were made in the operation just reported
                    if same_place and (trig.sub_event_type == "Armed clash" or
                                       trig.sub_event_type == "Arrests" and not places):
                        same_place[0].add(info)
                        continue
                    draft.sentences.append(info)
                    drafts[draft.key] = draft
        # fighting reported at a place the same story says was taken is part of the takeover
        for key, d in list(drafts.items()):
            if d.trigger.sub_event_type != "Armed clash":
                continue
            host = next((o for o in drafts.values() if o is not d and o.place == d.place and
                         o.trigger.event_type in ("Battles", "Strategic developments")), None)
            own = self._date(d, reference)
            if host is not None and (own[1] != "day" or own == self._date(host, reference)):
                host.sentences.extend(x for x in d.sentences if x not in host.sentences)
                host.sentences.sort(key=lambda x: x.start)
                del drafts[key]
        # a province-level draft with nothing of its own folds into a district event of that province
        for key, d in list(drafts.items()):
            if d.place.kind != "province":
                continue
            host = next((o for o in drafts.values() if o.place.kind != "province"
                         and o.place.admin1 == d.place.admin1 and o.trigger.event_type == d.trigger.event_type), None)
            has_figures = any(find_quantities(s.text) and s.casualty_words for s in d.sentences)
            if host is not None and not has_figures:
                host.sentences.extend(x for x in d.sentences if x not in host.sentences)
                host.sentences.sort(key=lambda x: x.start)
                del drafts[key]
        # verification caveats apply to the claims of the sentence before them
        caveats = {i - 1 for i, info in enumerate(infos) if _NOT_VERIFIED.search(info.text)}
        caveat_starts = {infos[i].start for i in caveats if i >= 0} | {
            info.start for info in infos if _NOT_VERIFIED.search(info.text)}
        # a sentence placed in several provinces ("detained more than 10 suspects in Farah, Kandahar and Paktiya")
        # gives totals over all of them, not a figure for one
        provinces_of: dict[int, set[str]] = {}
        for d in drafts.values():
            for info in d.sentences:
                provinces_of.setdefault(info.start, set()).add(d.place.admin1)
        shared = {start for start, provs in provinces_of.items() if len(provs) > 1}
        events = [self._event(story, d, reference, caveat_starts, shared) for d in drafts.values()]
        events.sort(key=lambda e: (e.evidence[0].start if e.evidence else 0, e.event_id))
        return events

    # -- one event -----------------------------------------------------------------------------

    def _event(self, story: Story, draft: _Draft, reference: date, caveats: set[int],
               shared: Container[int] = frozenset()) -> Event:
        place = draft.place
        sentences = draft.sentences
        event_date, precision = self._date(draft, reference)
        actor_counts: dict[str, list[str]] = {}
        for info in sentences:
            for a in info.actors:
                actor_counts.setdefault(a.name, [])
                if a.surface not in actor_counts[a.name]:
                    actor_counts[a.name].append(a.surface)
        casualties, claims, fatalities = self._casualties(sentences, caveats, shared)
        trigger = draft.trigger
        hurt = {c.group for c in casualties if c.kind in ("killed", "wounded")}
        if trigger.sub_event_type == "Armed clash" and hurt and \
                all(self.actors.side.get(g) == "civilians" for g in hurt):
            # shooting in which only civilians were hurt is violence against civilians, not a battle
            trigger = Trigger("Violence against civilians", "Attack", trigger.start, trigger.end, trigger.text,
                              trigger.rank)
        actor1, actor2 = self._actor_pair(actor_counts, trigger, casualties)
        broad = place.kind in ("province", "country")
        geo_precision = 3 if broad else 1
        confidence = 0.45 + (0 if broad else 0.2) + (0.15 if precision == "day" else 0) + \
            (0.1 if trigger.rank != 99 else 0) + (0.05 if actor1 and actor2 else 0)
        admin2 = None if broad else place.admin2
        location = place.name if place.kind != "province" else place.admin1
        # the id follows the draft's key (unique within the story), even when the type was refined
        key = "|".join([story.story_id, place.admin1, admin2 or "", draft.trigger.sub_event_type])
        return Event(
            event_id=hashlib.sha256(key.encode("utf-8")).hexdigest()[:32],
            story_id=story.story_id,
            event_date=event_date,
            date_precision=precision,
            event_type=trigger.event_type,
            sub_event_type=trigger.sub_event_type,
            actor1=actor1,
            actor2=actor2,
            country=place.country,
            admin1=place.admin1 or None,
            admin2=admin2,
            location=location,
            latitude=place.latitude,
            longitude=place.longitude,
            geo_precision=geo_precision,
            fatalities=fatalities,
            casualties=casualties,
            claims=claims,
            sources=[Source(story_id=story.story_id, outlet=story.outlet, url=story.url,
                            published_at=story.published_at)],
            evidence=[Evidence(text=s.text, start=s.start, end=s.end) for s in sentences],
            confidence=round(min(confidence, 0.95), 2),
            extractor=self.name,
        )

    @staticmethod
    def _date(draft: _Draft, reference: date) -> tuple[date, str]:
        """The first date in a sentence naming the place, else in any of the event's sentences;
        without one, the report's own date at week precision. "Since Friday" starts a period and
        does not date the event."""
        named = [i for i in draft.sentences if draft.place in i.places]
        for info in named + [i for i in draft.sentences if i not in named]:
            dates = [d for d in info.dates if not re.search(r"\b(?:since|until|by)\s*$", info.text[:d.start])]
            if dates:
                return dates[0].day, dates[0].precision
        return reference, "week"

    def _actor_pair(self, found: dict[str, list[str]], trigger: Trigger,
                    casualties: list[Casualty]) -> tuple[Actor | None, Actor | None]:
        """The armed group first, the side it fought or hit second. Among several government forces
        the one that suffered the casualties is the counterpart ("attacked a police post, killing
        2 policemen"); an air strike is the state's; violence against civilians has them second."""
        side = self.actors.side
        victims = [c.group for c in casualties]
        nonstate = [n for n in found if side.get(n) == "nonstate"]
        gov = [n for n in found if side.get(n) in ("state", "foreign", "militia")]
        gov.sort(key=lambda n: n not in victims)  # stable: otherwise in order of mention
        civilians = [n for n in found if side.get(n) == "civilians"]
        civ_victims = [n for n in civilians if n in victims]
        a1 = nonstate[0] if nonstate else None
        a2 = gov[0] if gov else None
        if trigger.sub_event_type == "Air/drone strike":
            strikers = [n for n in found if side.get(n) in ("state", "foreign") and n not in victims]
            a1 = strikers[0] if strikers else "Military Forces of Afghanistan"
            a2 = nonstate[0] if nonstate else (civilians[0] if civilians else None)
        elif trigger.event_type == "Violence against civilians":
            a1 = a1 or (gov[0] if gov else None)
            a2 = civilians[0] if civilians else None
        elif a2 is None and len(nonstate) > 1:
            a2 = nonstate[1]  # "IS militants attacked Taliban militants"
        elif a2 is None and civ_victims:
            a2 = civ_victims[0]
        if a1 is None and trigger.event_type in ("Battles", "Explosions/Remote violence"):
            a1 = "Taliban" if trigger.sub_event_type != "Remote explosive/landmine/IED" else \
                "Unidentified Armed Group (Afghanistan)"
        if a2 is None and trigger.event_type in ("Battles", "Strategic developments") and a1 != \
                "Military Forces of Afghanistan":
            a2 = "Military Forces of Afghanistan"

        def mk(n: str | None) -> Actor | None:
            return Actor(name=n, surface_forms=found.get(n, [])) if n else None

        return mk(a1), mk(a2)

    def _casualties(self, sentences: list[SentenceInfo], caveats: set[int], shared: Container[int] = frozenset()
                    ) -> tuple[list[Casualty], list[Claim], int]:
        """Casualties and claims of an event, and its fatalities by ``conservative_total``. A sentence that
        the event shares with events in other provinces gives only the kinds of figure its own sentences lack."""
        casualties: list[Casualty] = []
        claims: list[Claim] = []
        figures = [(info, casualty_figures(info.text, self.actors, info.actors)) for info in sentences]
        own_kinds = {c.kind for info, found in figures if info.start not in shared for c in found}
        for info, found in figures:
            sent = info.text
            if info.start in shared:
                found = [c for c in found if c.kind not in own_kinds]
            if not found:
                continue
            sp = _SPEAKER.search(sent)
            speaker = (sp.group(1) or sp.group(2)).strip(" ,") if sp else None
            for c in found:
                casualties.append(c)
                claims.append(Claim(speaker=speaker, statement=sent, figure=c.text,
                                    verified=False if info.start in caveats else None))
        return casualties, claims, conservative_total(zip(casualties, (c.statement for c in claims), strict=True))


def story_from_text(text: str, published: datetime, outlet: str = "unknown", story_id: str = "adhoc") -> Story:
    """A Story around plain text, for evaluation and the batch tools."""
    return Story(story_id=story_id, url=f"urn:wirewatch:{story_id}", canonical_url=f"urn:wirewatch:{story_id}",
                 feed_id="adhoc", outlet=outlet, text=text, published_at=published, fetched_at=published,
                 content_hash=hashlib.sha256(text.encode()).hexdigest())
