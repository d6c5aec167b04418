"""Grouping a story's analysed sentences into draft events: one per place and kind of event.

A sentence with a trigger joins the draft of its place (the most specific it names, else the place the story
was last about) and sub-event type; then drafts that report one real event are folded together (a takeover
and a handover without fighting at one place; fighting at a place the story says was taken; a province's or
country's draft with nothing of its own into a more specific one within it). ``group`` depends only on its
arguments, and keeps the order in which sentences reported each draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .actors import ActorMention
from .classify import Trigger, attribution, not_an_event
from .dates import DateRef
from .gazetteer import Place
from .numbers import find_quantities
from .places import most_specific

# where an event happened when neither gazetteer knows: no country, no coordinates, geo_precision None
UNKNOWN_PLACE = Place("", "unknown", "", "", None, 0.0, 0.0)
_CASUALTIES_ONLY = Trigger("Battles", "Armed clash", 0, 0, "", 99)  # casualties without a verb of violence
_BROAD = ("province", "country")


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
class Draft:
    place: Place
    trigger: Trigger
    sentences: list[SentenceInfo] = field(default_factory=list)

    def add(self, info: SentenceInfo) -> None:
        """A sentence joins once: a sentence naming two places of one event ("Girishk" and "Nahri Saraj district")
        would otherwise be read, and its casualties counted, twice."""
        if all(x.start != info.start for x in self.sentences):
            self.sentences.append(info)

    def absorb(self, other: Draft) -> None:
        self.sentences.extend(x for x in other.sentences if x not in self.sentences)
        self.sentences.sort(key=lambda x: x.start)

    @property
    def key(self) -> tuple:
        return (self.place.country, self.place.admin1,
                self.place.admin2 if self.place.kind not in _BROAD else None,
                self.trigger.sub_event_type)


def draft_date(draft: Draft, reference: date) -> tuple[date, str]:
    """The first date in a sentence naming the place, else in any of the event's sentences; without one, the
    report's own date at week precision. "Since Friday" starts a period and does not date the event."""
    named = [i for i in draft.sentences if draft.place in i.places]
    for info in named + [i for i in draft.sentences if i not in named]:
        dates = [d for d in info.dates if not re.search(r"\b(?:since|until|by)\s*$", info.text[:d.start])]
        if dates:
            return dates[0].day, dates[0].precision
    return reference, "week"


def _same_place(drafts: dict[tuple, Draft], place: Place) -> list[Draft]:
    return [d for d in drafts.values() if d.place.admin1 == place.admin1 and d.place.admin2 == place.admin2 and
            d.place.country == place.country]


def _trigger(info: SentenceInfo, focus: list[Place]) -> Trigger | None:
    if info.trigger is not None:
        return info.trigger
    if info.casualty_words and (info.places or focus) and not not_an_event(info.text, None) and \
            not attribution(info.text, len(info.text)):
        return _CASUALTIES_ONLY
    return None


def _place(drafts: dict[tuple, Draft], info: SentenceInfo, place: Place, trig: Trigger, named: bool) -> None:
    """Put one sentence into the draft of one of its places."""
    if place.kind == "province" and not named:
        # a province-level sentence about a district already reported joins that district's event
        existing = [d for d in drafts.values() if d.place.admin1 == place.admin1 and d.place.country == place.country]
        if existing:
            existing[0].add(info)
            return
    same_place = _same_place(drafts, place)
    if trig.rank == 99 and same_place:
        same_place[0].add(info)
        return
    draft = Draft(place, trig)
    if draft.key in drafts:
        drafts[draft.key].add(info)
        return
    # a weaker trigger at the same place folds into the stronger one; arrests a sentence reports without a place
    # of its own were made in the operation just reported
    if same_place and (trig.sub_event_type == "Armed clash" or trig.sub_event_type == "Arrests" and not named):
        same_place[0].add(info)
        return
    draft.sentences.append(info)
    drafts[draft.key] = draft


def _attributed(drafts: dict[tuple, Draft], info: SentenceInfo, places: list[Place]) -> None:
    """"Colombia blamed the ELN for the bombing of a police academy in Bogota that killed 20 people": a sentence
    about who did it reports no event of its own, but its figures are one more report of the event already drafted
    at the place it names (none is drafted for it)."""
    if not info.casualty_words or not places or not attribution(info.text, len(info.text)):
        return
    host = next((d for p in places for d in _same_place(drafts, p)), None)
    if host is not None:
        host.add(info)


def _drafts(infos: list[SentenceInfo], focus: list[Place]) -> dict[tuple, Draft]:
    drafts: dict[tuple, Draft] = {}
    story_has_places = any(i.places for i in infos)
    for info in infos:
        if info.background:
            continue
        places = most_specific(info.places)
        if places:
            focus = places
        trig = _trigger(info, focus)
        if trig is None:
            _attributed(drafts, info, places)
            continue
        targets = places or focus[:1]
        if not targets and trig.rank != 99 and not story_has_places and \
                not any(d.place is UNKNOWN_PLACE for d in drafts.values()):
            # violence reported with no place the gazetteers know ("in the Indian capital", a village they lack):
            # one event whose place is unknown, rather than none
            targets = [UNKNOWN_PLACE]
        for place in targets:
            _place(drafts, info, place, trig, bool(places))
    return drafts


def _fold_handovers(drafts: dict[tuple, Draft]) -> None:
    """A takeover and a handover "without fighting" at one place are one change of hands: the handover says how."""
    for key, d in list(drafts.items()):
        if d.trigger.sub_event_type != "Non-state actor overtakes territory":
            continue
        host = next((o for o in drafts.values() if o.place == d.place and
                     o.trigger.sub_event_type == "Non-violent transfer of territory"), None)
        if host is not None:
            host.absorb(d)
            del drafts[key]


def _fold_fighting(drafts: dict[tuple, Draft], reference: date) -> None:
    """Fighting reported at a place the same story says was taken is part of the takeover."""
    for key, d in list(drafts.items()):
        if d.trigger.sub_event_type != "Armed clash":
            continue
        host = next((o for o in drafts.values() if o is not d and o.place == d.place and
                     o.trigger.event_type in ("Battles", "Strategic developments")), None)
        own = draft_date(d, reference)
        if host is not None and (own[1] != "day" or own == draft_date(host, reference)):
            host.absorb(d)
            del drafts[key]


def _fold_broad(drafts: dict[tuple, Draft]) -> None:
    """A province- (country-) level draft with nothing of its own folds into a more specific event within it."""
    for key, d in list(drafts.items()):
        if d.place.kind not in _BROAD:
            continue
        host = next((o for o in drafts.values() if o.place.kind not in _BROAD and
                     o.place.country == d.place.country and
                     (d.place.kind == "country" or o.place.admin1 == d.place.admin1) and
                     o.trigger.event_type == d.trigger.event_type), None)
        has_figures = any(find_quantities(s.text) and s.casualty_words for s in d.sentences)
        if host is not None and not has_figures:
            host.absorb(d)
            del drafts[key]


def group(infos: list[SentenceInfo], focus: list[Place], reference: date) -> dict[tuple, Draft]:
    """The story's draft events by key, from its analysed sentences; ``focus`` is where the story is before any
    sentence names a place (its country, when only that is known)."""
    drafts = _drafts(infos, focus)
    _fold_handovers(drafts)
    _fold_fighting(drafts, reference)
    _fold_broad(drafts)
    return drafts
