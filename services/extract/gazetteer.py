"""Offline gazetteer: find place names in text and resolve them to province/district/coordinates.

The curated ``data/afghanistan.yaml`` (written by this project) lists all provinces, their
districts and notable places with spelling variants. Matching is tolerant of the separators
transliterations disagree on (``Dasht-e-Archi`` / ``Dasht-e Archi`` / ``Dashte Archi``), and a
name the list lacks but the text marks as a district ("Qushtifa district") is matched fuzzily
against the districts of the province named beside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import yaml

DATA_DIR = Path(__file__).with_name("data")


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # "province" | "district" | "place"
    country: str
    admin1: str
    admin2: str | None
    latitude: float
    longitude: float
    is_capital: bool = False


P = TypeVar("P")
P_co = TypeVar("P_co", covariant=True)


@dataclass(frozen=True)
class Mention(Generic[P]):
    """A name found in a text, with its candidates (the curated list's ``Place``, the world's ``WorldPlace``)."""
    start: int
    end: int
    surface: str
    candidates: tuple[P, ...]


class NameLookup(Protocol[P_co]):
    """What ``find_names`` reads: the candidates of a key, or None."""

    def get(self, key: str, default: Any = None, /) -> Sequence[P_co] | None: ...


def _key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


_WORD = re.compile(r"[^\W\d_]+")
_PARTICLES = frozenset({"e", "i", "y", "al", "el", "ul", "ol", "ye", "de", "del", "la", "le", "les", "los", "las",
                        "da", "das", "do", "dos", "di", "du", "des", "van", "von", "der", "den", "wa", "bin", "ibn",
                        "abu", "an", "ar", "as", "ad", "at", "az", "ash", "sur", "sul", "sous", "en", "of", "the",
                        "upon", "on", "am", "im", "sa", "ng"})
_JOINER = re.compile(r"[\s\-'’‘]*")


def find_names(text: str, by_key: NameLookup[P], max_words: int) -> list[Mention[P]]:
    """Names of ``by_key`` (keyed by ``_key``) in ``text``, leftmost first, the longest at each position."""
    words = [(m.start(), m.end(), m.group(0).lower()) for m in _WORD.finditer(text)]
    out = []
    i, n = 0, len(words)
    while i < n:
        start = words[i][0]
        if not text[start].isupper():
            i += 1
            continue  # place names are capitalised; "archi" inside prose is not Archi
        # the words that may join this one: separated only by spaces, hyphens or apostrophes; a lower-case word
        # joins across a space only as a name's particle ("Dara i Sufi", "Ciudad de Mexico"), so "A man" is not
        # Amman nor "He met" Hemet
        j = i + 1
        while j < n and j - i < max_words and \
                _JOINER.fullmatch(text, words[j - 1][1], words[j][0]) is not None and \
                (text[words[j][0]].isupper() or words[j][2] in _PARTICLES or
                 text[words[j - 1][1]:words[j][0]].strip() != ""):
            j += 1
        hit = None
        for k in range(j, i, -1):
            cands = by_key.get("".join(w[2] for w in words[i:k]))
            if cands:
                hit = (k, cands)
                break
        if hit is None:
            i += 1
            continue
        k, cands = hit
        end = words[k - 1][1]
        out.append(Mention(start, end, text[start:end], tuple(cands)))
        i = k
    return out


class Gazetteer:
    def __init__(self, paths: list[Path] | None = None) -> None:
        paths = paths or [DATA_DIR / "afghanistan.yaml"]
        self.by_key: dict[str, list[Place]] = {}
        self.provinces: dict[str, Place] = {}
        self.districts_of: dict[str, list[Place]] = {}
        self._district_keys: dict[Place, list[str]] = {}
        self.capital_of: dict[str, Place] = {}
        for path in paths:
            self._load(Path(path))
        # names are looked up by the letters of runs of 1..N words, so "Dasht-e-Archi", "Dasht-e Archi"
        # and "Dashte Archi" all meet the same key; N is the most words any known name has, plus slack
        # for transliterations that split a name further ("Sar i Pul")
        self._max_words = min(6, 2 + max((len(_WORD.findall(n)) for n in self._surfaces), default=1))
        self._fuzzy_cache: dict[tuple[str, str | None, float], Place | None] = {}

    def _add(self, surface: str, place: Place) -> None:
        k = _key(surface)
        if len(k) < 4:
            return
        bucket = self.by_key.setdefault(k, [])
        if place not in bucket:
            bucket.append(place)
        self._surfaces.add(surface)

    def _load(self, path: Path) -> None:
        if not hasattr(self, "_surfaces"):
            self._surfaces: set[str] = set()
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        country = data.get("country", "AF")
        for prov in data["provinces"]:
            admin1 = prov["name"]
            p = Place(admin1, "province", country, admin1, None, float(prov["lat"]), float(prov["lon"]))
            self.provinces[_key(admin1)] = p
            for s in [admin1, *prov.get("variants", [])]:
                self._add(s, p)
            dists = []
            for d in prov.get("districts", []):
                is_cap = _key(d["name"]) == _key(prov.get("capital", ""))
                dp = Place(d["name"], "district", country, admin1, d["name"], float(d["lat"]), float(d["lon"]),
                           is_capital=is_cap)
                dists.append(dp)
                if is_cap:
                    self.capital_of[admin1] = dp
                for s in [d["name"], *d.get("variants", [])]:
                    self._add(s, dp)
                self._district_keys[dp] = [_key(s) for s in [d["name"], *d.get("variants", [])]]
            self.districts_of[admin1] = dists
            for pl in prov.get("places", []) or []:
                pp = Place(pl["name"], "place", country, admin1, pl.get("district"), float(pl["lat"]),
                           float(pl["lon"]))
                for s in [pl["name"], *pl.get("variants", [])]:
                    self._add(s, pp)

    def province(self, name: str) -> Place | None:
        return self.provinces.get(_key(name))

    def find(self, text: str) -> list[Mention[Place]]:
        """Known names in ``text``, leftmost first, the longest name at each position."""
        return find_names(text, self.by_key, self._max_words)

    def fuzzy_district(self, surface: str, admin1: str | None = None, threshold: float = 0.75) -> Place | None:
        """Best district whose name (or variant) is close to ``surface``, within ``admin1`` if given."""
        key = _key(surface)
        if len(key) < 5:
            return None
        ck = (key, admin1, threshold)
        if ck not in self._fuzzy_cache:
            if len(self._fuzzy_cache) > 50_000:
                self._fuzzy_cache.clear()
            self._fuzzy_cache[ck] = self._fuzzy(key, admin1, threshold)
        return self._fuzzy_cache[ck]

    def _fuzzy(self, key: str, admin1: str | None, threshold: float) -> Place | None:
        pools = [self.districts_of.get(admin1, [])] if admin1 else list(self.districts_of.values())
        best, best_score = None, 0.0
        for pool in pools:
            for d in pool:
                for k in self._district_keys.get(d, [_key(d.name)]):
                    sm = SequenceMatcher(None, key, k)
                    if sm.real_quick_ratio() <= best_score or sm.quick_ratio() <= best_score:
                        continue
                    score = sm.ratio()
                    if score > best_score:
                        best, best_score = d, score
        return best if best_score >= threshold else None


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    return Gazetteer()
