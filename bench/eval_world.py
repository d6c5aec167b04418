"""ACLED-layout files of any country, scored like the Afghan one, and the helpers every table of
bench/eval_extract.py shares (the extractor run, the naive baseline, the table printer).

An ACLED-layout CSV has the columns event_date,Type,Sub_type,Actor1,Actor2,admin1,Location,latitude,
longitude,Fatalities,Notes. Its country is the most common "(<Country>)" suffix of its actor names
("Civilians (Somalia)"), or given. Each row's Notes is a story published the day after event_date; the
extractor's best event (highest confidence, first on ties) is compared with ACLED's coding:

* province: Afghanistan through the curated gazetteer (Urozgan = Uruzgan, as always); any other country
  by normalised name (accents folded, lower case, letters only, a trailing division word and a leading
  Arabic article dropped: "Al Hudaydah Governorate" = "Hudaydah"), or, when the world gazetteer has
  ``resolve_admin1(name, cc)``, when both names resolve to the same first-level division. Outside
  Afghanistan an event placed in another country than the file's is wrong whatever its admin1 says.
* actor pair: unordered, by rule for any country (``actor_forms``): no per-country table.
* date, sub-event type, fatalities (both rows) and "notes that gave no event": as for Afghanistan.
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.extract.actors import default_actor_book  # noqa: E402
from services.extract.extractor import RuleExtractor, story_from_text  # noqa: E402
from services.extract.gazetteer import default_gazetteer  # noqa: E402
from services.extract.numbers import find_quantities  # noqa: E402
from services.extract.world import default_world  # noqa: E402

TARGETS = {"province": 0.97, "date": 0.95, "sub_event_type": 0.88, "actor_pair": 0.88, "fatalities": 0.88,
           "isaf_province": 0.95, "min_killed": 0.90, "min_captured": 0.85}
# the target column of an ACLED table, by metric: Afghanistan's (as always), and every other country's
AFGHAN_TARGETS = {"province": f"≥{TARGETS['province']:.0%}", "date": f"≥{TARGETS['date']:.0%}",
                  "sub": f"≥{TARGETS['sub_event_type']:.0%}", "actors": f"≥{TARGETS['actor_pair']:.0%}",
                  "fatalities": f"≥{TARGETS['fatalities']:.0%}"}
WORLD_TARGETS = {"province": "≥90%", "sub": "≥80%", "actors": "≥75%", "fatalities_no_zero": "≥85%",
                 "no_event": "≤5%"}

# the non-state groups: every actor the extractor's actor book puts on the non-state side
NONSTATE = {name for name, side in default_actor_book().side.items() if side == "nonstate"}

# -- actor names, by rule ----------------------------------------------------------------------

_ERA = re.compile(r"\s*\(\d{4}-(?:\d{4})?\).*$")          # "(2014-)", "(2018-2024)" and the sub-unit after it
_ACRONYM = re.compile(r"^([A-Z][A-Za-z0-9&.'-]*):\s*(.+)$")  # "CJNG: Jalisco New Generation Cartel"
_FACTION = re.compile(r"^(.+?)\s+-\s+\S.*$")                 # "Taliban - Red Unit"
_AND_OR = re.compile(r"\s+and/or\s+", re.IGNORECASE)
# an organisation-level rule: ACLED's NATO stands for the coalition, which news names by its US forces too
_ALSO = {"nato": frozenset({"military forces of the united states"})}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _squash(text: str) -> str:
    return " ".join(_fold(text).split()).casefold()


def actor_forms(name: str | None) -> frozenset[str] | None:
    """The normalised names an actor name counts as (None for no actor): the era suffix and everything
    after it dropped ("Military Forces of Somalia (2022-) Puntland Dervish Force" -> the military of
    Somalia), a leading acronym accepted alone, with its full name or the full name alone, "A and/or B"
    either A or B, "Group - Faction" the group too; case and whitespace do not count."""
    if name is None or not name.strip():
        return None
    forms: set[str] = set()
    for alt in _AND_OR.split(name.strip()):
        alt = _ERA.sub("", alt).strip()
        forms.add(_squash(alt))
        m = _ACRONYM.match(alt)
        if m:
            forms |= {_squash(m.group(1)), _squash(m.group(2))}
        f = _FACTION.match(alt)
        if f:
            forms.add(_squash(f.group(1)))
    return frozenset(forms)


def acled_actor(name: str) -> frozenset[str] | None:
    """ACLED's actor name -> the normalised names ours may carry (None: ACLED codes no actor); ACLED's
    NATO also accepts our US military (not the other way round: ACLED's US military is the US military)."""
    forms = actor_forms(name)
    if forms is None:
        return None
    return forms.union(*(extra for key, extra in _ALSO.items() if key in forms))


def pair_ok(gold: tuple[frozenset[str] | None, frozenset[str] | None], ours: tuple[str | None, str | None]) -> bool:
    def fits(g: frozenset[str] | None, o: str | None) -> bool:
        if g is None or o is None:
            return g is None and o is None
        return bool(g & (actor_forms(o) or frozenset()))
    (g1, g2), (o1, o2) = gold, ours
    return (fits(g1, o1) and fits(g2, o2)) or (fits(g1, o2) and fits(g2, o1))


# -- province names --------------------------------------------------------------------------------

_GAZ = default_gazetteer()
_DIVISION = re.compile(r"[\s-]+(?:province|governorate|region|state|department|district)$")
_ARTICLE = re.compile(r"^(?:al|el|ad|adh|ar|as|ash|at|ath|az|an)(?:[\s-]+|[‘’'`ʻʼ])(?=\w)")


def province_key(name: str | None) -> str | None:
    """An Afghan province name through the curated gazetteer (Urozgan = Uruzgan)."""
    if not name:
        return None
    key = re.sub(r"[^a-z]", "", name.lower())
    for place in _GAZ.by_key.get(key, []):
        if place.kind == "province":
            return place.admin1
    p = _GAZ.province(name)
    return p.admin1 if p else key


def province_norm(name: str | None) -> str | None:
    """Any country's first-level division name, normalised: "Al-Hudaydah Governorate" -> "hudaydah"."""
    if not name:
        return None
    text = _fold(name).lower().strip()
    text = _DIVISION.sub("", text).strip()
    text = _ARTICLE.sub("", text)
    return re.sub(r"[^a-z]", "", text) or None


@lru_cache(maxsize=20_000)
def _resolved(name: str, cc: str | None):
    resolve = getattr(default_world(), "resolve_admin1", None)
    return resolve(name, cc) if resolve is not None else None


def same_province(ours: str | None, ours_cc: str | None, gold: str | None, cc: str | None) -> bool:
    if cc == "AF":
        return province_key(ours) == province_key(gold)
    if not ours or not gold or (ours_cc and cc and ours_cc != cc):
        return False
    if province_norm(ours) == province_norm(gold):
        return True
    a = _resolved(ours, ours_cc or cc)
    return a is not None and a == _resolved(gold, cc)


@lru_cache(maxsize=2048)
def country_code(name: str) -> str | None:
    """ISO 3166-1 alpha-2 of a country name ("Somalia" -> SO), None if it is none."""
    import pycountry

    try:
        return pycountry.countries.lookup(name.strip()).alpha_2
    except LookupError:
        return None


def country_name(cc: str | None) -> str:
    import pycountry

    c = pycountry.countries.get(alpha_2=cc) if cc else None
    return (getattr(c, "common_name", None) or c.name) if c else "unknown country"


_SUFFIX = re.compile(r"\(([^()]+)\)\s*$")


def file_country(rows: list[dict]) -> str | None:
    """The most common "(<Country>)" suffix of a file's actor names that names a country."""
    votes = Counter()
    for r in rows:
        for col in ("Actor1", "Actor2"):
            m = _SUFFIX.search(r.get(col) or "")
            cc = country_code(m.group(1)) if m else None
            if cc:
                votes[cc] += 1
    return votes.most_common(1)[0][0] if votes else None


# -- the extractor and the naive baseline --------------------------------------------------------

@dataclass
class Guess:
    admin1: str | None
    event_date: date | None
    precision: str
    sub_event_type: str | None
    actors: tuple[str | None, str | None]
    fatalities: int | None
    captured: int | None = None
    country: str | None = None


_NAIVE_TYPES = [
    ("Suicide bomb", r"suicide"), ("Air/drone strike", r"air ?strike|air raid|drone"),
    ("Shelling/artillery/missile attack", r"mortar|rocket|artillery|shell"),
    ("Remote explosive/landmine/IED", r"\bIED|bomb|mine|explosi"),
    ("Non-state actor overtakes territory", r"captured|overran|seized|fell to"),
    ("Arrests", r"arrest|detain"),
]
# outside Afghanistan a protest is as likely as a battle
_NAIVE_WORLD_TYPES = [*_NAIVE_TYPES, ("Peaceful protest", r"protest|demonstrat")]
_NUMBER_BEFORE = r"(?:^|[^\w])([\w-]+)\s+(?:[\w'-]+\s+){0,4}?(?:were\s+|was\s+)?(?:{words})\b"


def _first_number_before(text: str, words: str) -> int | None:
    rx = re.compile(_NUMBER_BEFORE.replace("{words}", words), re.IGNORECASE)
    m = rx.search(text)
    while m:
        qs = find_quantities(m.group(1))
        if qs and qs[0].text.lower() not in ("a", "an"):
            return qs[0].min
        m = rx.search(text, m.end(1))
    return None


def naive(text: str, published: date) -> Guess:
    """Afghanistan's baseline: the first province the curated list finds, Taliban against the army."""
    admin1 = None
    for m in _GAZ.find(text):
        prov = next((c for c in m.candidates if c.kind == "province"), None)
        if prov:
            admin1 = prov.admin1
            break
    sub = next((s for s, rx in _NAIVE_TYPES if re.search(rx, text, re.IGNORECASE)), "Armed clash")
    return Guess(admin1, published, "day", sub, ("Taliban", "Military Forces of Afghanistan"),
                 _first_number_before(text, "killed") or 0,
                 _first_number_before(text, "detained|captured|arrested") or 0, "AF" if admin1 else None)


def naive_world(text: str, published: date) -> Guess:
    """Any country's baseline: the first capitalised place the world gazetteer finds (or None), that
    country's military against an unidentified armed group of it, keyword sub-type, first "N killed"."""
    admin1 = cc = None
    for _, cands in default_world().find(text):
        place = cands[0].place
        if place.kind in ("province", "place"):
            admin1, cc = place.admin1 or None, place.country
            break
    land = country_name(cc) if cc else None
    actors = (f"Military Forces of {land}", f"Unidentified Armed Group ({land})") if land else (None, None)
    sub = next((s for s, rx in _NAIVE_WORLD_TYPES if re.search(rx, text, re.IGNORECASE)), "Armed clash")
    return Guess(admin1, published, "day", sub, actors, _first_number_before(text, "killed") or 0,
                 _first_number_before(text, "detained|captured|arrested") or 0, cc)


EXTRACTOR = RuleExtractor()


def best_event(events):
    if not events:
        return None
    top = max(e.confidence for e in events)
    return next(e for e in events if e.confidence == top)


def extract(text: str, published: date) -> list:
    noon = datetime.combine(published, datetime.min.time()).replace(hour=12, tzinfo=UTC)
    return EXTRACTOR.extract(story_from_text(text, noon))


def ours(text: str, published: date) -> tuple[Guess, list]:
    events = extract(text, published)
    e = best_event(events)
    if e is None:
        return Guess(None, None, "day", None, (None, None), 0, 0), events
    return Guess(e.admin1, e.event_date, e.date_precision, e.sub_event_type,
                 (e.actor1.name if e.actor1 else None, e.actor2.name if e.actor2 else None), e.fatalities,
                 None, getattr(e, "country", None)), events


def date_ok(guess: Guess, truth: date) -> bool:
    if guess.event_date is None:
        return False
    if guess.precision == "day":
        return guess.event_date == truth
    if guess.precision == "week":
        return abs((guess.event_date - truth).days) <= 6
    return (guess.event_date.year, guess.event_date.month) == (truth.year, truth.month)


# -- tables ------------------------------------------------------------------------------------------

def pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f}% ({n}/{d})" if d else "   n/a"


def table(title: str, rows: list[tuple[str, str, str, str]], notes: list[str]) -> None:
    print(f"\n{title}")
    header = ("metric", "ours", "naive baseline", "target")
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]
    print("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  " + "  ".join("-" * w for w in widths))
    for r in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    for n in notes:
        print(f"  {n}")


def print_errors(errors: dict[str, list[str]], show: int) -> None:
    if not show:
        return
    for k, lines in errors.items():
        print(f"\n  -- {k} errors ({len(lines)}):")
        for line in lines[:show]:
            print(f"     {line}")


# -- ACLED ---------------------------------------------------------------------------------------------

# ACLED's own notes on spreading a toll over several events, misspellings included ("distibuted"):
# "coded across 2 events", "2 fatalities already coded for X", "Fatality coded in X"
_SPREAD = re.compile(r"dist\w*buted (?:across|over|among)|\bsplit\b|\bhalf\b|coded (?:over|across)|"
                     r"(?:was|fatalit(?:y|ies)|are) coded in|already coded|divided (?:across|between|over)",
                     re.IGNORECASE)
_IMPUTED = re.compile(r"\bcoded? as \d+", re.IGNORECASE)
# a death toll stated in the note, found independently of the extractor: "4 soldiers were killed",
# "killing 2 soldiers", "shot and killed an NDS agent"
_STATED_TOLL = re.compile(r"\b(?:\d+(?:-\d+)?|an?|one|two|three|four|five)\s+(?:[\w'’-]+\s+){0,5}?(?:was|were)\s+"
                          r"(?:\w+\s+){0,3}?killed\b|"
                          r"\bkill(?:ed|ing)\s+(?:at least\s+)?(?:\d+|an?|one|two|three|four|five)\b", re.IGNORECASE)
_STATE_SIDE = ("Military Forces of Afghanistan", "Police Forces of Afghanistan", "Militia (Pro-Government)")
_METRICS = ("province", "country", "date", "sub", "actors", "fatalities")


@dataclass
class AcledTally:
    """The counts of one ACLED file, for ours and the naive baseline."""
    cc: str | None
    n: int = 0
    score: dict[str, Counter] = field(default_factory=lambda: {"ours": Counter(), "naive": Counter()})
    flags: Counter = field(default_factory=Counter)
    side_split: Counter = field(default_factory=Counter)
    errors: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in _METRICS})

    def fatality_flags(self, r: dict) -> tuple[bool, bool]:
        """(the row's figure is scored, ACLED coded 0 against a toll its note states)."""
        notes = r["Notes"]
        if _SPREAD.search(notes):
            self.flags["spread"] += 1
            return False, False
        if _IMPUTED.search(notes):
            self.flags["imputed"] += 1
            return False, False
        self.flags["fat_rows"] += 1
        stated = bool(_STATED_TOLL.search(notes))
        zero = int(r["Fatalities"] or 0) == 0
        # the pattern of the Taliban's own reports (Voice of Jihad), whose tolls ACLED does not take
        insurgent_on_state = r["Actor1"].startswith("Taliban") and r["Actor2"].startswith(_STATE_SIDE)
        if stated:
            self.side_split[(zero, insurgent_on_state)] += 1
        self.flags["zero_coded"] += zero and stated
        return True, zero and stated

    def add(self, r: dict, truth_day: date, o: Guess, events: list, nv: Guess) -> None:
        self.n += 1
        self.flags["no_event"] += not events
        self.flags["day_prec"] += bool(events) and o.precision == "day"
        fat_counted, zero_against_toll = self.fatality_flags(r)
        gold_pair = (acled_actor(r["Actor1"]), acled_actor(r["Actor2"]))
        for who, g in (("ours", o), ("naive", nv)):
            ok = {"province": same_province(g.admin1, g.country, r["admin1"], self.cc),
                  "country": g.country == self.cc, "date": date_ok(g, truth_day),
                  "sub": g.sub_event_type == r["Sub_type"], "actors": pair_ok(gold_pair, g.actors),
                  "fatalities": fat_counted and g.fatalities == int(r["Fatalities"] or 0)}
            self.score[who].update({k: int(v) for k, v in ok.items()})
            self.score[who]["fatalities_no_zero"] += ok["fatalities"] and not zero_against_toll
            if who == "ours":
                self._note_errors(r, truth_day, g, ok, fat_counted)

    def _note_errors(self, r: dict, truth_day: date, g: Guess, ok: dict[str, bool], fat_counted: bool) -> None:
        got = {"province": g.admin1, "country": g.country, "date": f"{g.event_date} {g.precision}",
               "sub": g.sub_event_type, "actors": g.actors, "fatalities": g.fatalities}
        want = {"province": r["admin1"], "country": self.cc, "date": truth_day, "sub": r["Sub_type"],
                "actors": (r["Actor1"], r["Actor2"]), "fatalities": r["Fatalities"]}
        for k, v in ok.items():
            if not v and (k != "fatalities" or fat_counted):
                self.errors[k].append(f"got {got[k]!r} want {want[k]!r} :: {r['Notes'][:220]}")


def read_acled(path: Path, limit: int | None = None) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    missing = {"event_date", "Sub_type", "Actor1", "Actor2", "admin1", "Fatalities", "Notes"} - set(rows[0] if rows else ())
    if missing:
        raise ValueError(f"{path}: not an ACLED-layout file (no {', '.join(sorted(missing))})")
    return rows[:limit] if limit else rows


def acled_rows(t: AcledTally) -> list[tuple[str, str, str, str]]:
    targets = AFGHAN_TARGETS if t.cc == "AF" else WORLD_TARGETS
    o, b, n, f = t.score["ours"], t.score["naive"], t.n, t.flags
    fat, fat_nz = f["fat_rows"], f["fat_rows"] - f["zero_coded"]
    return [
        ("province (admin1)", pct(o["province"], n), pct(b["province"], n), targets.get("province", "")),
        ("country", pct(o["country"], n), pct(b["country"], n), ""),
        ("event date (within precision)", pct(o["date"], n), pct(b["date"], n), targets.get("date", "")),
        ("sub-event type", pct(o["sub"], n), pct(b["sub"], n), targets.get("sub", "")),
        ("actor pair (unordered)", pct(o["actors"], n), pct(b["actors"], n), targets.get("actors", "")),
        ("fatalities exact", pct(o["fatalities"], fat), pct(b["fatalities"], fat), targets.get("fatalities", "")),
        ("  same, without ACLED 0-against-stated-toll rows", pct(o["fatalities_no_zero"], fat_nz),
         pct(b["fatalities_no_zero"], fat_nz), targets.get("fatalities_no_zero", "")),
        ("notes that gave no event", pct(f["no_event"], n), pct(0, n), targets.get("no_event", "")),
    ]


def acled_notes(t: AcledTally) -> list[str]:
    f, s = t.flags, t.side_split
    notes = [f"fatalities: {f['spread']} rows left out (figure spread over several events), {f['imputed']} left "
             f"out (unknown toll imputed by ACLED); of the rest, {f['zero_coded']} rows have ACLED fatalities 0 "
             f"although the note states a death toll"]
    if t.cc == "AF":
        notes.append(f"  of those {s[True, True] + s[True, False]}, {s[True, True]} are ACLED-coded Taliban attacks "
                     f"on state forces or pro-government militia; of the {s[False, True] + s[False, False]} stated "
                     f"tolls ACLED did count, {s[False, True]} are (the Taliban's own reports are the likely source "
                     f"of the zeros; the note does not name its source)")
    notes.append(f"ours: {f['no_event']} notes gave no event; {f['day_prec']} best events at day precision")
    if t.cc != "AF" and getattr(default_world(), "resolve_admin1", None) is None:
        notes.append("province by normalised name only (the world gazetteer has no resolve_admin1 yet)")
    return notes


def eval_acled_file(path: Path, limit: int | None, show_errors: int, country: str | None = None,
                    title: str | None = None) -> None:
    rows = read_acled(path, limit)
    cc = country or file_country(rows)
    tally = AcledTally(cc)
    base = naive if cc == "AF" else naive_world
    for r in rows:
        truth_day = datetime.strptime(r["event_date"].strip(), "%d %B %Y").date()
        published = truth_day + timedelta(days=1)
        o, events = ours(r["Notes"], published)
        tally.add(r, truth_day, o, events, base(r["Notes"], published))
    name = title or f"ACLED {country_name(cc)}: {path.name}"
    table(f"{name} ({tally.n} notes)", acled_rows(tally), acled_notes(tally))
    print_errors(tally.errors, show_errors)
