"""Actor recognition: surface forms in the text -> canonical actor names in ACLED's naming, worldwide.

Three data files (``data/``) every rule reads: ``actors.yaml`` (Afghanistan's named forces and the
generic actors), ``organisations.yaml`` (named organisations worldwide, with their country, side and
ACLED interaction code) and ``demonyms.yaml`` (the country adjectives and names that put a state force
in a country: "Kenyan troops", "Yemen's army").

A generic actor ("soldiers", "police", "protesters", "gunmen") is found with a template name holding
``{country}``; ``ActorBook.resolve`` turns it into the name for the event's country ("Military Forces of
Somalia", "Civilians (Mexico)"), so the same sentence gives the right name wherever it happened. The
guarantee: ``find`` is deterministic and depends on the text only; ``resolve`` on the name and the
country only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import yaml

from .alternation import Alternation
from .named_groups import NamedGroups
from .world_index import acled_country_name, acled_country_names

DATA_DIR = Path(__file__).with_name("data")
DEFAULT_ACTORS_FILE = DATA_DIR / "actors.yaml"
ORGANISATIONS_FILE = DATA_DIR / "organisations.yaml"
DEMONYMS_FILE = DATA_DIR / "demonyms.yaml"

COUNTRY = "{country}"
SIDES = ("nonstate", "state", "militia", "identity", "foreign", "civilians", "protesters", "rioters")
# what a demonym may qualify: "Ethiopian troops", "Saudi-led coalition forces", "Israeli warplanes"
_FORCE_WORDS = (r"(?:-led)?(?:\s+(?:government|national|security|armed|military|special|defen[cs]e|air|naval|"
                r"regular|border|federal|state))?\s+(?:troops|soldiers?|forces|army|military|servicem[ae]n|"
                r"commandos?|warplanes|jets|aircraft|drones?|navy|air force|artillery|tanks|units?|"
                r"paratroopers?|marines|armed forces|defen[cs]e forces|aircrafts|(?:war)?ships?|(?:rocket|missile|artillery)"
                r"(?: and (?:rocket|missile|artillery))?(?: shelling| fire| strikes?| attacks?)|shelling)")
_POLICE_WORDS = r"\s+(?:police(?:men| officers?| forces)?|policem[ae]n|gendarmes?(?:rie)?|intelligence(?: services?| agents?)?)"
_POSSESSIVE = r"['’]s\s+(?:(?:military|armed|security|defen[cs]e|national)\s+)?"


@dataclass(frozen=True)
class ActorSpec:
    """One canonical actor: its name (a template when it holds ``{country}``), side and ACLED code."""

    name: str
    side: str
    inter: int
    country: str = ""
    key: str = ""
    default_in: tuple[str, ...] = ()
    fallback: str = ""
    overrides: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    # the name it goes by in some countries when the event bears a mark ("Unidentified Gang (Mexico)")
    mark: str = ""
    marked_name: str = ""
    marked_in: tuple[str, ...] = ()

    @property
    def generic(self) -> bool:
        return COUNTRY in self.name


class _SideMap(dict):
    """Side by actor name; a name built from the text ("Dir Clan Militia (Somalia)") is looked up by rule."""

    def __init__(self, fallback) -> None:
        super().__init__()
        self._fallback = fallback

    def get(self, key, default=None):
        if key in self:
            return self[key]
        found = self._fallback(key) if isinstance(key, str) else None
        return default if found is None else found


# what may stand between an organisation's name and the generic word for its people: "Houthi fighters", "Houthi-
# affiliated forces", "Taliban's fighters"
_FIGHTING = ("nonstate", "state", "militia", "identity", "foreign")
_SAME_PHRASE = re.compile(r"(?:['’]s)?(?:[\s-]+(?:affiliated|aligned|allied|backed|led|loyal))?\s+|-")


@dataclass(frozen=True)
class ActorMention:
    name: str
    side: str
    start: int
    end: int
    surface: str


def _check_pattern(pattern: str, where: str) -> None:
    rx = re.compile(pattern, re.IGNORECASE)
    if rx.groups:
        raise ValueError(f"{where}: pattern {pattern!r} has a capturing group; use (?:...)")


class ActorBook:
    """Every actor the data files name, found in text by one compiled alternation."""

    def __init__(self, path: Path = DEFAULT_ACTORS_FILE, organisations: Path | None = ORGANISATIONS_FILE,
                 demonyms: Path | None = DEMONYMS_FILE) -> None:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        orgs = yaml.safe_load(organisations.read_text(encoding="utf-8")) if organisations and \
            organisations.exists() else {}
        dem = yaml.safe_load(demonyms.read_text(encoding="utf-8")) if demonyms and demonyms.exists() else {}
        self._the = set((dem or {}).get("article") or ["US", "GB"])
        self.demonyms: dict[str, list[str]] = {cc: list(v) for cc, v in ((dem or {}).get("demonyms") or {}).items()}
        self.specs: list[ActorSpec] = []
        entries: list[tuple[ActorSpec, list[str]]] = []
        entries += self._demonym_entries()
        self._marks: dict[str, re.Pattern[str]] = {}
        for mark, patterns in (data.get("marks") or {}).items():
            for p in patterns:
                _check_pattern(p, f"mark {mark}")
            self._marks[mark] = re.compile(r"(?<![\w-])(?:" + "|".join(patterns) + r")(?![\w-])", re.IGNORECASE)
        for group in ((orgs or {}).get("organisations") or [], data.get("afghanistan") or [], data.get("generic") or []):
            for a in group:
                marked = a.get("marked") or {}
                spec = ActorSpec(name=a["name"], side=a["side"], inter=int(a.get("inter") or 0),
                                 country=a.get("country") or "", key=a.get("key") or "",
                                 default_in=tuple(a.get("default_in") or ()), fallback=a.get("fallback") or "",
                                 overrides=dict(a.get("overrides") or {}), mark=marked.get("mark") or "",
                                 marked_name=marked.get("name") or "", marked_in=tuple(marked.get("in") or ()))
                if spec.side not in SIDES:
                    raise ValueError(f"actor {spec.name!r}: unknown side {spec.side!r}")
                if spec.mark and spec.mark not in self._marks:
                    raise ValueError(f"actor {spec.name!r}: unknown mark {spec.mark!r}")
                for p in a["patterns"]:
                    _check_pattern(p, spec.name)
                entries.append((spec, list(a["patterns"])))
        # a coalition's members' forces, in the coalition's country: (member's force, country) -> the coalition
        self._coalition: dict[tuple[str, str], str] = {
            (self._state_name("Military Forces of", member), a["country"]): a["name"]
            for a in (orgs or {}).get("organisations") or [] for member in a.get("members") or ()}
        self._build(entries)
        groups = [f"(?P<c{cc}>" + "|".join(forms) + ")" for cc, forms in self.demonyms.items() if forms]
        self._demonym_regex = re.compile(r"(?<![\w])(?:" + "|".join(groups) + r")(?![\w])") if groups else None
        # the same alternation matched through the literal prefilter: one regex of ~500 names tried at every
        # position cost ~20 ms a long article (a tenth of its extraction), and countries_named reads every story
        self._demonym_ccs = [cc for cc, forms in self.demonyms.items() if forms]
        self._demonyms_fast = Alternation(["|".join(forms) for forms in self.demonyms.values() if forms],
                                          case_sensitive=True)
        self._named = NamedGroups(data.get("named_groups") or {}, self._demonym_regex)

    def _demonym_entries(self) -> list[tuple[ActorSpec, list[str]]]:
        out = []
        for cc, forms in self.demonyms.items():
            alt = "(?-i:" + "|".join(forms) + ")"  # a people's adjective is capitalised: "US", not "us"
            for p in forms:
                _check_pattern(p, f"demonym {cc}")
            out.append((ActorSpec(self._state_name("Police Forces of", cc), "state", 1, cc),
                        [alt + _POLICE_WORDS, alt + _POSSESSIVE + r"police"]))
            out.append((ActorSpec(self._state_name("Military Forces of", cc), "state", 1, cc),
                        [alt + _FORCE_WORDS, alt + _POSSESSIVE + r"(?:army|military|forces|troops|air force|navy)"]))
        return out

    def _build(self, entries: list[tuple[ActorSpec, list[str]]]) -> None:
        self._spec_of_group: list[ActorSpec] = []
        seen: dict[str, ActorSpec] = {}
        for spec, _patterns in entries:
            self._spec_of_group.append(spec)
            seen.setdefault(spec.name, spec)
            self.specs.append(spec)
        # the overrides and fallback of a template hold whichever entry of that name gives them
        for spec in self.specs:
            first = seen[spec.name]
            if spec is not first and (spec.overrides or spec.fallback):
                seen[spec.name] = replace(first, overrides={**spec.overrides, **first.overrides},
                                          fallback=first.fallback or spec.fallback)
        self.by_name: dict[str, ActorSpec] = seen
        self.by_key: dict[str, ActorSpec] = {s.key: s for s in self.specs if s.key}
        self._default_group = {cc: s.name for s in self.specs for cc in s.default_in}
        self._regex = Alternation(["|".join(patterns) for _spec, patterns in entries])
        # the template each generic role goes by, for rules that name a side without a mention
        self.suspects: str | None = self._key_name("insurgents")
        self.soldiers: str | None = self._key_name("military")
        self.police: str | None = self._key_name("police")
        self.civilians: str | None = self._key_name("civilians")
        self.unidentified: str | None = self._key_name("unidentified")
        self.side: dict[str, str] = _SideMap(self._named_side)
        self.side.update({s.name: s.side for s in reversed(self.specs)})
        self._inter: dict[str, int] = {s.name: s.inter for s in reversed(self.specs)}
        for s in self.specs:
            for cc, override in s.overrides.items():
                override = override.replace(COUNTRY, self.country_name(cc) or cc)
                self.side.setdefault(override, s.side)
                self._inter.setdefault(override, s.inter)
        # every generic actor's name in every country, so that resolved names have their side too
        import pycountry

        for s in self.specs:
            if not s.generic:
                continue
            for c in pycountry.countries:
                name = self.resolve(s.name, c.alpha_2)
                if name is not None and name not in self.side:
                    spec = self.by_name.get(name, s) if name in self.by_name else \
                        (self.by_key[s.fallback] if s.fallback in self.by_key and name != s.name else s)
                    self.side[name] = spec.side
                    self._inter[name] = spec.inter

    def _key_name(self, key: str) -> str | None:
        spec = self.by_key.get(key)
        return spec.name if spec else None

    # -- names -----------------------------------------------------------------------------------

    def country_name(self, cc: str | None) -> str | None:
        """ACLED's English name of a country ("Somalia", "Democratic Republic of Congo"); None for a code that
        names no country."""
        import pycountry

        if not cc or cc not in acled_country_names() and pycountry.countries.get(alpha_2=cc) is None:
            return None
        return acled_country_name(cc, cc)

    def _state_name(self, prefix: str, cc: str) -> str:
        name = self.country_name(cc) or cc
        return f"{prefix} {'the ' if cc in self._the else ''}{name}"

    def marks(self, text: str) -> frozenset[str]:
        """The marks (``actors.yaml`` ``marks``) that ``text`` bears: "organised_crime" for a drive-by shooting."""
        return frozenset(mark for mark, rx in self._marks.items() if rx.search(text))

    def resolve(self, name: str | None, cc: str | None, marks: frozenset[str] = frozenset()) -> str | None:
        """The name of ``name`` for an event in country ``cc``: a template gets the country's name (state forces
        "Military Forces of the United States", others "Civilians (Mexico)"), unnamed insurgents the country's
        dominant armed group where the data says there is one, an actor with a ``marked`` name that name when
        the event bears the mark (``marks``) in one of its countries; a coalition member's forces in the coalition's
        country the coalition ("Saudi forces" in Yemen: Operation Restoring Hope); a named actor stays as it is."""
        if name is None or COUNTRY not in name:
            return self._coalition.get((name, cc), name) if name is not None and cc else name
        spec = self.by_name.get(name)
        if spec is not None and cc and spec.mark in marks and cc in spec.marked_in:
            return spec.marked_name.replace(COUNTRY, self.country_name(cc) or cc)
        if spec is not None and cc:
            if spec.key == "insurgents" and cc in self._default_group:
                return self._default_group[cc]  # unnamed militants: the country's dominant armed group
            if cc in spec.overrides:
                override = spec.overrides[cc]
                return override.replace(COUNTRY, self.country_name(cc) or cc) if COUNTRY in override else override
        if spec is not None and spec.fallback in self.by_key:
            return self.resolve(self.by_key[spec.fallback].name, cc, marks)
        country = self.country_name(cc)
        if country is None:
            return name.replace(" ({country})", "").replace(" of {country}", "")
        if name.endswith(" of {country}"):
            return name.replace("{country}", ("the " if cc in self._the else "") + country)
        return name.replace("{country}", country)

    def side_of(self, name: str | None) -> str | None:
        if name is None:
            return None
        if name in self.side:
            return self.side[name]
        return self._resolved_spec(name, "side")

    def inter_of(self, name: str | None) -> int | None:
        """ACLED's interaction code of a (resolved or template) actor name."""
        if name is None:
            return None
        if self._named_side(name) == "identity":
            return 4
        if name in self._inter:
            return self._inter[name] or None
        return self._resolved_spec(name, "inter")

    def _resolved_spec(self, name: str, attr: str):
        """A resolved generic name ("Civilians (Mexico)") is its template's; a state force of any country is state."""
        if name.startswith(("Military Forces of", "Police Forces of")):
            return "state" if attr == "side" else 1
        for s in self.specs:
            if s.generic:
                head, _, tail = s.name.partition(COUNTRY)
                if name.startswith(head) and name.endswith(tail) and len(name) > len(head) + len(tail):
                    return getattr(s, attr)
        return None

    # -- finding ---------------------------------------------------------------------------------

    def countries_named(self, text: str) -> set[str]:
        """The countries a text points to through its actors: a people's adjective ("Somali troops", "Yemen's
        army") or an organisation that fights in one country ("Al Shabaab")."""
        found = self.demonym_countries(text)
        for m in self._regex.finditer(text):
            spec = self._spec_of_group[int(m.lastgroup[1:])] if m.lastgroup else None
            if spec is not None and spec.country and not spec.generic and spec.side != "foreign":
                found.add(spec.country)
        return found

    def demonym_countries(self, text: str) -> set[str]:
        """The countries whose people's adjective or name the text uses ("Somali", "Yemen's")."""
        return {self._demonym_ccs[int(m.lastgroup[1:])] for m in self._demonyms_fast.finditer(text) if m.lastgroup}

    @staticmethod
    def _named_side(name: str) -> str | None:
        if re.search(r" (?:Sub-Clan|Clan|Tribal|Ethnic|Communal) Militia \([^)]+\)$", name):
            return "identity"
        return None

    def _named_groups(self, text: str) -> list[ActorMention]:
        out = []
        for g in self._named.find(text):
            if COUNTRY not in g.name:
                self.side.setdefault(g.name, g.side)
            self._inter.setdefault(g.name, g.inter)
            out.append(ActorMention(g.name, g.side, g.start, g.end, g.surface))
        return out

    def find(self, text: str) -> list[ActorMention]:
        """Actors in ``text``, in order. A named organisation wins over a militia named by its clan or people
        ("Hawiye-Abgal sub-clan militia"), which wins over a generic actor at the same place."""
        found = []
        for m in self._regex.finditer(text):
            group = m.lastgroup
            if group is None:
                continue
            spec = self._spec_of_group[int(group[1:])]
            found.append((spec, ActorMention(spec.name, spec.side, m.start(), m.end(), m.group(group))))
        named = [x for x in self._named_groups(text)
                 if not any(not s.generic and x.start < f.end and f.start < x.end for s, f in found)]
        # "pro-Houthi fighters", "Shabaab militants": the generic word right after an organisation's name is its people
        kept: list[tuple[ActorSpec, ActorMention]] = []
        for s, f in found:
            prev = kept[-1][1] if kept else None
            if prev is not None and s.generic and s.side in _FIGHTING and s.key != "police" and \
                    not kept[-1][0].generic and _SAME_PHRASE.fullmatch(text, prev.end, f.start):
                kept[-1] = (kept[-1][0], replace(prev, end=f.end, surface=text[prev.start:f.end]))
            else:
                kept.append((s, f))
        found = kept
        out = [f for s, f in found if not (s.generic and any(x.start < f.end and f.start < x.end for x in named))]
        out += named
        out.sort(key=lambda x: x.start)
        return out


@lru_cache(maxsize=1)
def default_actor_book() -> ActorBook:
    return ActorBook()
