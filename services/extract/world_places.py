"""Places of a story outside Afghanistan: world-gazetteer names resolved by the words around them and the story.

Many place names exist in several countries, and many village names are also English words or people's
names. A name is therefore taken only with an anchor, and among the places it may be, the one that fits best:

* its qualifiers: "Qandala (Bari)", "Talal village (Qandala, Bari)", "Marka district of Lower Shabelle",
  "Mosul, Iraq", "Peshawar in Pakistan", "Iraq's Anbar province" — a place inside the division or country
  written beside it wins, and the qualifier is not a second place;
* a division word: "Sindh province", "the state of Jalisco", "Hiraan region";
* the story: the countries it names (as countries, by their people's adjective, or in its dateline), and the
  countries its other names point to, weighted (a name found in one country only counts fully);
* its size: a name of several words, or a city of a million people, stands on its own.

``story_context`` reads a whole story once; ``world_places`` a sentence against it. Both depend only on their
arguments, so the same story always gives the same places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from .gazetteer import Mention, Place
from .not_places import not_places
from .world import BIG_CITY, WorldGazetteer, WorldPlace
from .world_names import norm

_LANGUAGE = re.compile(r"[\s-]*(?:speaking|speakers?|language|dialect)\b", re.IGNORECASE)
# a division word may follow one word saying which part or kind of division it is ("Al Jawf border governorate")
_DIVISION_ADJ = r"(?:border|coastal|northern|southern|eastern|western|central|north|south|east|west|rural|restive|" \
                r"neighbou?ring|frontline|mountainous|desert|oil-rich|southeastern|southwestern|northeastern|" \
                r"northwestern)"
_DIVISION_AFTER = re.compile(rf"^\s*(?:{_DIVISION_ADJ}\s+)?(?:province|provinces|provincial|state|governorate|region|oblast|department|"
                             r"county|prefecture|district|municipality|division|emirate|canton|parish|raion|"
                             r"woreda|zone|LGA|local government area)\b", re.IGNORECASE)
_DIVISION_BEFORE = re.compile(r"\b(?:province|state|governorate|region|department|county|district|municipality)"
                              r" of\s+(?:the\s+)?$|\bprovinces? of\s*$", re.IGNORECASE)
_TOWN_AFTER = re.compile(r"^\s*(?:city|town|village|villages|area|neighbou?rhood|suburb|camp|port|outskirts|"
                         r"district|frontline|front|valley|airport|market)\b", re.IGNORECASE)
_TOWN_BEFORE = re.compile(r"\b(?:city of|town of|village of|villages of|port (?:city )?of|outskirts of|near|nearby|"
                          r"outside|around|suburbs? of|north of|south of|east of|west of|(?:north|south|east|west)"
                          r"(?:ern)? of|in|at|from|into|towards|to)\s+(?:the\s+)?$", re.IGNORECASE)
# "MOGADISHU, Somalia (AP) —", "SANAA, May 3 (Reuters) -": where the report was filed
DATELINE_PLACE = re.compile(r"^\s*([A-Z][A-Z'’. -]{2,40}(?:,\s+[A-Z][\w'’. -]{2,30})?)(?=\s*(?:,|\(|[-—–]))")
# a name in an address is a street's or a neighbourhood's, not a place of its own: "Colonia Benito Juarez"
_ADDRESS_BEFORE = re.compile(r"\b(?:Colonia|Col\.|Calle|Avenida|Av\.|Barrio|Fraccionamiento|Boulevard|Blvd\.?|"
                             r"Rue|Via|Plaza|Jalan|Street|Avenue|Road)\s+(?:de\s+(?:la\s+|los\s+|las\s+)?|del\s+)?$")
# called as ``.match(sentence, end)``: anchored at ``end`` by ``match`` itself (a "^" would only match at 0)
_ADDRESS_AFTER = re.compile(r"\s+(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Boulevard|Highway|Hospital|University|"
                            r"School|Airport|Stadium|Hotel|Mosque|Church|Square|Bridge|Prison)\b")
_IN_PAREN = re.compile(r"\w[\w'’.-]*\s*\((?:[^()]{0,60},\s*)?$")
_ADDRESS_TAIL = re.compile(r"\b(?:in|near|at|outside)\s+(?-i:[A-Z][\w'’.-]*)(?:\s+(?:de|del|la|las|los|el|al)?\s*"
                           r"(?-i:[A-Z][\w'’.-]*)){0,3},\s*$")
_NAME_RUN = re.compile(r"(?:(?-i:[A-Z][\w'’.-]*)|de|del|la|las|los|el|y|of|the)\s+$")


_ADDRESS_NAME = re.compile(r"(?:Colonia|Calle|Avenida|Barrio|Fraccionamiento|Boulevard|Rue|Via|Plaza|Jalan)\b")


def _in_address(sentence: str, start: int) -> bool:
    """Whether the name at ``start`` is, or ends, a street's or neighbourhood's name ("Colonia Lomas de San Agustin",
    "Colonia Benito Juarez", which the gazetteer may itself list as a place)."""
    if _ADDRESS_NAME.match(sentence, start):
        return True
    pos = start
    for _ in range(6):
        if _ADDRESS_BEFORE.search(sentence, max(0, pos - 30), pos):
            return True
        m = _NAME_RUN.search(sentence, max(0, pos - 30), pos)
        if m is None:
            return False
        pos = m.start()
    return False


# the capitalised words right before a name, one space apart ("Prime Minister Theresa", "Mr David Howell")
_NAME_WORDS_BEFORE = re.compile(r"(?:(?-i:[A-Z][\w'’-]*)\.?\s){1,4}$")
_VOTE_FLOOR = 1_000  # people: what a place of unknown size weighs in a story's vote
# a country's name before the people or things it qualifies is no place: "Saudi forces", "Saudi-led coalition",
# "Iraq government officials", "a Mexico-based cartel"; "in Yemen", "Yemen on Monday", "Iraq's Anbar" are places
_ATTRIBUTIVE = re.compile(r"(?:[\s-]+(?:led|backed|based|born|allied|aligned|sponsored|supported|funded|owned|run|"
                          r"made|linked)\b|\s+(?:forces?|troops?|soldiers?|army|military|police|officials?|"
                          r"authorities|government|security|navy|naval|air|coalition|jets?|aircraft|warplanes?|drones?|"
                          r"militias?|militants?|fighters?|rebels?|media|embassy|ambassador|president|prime|minister|"
                          r"ministry|guards?|nationals?|citizens?|national|men|women|man|woman|people|intelligence|"
                          r"artillery|planes?|helicopters?|vessels?|ships?|boats?|aircrafts|rockets?|missiles?|shells?|shelling|"
                          r"strikes?|airstrikes?|air\s+raids?|raids?|bombardments?|reinforcements|"
                          r"delegation|officers?|tanks?|convoys?|patrols?|agents?|police|spokesm[ae]n)\b)")


def in_person_name(sentence: str, m: Mention[WorldPlace]) -> bool:
    """Whether a one-word name is part of a person's name: after a title ("Mr Whitelaw", "President
    Hernandez", "Prime Minister Theresa May"), or the last of a run of capitalised words that is no place
    ("Juan Manuel Santos", "David Howell"; not "In Belfast", "West Belfast", "On Monday Belfast", "Iraq's
    Anbar")."""
    if re.search(r"[\s-]", m.surface):
        return False  # a name of several words is a place's own
    run = _NAME_WORDS_BEFORE.search(sentence, max(0, m.start - 80), m.start)
    if run is None:
        return False
    words = [w.rstrip(".").lower() for w in run.group(0).split()]
    titles = not_places()["titles"]
    if any(w in titles for w in words):
        return True
    last = run.group(0).split()[-1].rstrip(".")
    # an owner is no given name ("Iraq's Anbar"), nor an acronym ("SNA")
    return not last.isupper() and last.lower() not in not_places()["leads"] and not re.search(r"['’]s?$", last)


def _votes(cands: list[WorldPlace]) -> dict[str, float]:
    """One name's vote, split between its countries by the people of its largest place in each ("Belfast" is
    nearly all Northern Ireland's, hardly Maine's)."""
    people: dict[str, int] = {}
    for w in cands:
        people[w.place.country] = max(people.get(w.place.country, 0), w.population)
    total = sum(p + _VOTE_FLOOR for p in people.values())
    return {cc: (p + _VOTE_FLOOR) / total for cc, p in people.items()}


# "Mosul, Iraq", "Peshawar in Pakistan", "Al Jawf governorate in northern Yemen": the country right after a place
_COUNTRY_AFTER = re.compile(rf"^\s*(?:(?:{_DIVISION_ADJ}\s+)?(?:province|governorate|state|region|district|"
                            r"department|oblast|county)\s+)?(?:,|\bin\b)\s*(?:the\s+)?"
                            rf"(?:{_DIVISION_ADJ}\s+(?:part\s+of\s+)?)?", re.IGNORECASE)
_COUNTRY_BEFORE = re.compile(r"(\w+)['’]s?\s*(?:\w+\s+)?$")
_PAREN = re.compile(r"^\s*(?:(?:village|town|city|district|area|region)\s*)?\(([^()]{2,80})\)")
# what may join a place to the division it lies in: "Marka district of Lower Shabelle", "Jowhar, Middle Shabelle"
_IN_DIVISION = re.compile(r"^(?:\s+(?:district|village|town|city|area|municipality|region))?[\s,]*(?:(?:of|in)\s+)?"
                          r"(?:the\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class WorldContext:
    """What a whole story says about where it is: the countries it names, the weight its names give each, and
    how often each name (by its key) voted."""

    named: frozenset[str] = frozenset()
    weight: dict[str, float] = field(default_factory=dict, hash=False, compare=False)
    counts: dict[str, int] = field(default_factory=dict, hash=False, compare=False)

    def score(self, cc: str) -> float:
        return (10.0 if cc in self.named else 0.0) + self.weight.get(cc, 0.0)

    @cached_property
    def leading(self) -> str | None:
        """The country the story is most about, when one stands out. Ranked once per context (a story's
        sentences each ask): the context is not changed after ``story_context`` makes it."""
        if not self.weight and not self.named:
            return None
        ranked = sorted({*self.named, *self.weight}, key=lambda cc: (-self.score(cc), cc))
        return ranked[0]


def story_context(text: str, world: WorldGazetteer, demonym_countries: set[str] | frozenset[str] = frozenset(),
                  dateline: str | None = None) -> WorldContext:
    """The countries a story names (as countries, by demonym, or in its dateline), and a vote of its names:
    each name gives its countries one vote, split by the people of its largest place in each (``_votes``); a
    name that is part of a person's (``in_person_name``) does not vote. A country named only before what it
    qualifies ("a Saudi-led coalition", "Saudi planes") is not named by its own name here (a demonym passed
    in still names it): the story is about where the coalition struck."""
    found = world.find(text)  # once: the countries named and the vote of the other names both read it
    as_place = {cands[0].place.country for m, cands in found if cands[0].place.kind == "country" and
                not m.surface.isupper() and not _ATTRIBUTIVE.match(text, m.end) and
                not _DIVISION_AFTER.match(text[m.end:m.end + 40])}
    named = as_place | set(demonym_countries)
    if dateline:
        named |= {cands[0].place.country for _m, cands in world.find(dateline.title())
                  if len({c.place.country for c in cands}) == 1}
    weight: dict[str, float] = {}
    counts: dict[str, int] = {}
    for m, cands in found:
        if m.surface.isupper() or cands[0].place.kind == "country" or in_person_name(text, m):
            continue
        for cc, v in _votes(cands).items():
            weight[cc] = weight.get(cc, 0.0) + v
        counts[norm(m.surface)] = counts.get(norm(m.surface), 0) + 1
    return WorldContext(frozenset(named), weight, counts)


def _written_as_division(m: Mention[WorldPlace], cands: list[WorldPlace], ctx: WorldContext) -> dict[str, float]:
    """What a name written as a division ("Al Bayda governorate", "(As Sawdiyah, Al Bayda)") changes in the
    story's score: its own votes are cast for its divisions only, not for its namesake towns (Yemen's Al
    Bayda governorate, not the larger Libyan city)."""
    n = ctx.counts.get(norm(m.surface), 0)
    divisions = [w for w in cands if w.place.kind in ("province", "district")]
    if not n or not divisions or len(divisions) == len(cands):
        return {}
    shift = {cc: -n * v for cc, v in _votes(cands).items()}
    for cc, v in _votes(divisions).items():
        shift[cc] = shift.get(cc, 0.0) + n * v
    return shift


def _qualifier_pool(sentence: str, mentions: list[tuple[Mention[WorldPlace], list[WorldPlace]]], i: int,
                    world: WorldGazetteer) -> tuple[set[int], list[WorldPlace], str | None]:
    """The mentions that qualify mention ``i`` (by their index), the divisions they may be, and a qualifying
    country: a parenthesis right after it, a division or country written just after it, or a possessive country
    before it."""
    m, _ = mentions[i]
    used: set[int] = set()
    divisions: list[WorldPlace] = []
    after = sentence[m.end:m.end + 80]
    paren = _PAREN.match(after)
    if paren:
        lo, hi = m.end + paren.start(1), m.end + paren.end(1)
        for j in range(i + 1, len(mentions)):
            mj = mentions[j][0]
            if lo <= mj.start and mj.end <= hi:
                used.add(j)
                divisions += [w for w in mentions[j][1] if w.place.kind in ("province", "district", "place")]
    elif i + 1 < len(mentions):
        nxt, cands = mentions[i + 1]
        if _IN_DIVISION.match(sentence[m.end:nxt.start]) and any(w.place.kind in ("province", "district")
                                                                  for w in cands):
            divisions += [w for w in cands if w.place.kind in ("province", "district")]
            used.add(i + 1)
    qual = _COUNTRY_AFTER.match(after)
    cc = world.country_named(after[qual.end():]) if qual else None
    if cc is None and paren:
        cc = next((w.place.country for j in used for w in mentions[j][1] if w.place.kind == "country"), None)
    if cc is None:
        owner = _COUNTRY_BEFORE.search(sentence[max(0, m.start - 40):m.start])  # "Iraq's Anbar province"
        cc = world.country_named(owner.group(1)) if owner else None
    return used, divisions, cc


def _inside(w: WorldPlace, divisions: list[WorldPlace]) -> bool:
    p = w.place
    for d in divisions:
        q = d.place
        if q.country != p.country or q == p:
            continue
        if q.kind == "province" and p.admin1 == q.admin1:
            return True
        if q.kind == "district" and (p.admin2 == q.name or p.admin2 == q.admin2) and p.admin1 == q.admin1:
            return True
        if q.kind == "place" and p.kind in ("district", "province") and q.admin1 == p.admin1:
            return False  # a town does not qualify a division
    return False


NONE, WEAK, STRONG = 0, 1, 2  # how a place is anchored: not at all, by the story or its size, by its own qualifiers


def _choose(m: Mention[WorldPlace], cands: list[WorldPlace], sentence: str, divisions: list[WorldPlace], cc: str | None,
            ctx: WorldContext) -> tuple[WorldPlace, int] | None:
    """The place a mention means and how it is anchored, or None when no candidate fits its qualifiers."""
    before = sentence[max(0, m.start - 40):m.start]
    after = sentence[m.end:m.end + 40]
    # "Raizh district (Sadah)", "Talal village (Qandala, Bari)": names in parentheses after a place are its divisions
    in_paren = _IN_PAREN.search(before) is not None and re.match(r"[^()]{0,60}\)", after) is not None
    division = bool(_DIVISION_AFTER.match(after) or _DIVISION_BEFORE.search(before) or in_paren)
    # "in Culianca, Sinaloa,": the second name of an address qualifies the first; a province when it can be one
    division = division or (_ADDRESS_TAIL.search(before) is not None and any(w.place.kind == "province" for w in cands))
    town = bool(_TOWN_AFTER.match(after)) or bool(re.search(r"\b(?:city|town|village) of\s+(?:the\s+)?$", before,
                                                            re.IGNORECASE))
    pool = [w for w in cands if w.place.country == cc] if cc else list(cands)
    inside = [w for w in pool if _inside(w, divisions)]
    if divisions and inside:
        pool = inside
    elif divisions and any(d.place.kind == "province" for d in divisions):
        return None  # "Benito Juarez, Nuevo Leon" with no Benito Juarez there: the province says where, not a namesake
    if not pool:
        return None
    shift = _written_as_division(m, cands, ctx) if division else {}

    def rank(w: WorldPlace) -> tuple:
        kind = w.place.kind
        kind_rank = {"province": 0, "district": 1, "place": 2}.get(kind, 3) if division else \
            {"place": 0, "district": 1, "province": 2}.get(kind, 3) if town else \
            {"place": 0, "district": 1, "province": 1}.get(kind, 3)
        return (-(ctx.score(w.place.country) + shift.get(w.place.country, 0.0)), kind_rank, -w.population,
                w.place.name)

    best = min(pool, key=rank)
    if cc is not None or (divisions and bool(inside)) or division:
        return best, STRONG
    weak = best.place.country in ctx.named or len(m.surface.split()) > 1 or "-" in m.surface or \
        best.population >= BIG_CITY or \
        (ctx.leading == best.place.country and (town or _TOWN_BEFORE.search(before) is not None))
    return best, WEAK if weak else NONE


# a division whose name the index does not take alone, as too short ("Edo", "Imo", "Gao", "Lac") or a word of
# prose ("Centre", "Sahel", "North-West"): taken only before a division word, or last in a parenthesis ("(Menaka,
# Gao)"), and only as a province of a country the story names
_BARE_DIVISION = re.compile(r"\b((?-i:[A-Z][a-z]+(?:-[A-Z][a-z]+)?))(?:\s+(?:state|region|province|governorate|"
                            r"department|prefecture)\b)|[(,]\s*((?-i:[A-Z][a-z]+(?:-[A-Z][a-z]+)?))\)",
                            re.IGNORECASE)


def _bare_divisions(sentence: str, world: WorldGazetteer, ctx: WorldContext,
                    taken: list[Mention[WorldPlace]]) -> list[tuple[int, Place]]:
    """The provinces of names the index does not find written as divisions ("Edo State", "Gao region",
    "Centre-Nord region", "(Menaka, Gao)") where no found name is, looked up in the countries the story names,
    the best-scored first; (position, province)."""
    countries: list[str] | None = None  # ranked on the first name to look up: most sentences have none
    out = []
    for m in _BARE_DIVISION.finditer(sentence):
        g = 1 if m.group(1) else 2
        if any(t.start <= m.start(g) < t.end for t in taken):
            continue
        if countries is None:
            leading = ctx.leading
            countries = sorted({*ctx.named, *([leading] if leading else [])}, key=lambda cc: (-ctx.score(cc), cc))
        found = next((p for cc in countries if (p := world.province(cc, m.group(g))) is not None), None)
        if found is not None:
            out.append((m.start(g), found))
    return out


def _as_division(sentence: str, m: Mention[WorldPlace], cands: list[WorldPlace]) -> list[WorldPlace]:
    """A country's name before a division word is a division's of that name ("Niger State" is Nigeria's)."""
    if not _DIVISION_AFTER.match(sentence[m.end:m.end + 40]):
        return []
    return [w for w in cands if w.place.kind == "province"]


def world_places(sentence: str, world: WorldGazetteer, ctx: WorldContext) -> list[Place]:
    """Places of the world gazetteer in a sentence, each once, in the order they are written, qualifiers folded
    into the place they qualify."""
    every = world.find(sentence)
    mentions = [(m, c) for m, c in every
                if not m.surface.isupper() and not _LANGUAGE.match(sentence, m.end) and
                not (c[0].place.kind == "country" and _ATTRIBUTIVE.match(sentence, m.end)) and
                not _in_address(sentence, m.start) and not (c[0].place.kind != "country" and in_person_name(sentence, m)) and
                not (c[0].place.kind != "country" and _ADDRESS_AFTER.match(sentence, m.end))]
    short = _bare_divisions(sentence, world, ctx, [m for m, _c in every])
    found: list[tuple[int, Place]] = list(short)
    strong: list[Place] = [p for _at, p in short]
    skip: set[int] = set()
    for i, (m, cands) in enumerate(mentions):
        if i in skip:
            continue
        if cands[0].place.kind == "country":
            cands = _as_division(sentence, m, cands)
            if not cands:
                found.append((m.start, mentions[i][1][0].place))
                continue
        used, divisions, cc = _qualifier_pool(sentence, mentions, i, world)
        chosen = _choose(m, cands, sentence, divisions, cc, ctx)
        if chosen is None or not chosen[1]:
            continue
        best, strength = chosen
        found.append((m.start, best.place))
        if strength == STRONG:
            strong.append(best.place)
        if any(_inside(best, [d]) for d in divisions):
            skip |= used  # "Qandala (Bari)": Bari names where Qandala is, not a second place
    places = [p for _at, p in sorted(found, key=lambda f: f[0])]
    # a place the sentence qualifies ("Pesqueria, Nuevo Leon") outranks one taken on the story's word alone
    keep = [p for p in places if p.kind == "country" or p in strong] if strong else places
    return [p for k, p in enumerate(keep) if p not in keep[:k]]
