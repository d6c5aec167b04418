"""Places of a sentence: gazetteer mentions resolved to a province, district or town, in Afghanistan and worldwide.

The curated Afghan list (``gazetteer.py``) is read first and wins inside Afghanistan; a story in which it finds
nothing is read against the world gazetteer (``world.py``). A name that several places share is resolved by
the words around it ("Sindh province", "the city of", "X district of Y", "Mosul, Iraq") and by the places the
sentence and the story name; a bare name that could be an English word or a person is not taken without such
an anchor. Each function depends on its arguments only.
"""

from __future__ import annotations

import re

from .classify import Trigger
from .gazetteer import Gazetteer, Mention, Place
from .world import BIG_CITY, WorldGazetteer

_PROVINCE_AFTER = re.compile(r"^\s*(?:province|provinces|provincial)\b", re.IGNORECASE)
_PROVINCE_BEFORE = re.compile(r"\bprovinces? of\s*$|\bprovince,?\s*$", re.IGNORECASE)
_CITY_AFTER = re.compile(r"^\s*(?:city|district|districts|town|airport|prison)\b", re.IGNORECASE)
_CITY_BEFORE = re.compile(r"(?:\bcity of|\bcapital(?: city)?(?: of)?|\bprovincial capital(?: of)?|\btown of|"
                          r"\boutside|\bsuburbs of|\bdistrict of)\s*(?:the\s+)?$", re.IGNORECASE)
_UNKNOWN_DISTRICT = re.compile(r"\b([A-Z][a-z]+(?:[-\s][a-z]{1,2})?(?:[-\s][A-Z][a-z]+)?)\s+district\b")


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


def explicit_provinces(mentions: list[Mention], text: str) -> set[str]:
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


def places_in(sentence: str, gaz: Gazetteer, trigger: Trigger | None, story_provs: set[str]) -> list[Place]:
    places: list[Place] = []
    mentions = [m for m in gaz.find(sentence) if not m.surface.isupper() and
                not _LANGUAGE.match(sentence, m.end)]
    # "KABUL (Tolo News):" is where the report was filed, not where it happened: upper case is skipped
    sent_provs = explicit_provinces(mentions, sentence)
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


def most_specific(places: list[Place]) -> list[Place]:
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


def world_places(sentence: str, world: WorldGazetteer, story_countries: set[str]) -> list[Place]:
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
