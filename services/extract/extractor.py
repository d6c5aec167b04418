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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from services.common.contracts import Actor, Casualty, Claim, Event, Evidence, Source, Story

from .actors import ActorBook, ActorMention, default_actor_book
from .classify import CASUALTY_ONLY, Trigger, classify
from .dates import DATELINE, DateRef, dateline_date, find_dates, is_background
from .gazetteer import Gazetteer, Mention, Place, default_gazetteer
from .numbers import find_quantities

EXTRACTOR_NAME = "rules/0.1"


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

    @property
    def key(self) -> tuple:
        return (self.place.admin1, self.place.admin2 if self.place.kind != "province" else None,
                self.trigger.sub_event_type)


def _resolve(m: Mention, text: str, trigger: Trigger | None, provinces_in_story: set[str]) -> Place | None:
    after = text[m.end:m.end + 20]
    before = text[max(0, m.start - 40):m.start]
    provs = [c for c in m.candidates if c.kind == "province"]
    others = [c for c in m.candidates if c.kind != "province"]
    if provs and (_PROVINCE_AFTER.match(after) or _PROVINCE_BEFORE.search(before)):
        return provs[0]
    if others:
        # a district/city name: prefer one in a province the story names
        others.sort(key=lambda c: (c.admin1 not in provinces_in_story, c.kind != "district", not c.is_capital))
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


def _places_in(sentence: str, gaz: Gazetteer, trigger: Trigger | None, story_provs: set[str]) -> list[Place]:
    places: list[Place] = []
    for m in gaz.find(sentence):
        if m.surface.isupper():
            continue  # "KABUL (Tolo News):" is where the report was filed, not where it happened
        p = _resolve(m, sentence, trigger, story_provs)
        if p and p not in places:
            places.append(p)
    # "Qushtifa district of Jowzhan": a district the list spells differently
    known = {p.admin2 for p in places if p.admin2}
    for m in _UNKNOWN_DISTRICT.finditer(sentence):
        name = m.group(1)
        if any(name.lower() in (p.name.lower(), (p.admin2 or "").lower()) for p in places):
            continue
        prov = next((p.admin1 for p in places if p.kind == "province"), None)
        d = gaz.fuzzy_district(name, prov)
        if d and d.admin2 not in known:
            places.append(d)
    return places


def _most_specific(places: list[Place]) -> list[Place]:
    """Districts and places win over the provinces that contain them."""
    specific = [p for p in places if p.kind != "province"]
    covered = {p.admin1 for p in specific}
    return specific + [p for p in places if p.kind == "province" and p.admin1 not in covered]


class RuleExtractor:
    name = EXTRACTOR_NAME

    def __init__(self, gazetteer: Gazetteer | None = None, actors: ActorBook | None = None) -> None:
        self.gaz = gazetteer or default_gazetteer()
        self.actors = actors or default_actor_book()

    # -- analysis ------------------------------------------------------------------------------

    def analyse(self, text: str, reference: date) -> list[SentenceInfo]:
        story_provs = {m.candidates[0].admin1 for m in self.gaz.find(text)}
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
                        existing[0].sentences.append(info)
                        continue
                draft = _Draft(place, trig)
                if trig.rank == 99:
                    same_place = [d for d in drafts.values()
                                  if d.place.admin1 == place.admin1 and d.place.admin2 == place.admin2]
                    if same_place:
                        same_place[0].sentences.append(info)
                        continue
                if draft.key in drafts:
                    drafts[draft.key].sentences.append(info)
                else:
                    # a weaker trigger at the same place folds into the stronger one
                    same_place = [d for d in drafts.values()
                                  if d.place.admin1 == place.admin1 and d.place.admin2 == place.admin2]
                    if same_place and trig.sub_event_type == "Armed clash":
                        same_place[0].sentences.append(info)
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
        events = [self._event(story, d, reference, caveat_starts) for d in drafts.values()]
        events.sort(key=lambda e: (e.evidence[0].start if e.evidence else 0, e.event_id))
        return events

    # -- one event -----------------------------------------------------------------------------

    def _event(self, story: Story, draft: _Draft, reference: date, caveats: set[int]) -> Event:
        place = draft.place
        sentences = draft.sentences
        event_date, precision = self._date(draft, reference)
        actor_counts: dict[str, list[str]] = {}
        for info in sentences:
            for a in info.actors:
                actor_counts.setdefault(a.name, [])
                if a.surface not in actor_counts[a.name]:
                    actor_counts[a.name].append(a.surface)
        actor1, actor2 = self._actor_pair(actor_counts, draft.trigger)
        casualties, claims = self._casualties(sentences, caveats)
        fatalities = self._fatalities(casualties)
        geo_precision = 1 if place.kind != "province" else 3
        confidence = 0.45 + (0.2 if place.kind != "province" else 0) + (0.15 if precision == "day" else 0) + \
            (0.1 if draft.trigger.rank != 99 else 0) + (0.05 if actor1 and actor2 else 0)
        admin2 = place.admin2 if place.kind != "province" else None
        location = place.name if place.kind != "province" else place.admin1
        key = "|".join([story.story_id, place.admin1, admin2 or "", draft.trigger.sub_event_type])
        return Event(
            event_id=hashlib.sha256(key.encode("utf-8")).hexdigest()[:32],
            story_id=story.story_id,
            event_date=event_date,
            date_precision=precision,
            event_type=draft.trigger.event_type,
            sub_event_type=draft.trigger.sub_event_type,
            actor1=actor1,
            actor2=actor2,
            country=place.country,
            admin1=place.admin1,
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

    def _actor_pair(self, found: dict[str, list[str]], trigger: Trigger) -> tuple[Actor | None, Actor | None]:
        side = self.actors.side
        nonstate = [n for n in found if side.get(n) == "nonstate"]
        state = [n for n in found if side.get(n) in ("state", "foreign")]
        civilians = [n for n in found if side.get(n) == "civilians"]
        a1 = nonstate[0] if nonstate else None
        a2 = state[0] if state else None
        if trigger.event_type == "Explosions/Remote violence" and trigger.sub_event_type == "Air/drone strike":
            a1, a2 = (state[0] if state else "Military Forces of Afghanistan"), (nonstate[0] if nonstate else None)
        elif trigger.event_type == "Violence against civilians":
            a2 = civilians[0] if civilians else a2
        if a1 is None and trigger.event_type in ("Battles", "Explosions/Remote violence"):
            a1 = "Taliban" if trigger.sub_event_type != "Remote explosive/landmine/IED" else \
                "Unidentified Armed Group (Afghanistan)"
        if a2 is None and trigger.event_type in ("Battles", "Strategic developments") and a1 != \
                "Military Forces of Afghanistan":
            a2 = "Military Forces of Afghanistan"
        def mk(n: str | None) -> Actor | None:
            return Actor(name=n, surface_forms=found.get(n, [])) if n else None

        return mk(a1), mk(a2)

    def _casualties(self, sentences: list[SentenceInfo], caveats: set[int]) -> tuple[list[Casualty], list[Claim]]:
        casualties: list[Casualty] = []
        claims: list[Claim] = []
        for info in sentences:
            sent = info.text
            for q in find_quantities(sent):
                window = sent[q.end:q.end + 90]
                before = sent[max(0, q.start - 30):q.start]
                # the nearest casualty word after the figure decides ("six killed and 11 captured");
                # only without one does a word just before it count ("killing 12 police")
                kind, best = None, None
                for k, rx in _KIND:
                    m = rx.search(window[:90])
                    if m and (best is None or m.start() < best):
                        kind, best = k, m.start()
                if kind is None:
                    kind = next((k for k, rx in _KIND if rx.search(before[-15:])), None)
                if kind is None:
                    continue
                group_m = [a for a in self.actors.find(window[:45])]
                if not group_m:
                    continue
                group = group_m[0].name
                if q.min == 1 and q.text.lower() in ("a", "an"):
                    continue
                text = sent[q.start:min(len(sent), q.end + 45)].strip()
                casualties.append(Casualty(group=group, kind=kind, min=q.min, max=q.max,
                                           lower_bound=q.lower_bound, text=text))
                sp = _SPEAKER.search(sent)
                speaker = (sp.group(1) or sp.group(2)).strip(" ,") if sp else None
                claims.append(Claim(speaker=speaker, statement=sent, figure=text,
                                    verified=False if info.start in caveats else None))
        return casualties, claims

    @staticmethod
    def _fatalities(casualties: list[Casualty]) -> int:
        """ACLED rule: per group the lowest credible figure, summed over groups."""
        per_group: dict[str, int] = {}
        for c in casualties:
            if c.kind != "killed":
                continue
            per_group[c.group] = min(per_group.get(c.group, c.min), c.min)
        return sum(per_group.values())


def story_from_text(text: str, published: datetime, outlet: str = "unknown", story_id: str = "adhoc") -> Story:
    """A Story around plain text, for evaluation and the batch tools."""
    return Story(story_id=story_id, url=f"urn:wirewatch:{story_id}", canonical_url=f"urn:wirewatch:{story_id}",
                 feed_id="adhoc", outlet=outlet, text=text, published_at=published, fetched_at=published,
                 content_hash=hashlib.sha256(text.encode()).hexdigest())
