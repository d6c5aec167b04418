"""Places of a sentence in the curated Afghan gazetteer: mentions resolved to a province, district or place.

The curated list (``gazetteer.py``) is read first and wins inside Afghanistan; a story in which it finds
nothing is read against the world gazetteer by ``world_places.py``. A name that several places share is
resolved by the words around it ("Kunduz province", "the city of", "X district of Y") and by the provinces the
sentence and the story name; a district the list spells differently is matched fuzzily within the province
written beside it. ``most_specific`` orders any places, curated or not. Each function depends on its arguments only.
"""

from __future__ import annotations

import re

from .classify import Trigger
from .gazetteer import Gazetteer, Mention, Place

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
    for um in _UNKNOWN_DISTRICT.finditer(sentence):
        name = um.group(1)
        if any(name.lower() in (q.name.lower(), (q.admin2 or "").lower()) for q in places):
            continue
        if any(x.start <= um.start(1) < x.end or um.start(1) <= x.start < um.end(1) for x in mentions):
            continue  # part of a name already found ("Dara i Sufi Payan" beside "Dara")
        prov_name = next((q.admin1 for q in places if q.kind == "province"), None)
        d = gaz.fuzzy_district(name, prov_name)
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
