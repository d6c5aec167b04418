"""Offline gazetteer: find place names in text and resolve them to province/district/coordinates.

The curated ``data/afghanistan.yaml`` (written by this project) lists all provinces, their
districts and notable places with spelling variants. Matching is tolerant of the separators
transliterations disagree on (``Dasht-e-Archi`` / ``Dasht-e Archi`` / ``Dashte Archi``), and a
name the list lacks but the text marks as a district ("Qushtifa district") is matched fuzzily
against the districts of the province named beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

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


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    surface: str
    candidates: tuple[Place, ...]


def _key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _pattern_for(name: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[\s\-'’‘]+", name) if p]
    return r"[\s\-'’‘]*".join(parts)


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
        names = sorted(self._surfaces, key=len, reverse=True)
        self._regex = re.compile(r"(?<![\w])(" + "|".join(_pattern_for(n) for n in names) + r")(?![\w])",
                                 re.IGNORECASE)

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

    def find(self, text: str) -> list[Mention]:
        out = []
        for m in self._regex.finditer(text):
            surface = m.group(1)
            if not surface[0].isupper():
                continue  # place names are capitalised; "archi" inside prose is not Archi
            cands = self.by_key.get(_key(surface))
            if cands:
                out.append(Mention(m.start(1), m.end(1), surface, tuple(cands)))
        return out

    def fuzzy_district(self, surface: str, admin1: str | None = None, threshold: float = 0.75) -> Place | None:
        """Best district whose name (or variant) is close to ``surface``, within ``admin1`` if given."""
        key = _key(surface)
        if len(key) < 5:
            return None
        pools = [self.districts_of.get(admin1, [])] if admin1 else list(self.districts_of.values())
        best, best_score = None, 0.0
        for pool in pools:
            for d in pool:
                for k in self._district_keys.get(d, [_key(d.name)]):
                    score = SequenceMatcher(None, key, k).ratio()
                    if score > best_score:
                        best, best_score = d, score
        return best if best_score >= threshold else None


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    return Gazetteer()
