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
from collections.abc import Container
from datetime import date, datetime
from typing import Protocol

from services.common.contracts import Actor, Casualty, Claim, Event, Evidence, Source, Story

from .actors import COUNTRY, ActorBook, default_actor_book
from .bounds import FIGURE_OVER_MAX, figure_ok, reference_date
from .casualties import casualty_figures, conservative_total
from .classify import Trigger, classify, one_sided, reciprocal
from .dates import DATELINE, dateline_date, find_dates, is_background
from .gazetteer import Gazetteer, Place, default_gazetteer
from .grouping import UNKNOWN_PLACE, Draft, SentenceInfo, draft_date, group
from .lede import headline_apart, lede_first
from .lexicon import CASUALTY_ONLY
from .places import explicit_provinces, places_in
from .sentences import split_sentences
from .taxonomy import DISORDER_TYPE, interaction_codes
from .world import WorldGazetteer, default_world
from .world_places import DATELINE_PLACE, WorldContext, story_context, world_places

EXTRACTOR_NAME = "rules/0.4"


class Extractor(Protocol):
    """Anything that turns a story into events. Must be deterministic for a given story and version:
    event ids are derived from the output, and replays must produce the same ids. ``languages`` are the
    ISO 639-1 codes it reads (empty: any); a story in another language is counted, not extracted."""

    name: str
    languages: tuple[str, ...]

    def extract(self, story: Story) -> list[Event]: ...


_NOT_VERIFIED = re.compile(r"(?:could|can)\s*not\s+(?:be\s+)?independently\s+(?:be\s+)?verif|"
                           r"unverified|not be independently confirmed", re.IGNORECASE)
_SPEAKER = re.compile(
    r"(?:said|told|according to|confirmed|claimed)\s+(?:by\s+)?((?:[A-Z][\w'’.-]+\s?){1,4}(?:,\s+(?:a|an|the)\s+[^,.;\"”]{3,80})?)"
    r"|((?:[A-Z][\w'’.-]+\s(?:(?:of|the|for)\s)?){1,5})(?:,\s+(?:a|an|the)\s+[^,]{3,80},\s+)?"
    r"(?:said|told|confirmed|claimed)"
    # "health officials in Kunduz said": the speakers are the officials, not the place
    r"|((?:[a-z]+\s+){0,2}(?:officials?|spokesm[ae]n|spokeswoman|spokesperson|authorities|sources|residents|witnesses|"
    r"doctors|officers|police|ministry|army|military)(?:\s+(?:in|of|from)\s+(?:[A-Z][\w'’-]+\s?){1,3})?)\s+"
    r"(?:said|told|confirmed|claimed)")



_UNIT = re.compile(r"(\(\d{4}-(?:\d{4})?\)).*$")
_POLITY = re.compile(r"^(?:Military|Police) Forces of (?:the )?|^Government of (?:the )?")


def _polity(name: str) -> str:
    """Whose force a state-side actor is: "Yemen (2016-) Supreme Political Council" and "Yemen (2012-)" are two
    polities, the military and the police of one country one; a pro-government militia sides with any."""
    if "Pro-Government" in name:
        return ""
    # a unit is its government's: "Yemen (2012-) Amajid Brigade" is "Yemen (2012-)"
    return _UNIT.sub(r"\1", _POLITY.sub("", name).replace("{country}", ""))


_CLASHED = re.compile(r"\bclash", re.IGNORECASE)
_AFGHAN = re.compile(r"\bAfghan", re.IGNORECASE)
# strategic developments that involve two sides even when the text names only one
_OPPOSED = ("Non-violent transfer of territory", "Arrests", "Agreement")


class RuleExtractor:
    name: str = EXTRACTOR_NAME
    languages: tuple[str, ...] = ("en",)

    def __init__(self, gazetteer: Gazetteer | None = None, actors: ActorBook | None = None,
                 world: WorldGazetteer | None = None, use_world: bool = True) -> None:
        self.gaz = gazetteer or default_gazetteer()
        self.actors = actors or default_actor_book()
        self._world = world
        self.use_world = use_world
        self._curated = frozenset(p.country for p in self.gaz.provinces.values())

    @property
    def world(self) -> WorldGazetteer:
        """Loaded on first use: only stories in which the curated list finds no place need it."""
        if self._world is None:
            self._world = default_world()
        return self._world

    def warm(self) -> None:
        """Load the world gazetteer now (when it is used at all) rather than on the first story that needs it."""
        if self.use_world:
            _ = self.world

    # -- analysis ------------------------------------------------------------------------------

    def world_context(self, text: str) -> WorldContext:
        """Where a story outside Afghanistan is: the countries it names, by name, by their people's adjective
        ("Somali troops") or in its dateline, and the countries its other place names point to."""
        dl = DATELINE_PLACE.match(text)
        return story_context(text, self.world, self.actors.countries_named(text), dl.group(1) if dl else None)

    def _elsewhere(self, text: str, mentions: list) -> bool:
        """A story whose curated names are only districts and villages ("Dimnat Khadir", "Farah" as a person's name)
        and that names another country, by name or its people ("Yemeni", "Houthi"), but not Afghanistan, is about
        that country: read against the world gazetteer."""
        if any(c.kind == "province" for m in mentions for c in m.candidates):
            return False
        named = self.actors.countries_named(text)
        return bool(named) and not named & self._curated and not _AFGHAN.search(text)

    def analyse(self, text: str, reference: date) -> list[SentenceInfo]:
        return self._analyse(text, reference)[0]

    def _analyse(self, text: str, reference: date) -> tuple[list[SentenceInfo], WorldContext | None]:
        """The story's sentences analysed, and its world context when it was read against the world gazetteer."""
        mentions = self.gaz.find(text)
        if mentions and self.use_world and self._elsewhere(text, mentions):
            mentions = []
        story_provs = explicit_provinces(mentions, text) | {
            m.candidates[0].admin1 for m in mentions if len({c.admin1 for c in m.candidates}) == 1}
        # a story the curated list finds no place in is read against the world gazetteer
        world = self.world if self.use_world and not mentions else None
        ctx = self.world_context(text) if world is not None else None
        infos = []
        paragraph = 0
        last_end = 0
        for s, e in headline_apart(text, split_sentences(text)):
            if "\n" in text[last_end:s]:
                paragraph += 1
            last_end = e
            sent = text[s:e]
            trig = classify(sent)
            # the curated list's fuzzy district matching is for Afghan stories only: a story it names nothing in is not one
            places = places_in(sent, self.gaz, trig, story_provs) if mentions else []
            if not places and world is not None and ctx is not None:
                places = world_places(sent, world, ctx)
            infos.append(SentenceInfo(
                start=s, end=e, text=sent, places=places, trigger=trig,
                dates=find_dates(sent, reference), actors=self.actors.find(sent),
                background=is_background(sent, reference), paragraph=paragraph,
                casualty_words=bool(CASUALTY_ONLY.search(sent)),
            ))
        return infos, ctx

    # -- grouping ------------------------------------------------------------------------------

    def extract(self, story: Story) -> list[Event]:
        return self.extract_counted(story)[0]

    def extract_counted(self, story: Story) -> tuple[list[Event], list[str]]:
        """The story's events, and the reasons (``bounds.REASONS``) of what was discarded on the way: a figure
        too large to be a casualty count, a publication date out of range. Never raises on such input."""
        text = story.text or story.summary or ""
        if not text.strip():
            return [], []
        published, bad_date = reference_date(story)
        discards = [bad_date] if bad_date else []
        reference = dateline_date(text, published) or published
        infos, ctx = self._analyse(text, reference)
        dl = DATELINE.search(text[:300])
        if dl:  # "KUNDUZ, March 10 (Wire)" dates the report, not the event
            for info in infos:
                info.dates = [d for d in info.dates if not (info.start + d.start < dl.end() and
                                                            info.start + d.end > dl.start())]
        # a story that names no place but a country ("Somali troops", "in Yemen") happened in that country
        focus = self._country_focus(text, ctx) if not any(i.places for i in infos) else []
        drafts = group(infos, focus, reference)
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
        events = [self._event(story, d, reference, caveat_starts, shared, discards) for d in drafts.values()]
        events = _unhurt(_aside(events, ctx))
        events.sort(key=lambda e: (e.evidence[0].start if e.evidence else 0, e.event_id))
        return lede_first(events, [i.start for i in infos]), discards

    def _country_focus(self, text: str, ctx: WorldContext | None) -> list[Place]:
        if not self.use_world:
            return []
        ctx = ctx or self.world_context(text)  # read once when the story went through the world gazetteer
        cc = ctx.leading if ctx.leading in ctx.named else None
        country = self.world.countries.get(cc) if cc else None
        return [country] if country is not None else []

    # -- one event -----------------------------------------------------------------------------

    def _event(self, story: Story, draft: Draft, reference: date, caveats: set[int],
               shared: Container[int] = frozenset(), discards: list[str] | None = None) -> Event:
        place = draft.place
        sentences = draft.sentences
        event_date, precision = draft_date(draft, reference)
        cc = place.country
        # what the story shows of who did it (a drive-by, bound victims: organised crime); the report around the
        # event's sentences counts ("a man was found dead. His hands were tied.")
        marks = self.actors.marks(story.text or story.summary or "")
        resolve = self.actors.resolve
        actor_counts: dict[str, list[str]] = {}  # actors by their name in the event's country
        for info in sentences:
            for a in info.actors:
                forms = actor_counts.setdefault(resolve(a.name, cc, marks) or a.name, [])
                if a.surface not in forms:
                    forms.append(a.surface)
        casualties, claims, fatalities = self._casualties(sentences, caveats, shared, cc, discards)
        trigger = draft.trigger
        hurt = {c.group for c in casualties if c.kind in ("killed", "wounded")}
        if trigger.sub_event_type == "Armed clash" and hurt and not self._two_sides_clashed(trigger, actor_counts) and \
                all(self.actors.side.get(g) == "civilians" for g in hurt):
            # shooting in which only civilians were hurt is violence against civilians, not a battle
            trigger = Trigger("Violence against civilians", "Attack", trigger.start, trigger.end, trigger.text,
                              trigger.rank)
        side = self.actors.side
        trigger = reciprocal(trigger, [i.text for i in sentences])
        trigger = one_sided(trigger, [i.text for i in sentences], [side.get(n) for n in actor_counts],
                            [side.get(c.group) for c in casualties if c.kind in ("killed", "wounded")])
        # fighters nobody names: a generic mention that is no named organisation in this country
        unnamed = {resolve(a.name, cc, marks) or a.name for info in sentences for a in info.actors if COUNTRY in a.name}
        unnamed -= self.actors.by_name.keys()
        a1, a2 = self._actor_pair(actor_counts, trigger, casualties, frozenset(unnamed))
        actor1 = self._actor(a1, cc, actor_counts, marks)
        actor2 = self._actor(a2, cc, actor_counts, marks)
        if actor1 is not None and actor2 is not None and actor1.name == actor2.name:
            actor2 = None  # one side named twice ("landmine planted by Taliban ... 2 militants were killed")
        codes = interaction_codes(self.actors, actor1, actor2)
        unknown = place is UNKNOWN_PLACE
        broad = place.kind in ("province", "country") or unknown
        # a curated district is its centre, a world district only its largest town: "part of a region"
        geo_precision = None if unknown else 3 if broad else \
            2 if place.kind == "district" and place.country not in self._curated else 1
        confidence = 0.45 + (0 if broad else 0.2) + (0.15 if precision == "day" else 0) + \
            (0.1 if trigger.rank != 99 else 0) + (0.05 if actor1 and actor2 else 0) - (0.2 if unknown else 0)
        admin2 = None if broad else place.admin2
        location = None if unknown else place.name if place.kind != "province" else place.admin1
        # the id follows the draft's key (unique within the story), even when the type was refined
        key = "|".join([story.story_id, place.country, place.admin1, admin2 or "", draft.trigger.sub_event_type])
        return Event(
            event_id=hashlib.sha256(key.encode("utf-8")).hexdigest()[:32],
            story_id=story.story_id,
            event_date=event_date,
            date_precision=precision,
            event_type=trigger.event_type,
            sub_event_type=trigger.sub_event_type,
            actor1=actor1,
            actor2=actor2,
            country=place.country or None,
            admin1=place.admin1 or None,
            admin2=admin2,
            location=location,
            latitude=None if unknown else place.latitude,
            longitude=None if unknown else place.longitude,
            geo_precision=geo_precision,
            fatalities=fatalities,
            disorder_type=DISORDER_TYPE.get(trigger.event_type),
            inter1=codes.inter1,
            inter2=codes.inter2,
            interaction=codes.interaction,
            civilian_targeting=codes.civilian_targeting(trigger),
            casualties=casualties,
            claims=claims,
            sources=[Source(story_id=story.story_id, outlet=story.outlet, url=story.url,
                            published_at=story.published_at)],
            evidence=[Evidence(text=s.text, start=s.start, end=s.end) for s in sentences],
            confidence=round(min(confidence, 0.95), 2),
            extractor=self.name,
        )

    def _two_sides_clashed(self, trigger: Trigger, found: dict[str, list[str]]) -> bool:
        """"Armed men clashed with National Guard officers. Two men died": the dead are the fighters of one side."""
        sides = {self.actors.side.get(n) for n in found}
        return bool(_CLASHED.search(trigger.text)) and bool(sides & {"nonstate", "identity"}) and \
            bool(sides & {"state", "militia"})

    def _actor_pair(self, found: dict[str, list[str]], trigger: Trigger, casualties: list[Casualty],
                    unnamed: frozenset[str] = frozenset()) -> tuple[str | None, str | None]:
        """The armed group first, the side it fought or hit second. Among several government forces
        the one that suffered the casualties is the counterpart ("attacked a police post, killing
        2 policemen"); an air strike is the state's; violence against civilians has them second;
        protesters (rioters) come first in a demonstration, the force that met them second. Names may be
        templates of generic actors, resolved by the caller for the event's country."""
        side = self.actors.side
        book = self.actors
        victims = [c.group for c in casualties]
        # a rebel group before an identity militia: clan militias mostly fight beside the state against it
        nonstate = sorted((n for n in found if side.get(n) in ("nonstate", "identity")),
                          key=lambda n: side.get(n) != "nonstate")
        gov = [n for n in found if side.get(n) in ("state", "foreign", "militia")]
        gov.sort(key=lambda n: n not in victims)  # stable: otherwise in order of mention
        if len({_polity(n) for n in gov if side.get(n) != "foreign"} - {""}) > 1:
            # two of the country's own sides fought ("National Resistance forces clashed with pro-Houthi forces,
            # killing two fighters"): the fighters nobody names are one of theirs, not a third party
            nonstate = [n for n in nonstate if n not in unnamed]
        civilians = [n for n in found if side.get(n) == "civilians"]
        civ_victims = [n for n in civilians if n in victims]
        if trigger.event_type in ("Protests", "Riots"):
            return self._demonstration_pair(found, trigger, gov, civilians)
        a1 = nonstate[0] if nonstate else None
        a2 = gov[0] if gov else None
        if trigger.sub_event_type == "Air/drone strike":
            strikers = [n for n in found if side.get(n) in ("state", "foreign") and n not in victims]
            a1 = strikers[0] if strikers else book.soldiers
            a2 = nonstate[0] if nonstate else (civilians[0] if civilians else None)
        elif trigger.event_type == "Violence against civilians":
            a1 = a1 or (gov[0] if gov else None) or (book.unidentified if trigger.sub_event_type != "Attack" or
                                                     not civilians else None)
            a2 = civilians[0] if civilians else book.civilians
            if a1 is None:
                a1 = book.unidentified
        elif a2 is None and len(nonstate) > 1:
            a2 = nonstate[1]  # "IS militants attacked Taliban militants"
        elif a2 is None and civ_victims:
            a2 = civ_victims[0]
        elif a1 is None and trigger.event_type in ("Battles", "Explosions/Remote violence"):
            a1, a2 = self._state_sides(gov, victims, civ_victims, trigger, a2)
        if a1 is None and trigger.event_type in ("Battles", "Explosions/Remote violence"):
            a1 = book.suspects if trigger.sub_event_type != "Remote explosive/landmine/IED" else book.unidentified
        if a2 is None and (trigger.event_type == "Battles" or trigger.sub_event_type in _OPPOSED) and \
                a1 != book.soldiers and (a1 is None or side.get(a1) not in ("state", "foreign")):
            a2 = book.soldiers  # a battle, a takeover or an arrest has a counterpart; a movement of forces has not
        return a1, a2

    def _state_sides(self, gov: list[str], victims: list[str], civ_victims: list[str], trigger: Trigger,
                     a2: str | None) -> tuple[str | None, str | None]:
        """Fighting with no armed group named: two forces of different polities fought each other ("pro-Houthi
        forces clashed with government forces"); a force that shelled or struck, hurting nobody of its own, acted
        alone or on civilians. Otherwise nobody is named as the attacker (the caller's default)."""
        polity = {n: _polity(self.actors.resolve(n, None) or n) for n in gov}
        opposed = [n for n in gov[1:] if polity[n] != polity[gov[0]] and polity[n] and polity[gov[0]]]
        if gov and opposed:
            first = next((n for n in gov if n not in victims), gov[0])
            # the other side is another government's force before an allied militia listed with the first
            # ("Amajid Brigade and Hazamiyah Resistance forces took control ... from pro-Houthi forces")
            others = [n for n in gov if polity[n] != polity[first] and polity[n]]
            other = next((n for n in others if self.actors.side.get(n) == "state"), others[0] if others else opposed[0])
            return first, other
        strikers = [n for n in gov if n not in victims]
        if trigger.event_type == "Explosions/Remote violence" and strikers and \
                trigger.sub_event_type != "Remote explosive/landmine/IED":
            return strikers[0], civ_victims[0] if civ_victims else None
        return None, a2

    def _demonstration_pair(self, found: dict[str, list[str]], trigger: Trigger, gov: list[str],
                            civilians: list[str]) -> tuple[str | None, str | None]:
        """Protesters (or rioters) first; the force that intervened, or the people a mob attacked, second."""
        side = self.actors.side
        crowd = "rioters" if trigger.event_type == "Riots" else "protesters"
        named = [n for n in found if side.get(n) == crowd] or [n for n in found if side.get(n) in ("protesters", "rioters")]
        a1 = named[0] if named else (self.actors.by_key[crowd].name if crowd in self.actors.by_key else None)
        a2 = None
        if trigger.sub_event_type in ("Protest with intervention", "Excessive force against protesters",
                                      "Violent demonstration"):
            a2 = gov[0] if gov else None
        elif trigger.sub_event_type == "Mob violence":
            a2 = civilians[0] if civilians else (gov[0] if gov else self.actors.civilians)
        return a1, a2

    def _actor(self, name: str | None, cc: str | None, found: dict[str, list[str]],
               marks: frozenset[str] = frozenset()) -> Actor | None:
        if name is None:
            return None
        resolved = self.actors.resolve(name, cc, marks) or name
        return Actor(name=resolved, surface_forms=found.get(resolved, []))

    def _casualties(self, sentences: list[SentenceInfo], caveats: set[int], shared: Container[int] = frozenset(),
                    country: str | None = None, discards: list[str] | None = None,
                    ) -> tuple[list[Casualty], list[Claim], int]:
        """Casualties and claims of an event, and its fatalities by ``conservative_total``. A sentence that
        the event shares with events in other provinces gives only the kinds of figure its own sentences lack.
        A figure too large to count people (``bounds.MAX_FIGURE``) is discarded, its reason added to ``discards``."""
        casualties: list[Casualty] = []
        claims: list[Claim] = []
        figures = []
        for info in sentences:
            found = casualty_figures(info.text, self.actors, info.actors, country)
            sane = [c for c in found if figure_ok(c.min, c.max)]
            if len(sane) < len(found) and discards is not None:
                discards.extend([FIGURE_OVER_MAX] * (len(found) - len(sane)))
            figures.append((info, sane))
        own_kinds = {c.kind for info, found in figures if info.start not in shared for c in found}
        for info, found in figures:
            sent = info.text
            if info.start in shared:
                found = [c for c in found if c.kind not in own_kinds]
            if not found:
                continue
            sp = _SPEAKER.search(sent)
            speaker = (sp.group(1) or sp.group(2) or sp.group(3)).strip(" ,") if sp else None
            for c in found:
                casualties.append(c)
                claims.append(Claim(speaker=speaker, statement=sent, figure=c.text,
                                    verified=False if info.start in caveats else None))
        return casualties, claims, conservative_total(zip(casualties, (c.statement for c in claims), strict=True))


ASIDE_PENALTY = 0.05


def _aside(events: list[Event], ctx: WorldContext | None) -> list[Event]:
    """An event outside the country a story is about (``WorldContext.leading``: the countries it names and its place
    names' population-weighted votes) is reported in passing: its confidence is ``ASIDE_PENALTY`` lower ("Colombia
    asks Cuba to hand over the rebels in Havana after the Bogota car bombing": Bogota's event leads)."""
    leading = ctx.leading if ctx is not None else None
    if leading is None or all(e.country in (leading, None) for e in events):
        return events
    return [e if e.country in (leading, None) else
            e.model_copy(update={"confidence": round(max(0.0, e.confidence - ASIDE_PENALTY), 2)}) for e in events]


def _unhurt(events: list[Event]) -> list[Event]:
    """In a story that reports deaths, an event with no casualty figure at all is the lesser report (a reaction, an
    earlier attack recalled, a generic "clash" of words): its confidence is ``ASIDE_PENALTY`` lower, so that the
    story's deadly event leads among events otherwise as certain."""
    if not any(e.fatalities for e in events):
        return events
    return [e if e.casualties else
            e.model_copy(update={"confidence": round(max(0.0, e.confidence - ASIDE_PENALTY), 2)}) for e in events]


_SURROGATE = re.compile("[\ud800-\udfff]")


def story_from_text(text: str, published: datetime, outlet: str = "unknown", story_id: str = "adhoc") -> Story:
    """A Story around plain text, for evaluation and the batch tools. A lone surrogate (which no
    UTF-8 encoder, hence no hash and no JSON writer, accepts) becomes U+FFFD, so any ``str`` gives
    a Story that hashes and serialises."""
    # a str holds no valid surrogate pairs (a decoder joins those into one code point): every
    # surrogate left in it is lone
    text = _SURROGATE.sub("\ufffd", text)
    return Story(story_id=story_id, url=f"urn:wirewatch:{story_id}", canonical_url=f"urn:wirewatch:{story_id}",
                 feed_id="adhoc", outlet=outlet, text=text, published_at=published, fetched_at=published,
                 content_hash=hashlib.sha256(text.encode()).hexdigest())
