"""Casualty figures in words and digits, with the bounds a careful coder would record.

``at least 13`` -> min 13; ``more than 30`` / ``over 24`` -> min 30/24, a lower bound;
``two dozen`` -> 24; ``dozens`` -> 12 (the smallest plural of a dozen); ``tens`` -> 10;
``scores`` -> 40; ``a dozen`` -> 12; ``about 14`` -> 14; ``10 to 15`` -> 10..15.

``up to 42`` / ``as many as 42`` -> 0..42: a ceiling; the text states no floor, so the minimum is unknown (0). DESIGN.md
has no rule for it; as the only figure such a report gives, N is what the ACLED-rule total counts (see
``figure_value``).

Vague plurals are lower bounds at the smallest count the word can fairly mean: ``a couple of`` -> 2;
``a few``, ``several``, ``multiple``, ``a number of`` -> 3 (more than two); ``numerous``, ``many``
-> 4 (more than "several"); a bare ``few`` or ``some`` -> 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
# the number words that write an exact count ("a"/"an" name one person rather than count people)
NUMBER_WORDS = tuple(k for k in _UNITS if k not in ("a", "an")) + tuple(_TENS)
_VAGUE = {"dozens": 12, "tens": 10, "scores": 40, "hundreds": 100, "several": 3, "multiple": 3, "a few": 3, "few": 2,
          "a number of": 3, "a couple of": 2, "some": 2, "many": 4, "numerous": 4}
_FLOOR_WORDS = r"(?:at\s+least|more\s+than|over|upwards\s+of|no\s+fewer\s+than|not\s+less\s+than|in\s+excess\s+of)"
_APPROX_WORDS = r"(?:about|around|approximately|nearly|almost|some|roughly|up\s+to|as\s+many\s+as|an\s+estimated)"

_WORD_NUM = (r"(?:(?:" + "|".join(_TENS) + r")(?:[\s-](?:" + "|".join(k for k in _UNITS if len(k) > 2) + r"))?"
             r"|" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")")
_SIMPLE = r"(?:\d{1,3}(?:,\d{3})+|\d+|" + _WORD_NUM + r"(?:\s+hundred)?(?:\s+dozen)?|dozen)"
NUMBER_RE = re.compile(
    r"(?<![\w])(?:(?P<mod>" + _FLOOR_WORDS + r"|" + _APPROX_WORDS + r")\s+)?"
    r"(?P<num>" + "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(_VAGUE, key=len, reverse=True)) +
    r"|" + _SIMPLE + r"(?:\s*(?:-|to|or)\s*" + _SIMPLE + r")?)(?![\w])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    min: int
    max: int | None
    lower_bound: bool
    start: int
    end: int
    text: str


def _simple_value(s: str) -> int | None:
    s = s.strip().lower().replace(",", "")
    if s.isdigit():
        return int(s)
    if s == "dozen":
        return 12
    mult = 1
    if s.endswith(" dozen"):
        mult, s = 12, s[: -len(" dozen")].strip()
    if s.endswith(" hundred"):
        mult, s = mult * 100, s[: -len(" hundred")].strip()
    total = 0
    for part in re.split(r"[\s-]+", s):
        if part in _TENS:
            total += _TENS[part]
        elif part in _UNITS:
            total += _UNITS[part]
        else:
            return None
    return total * mult


def parse_quantity(match: re.Match) -> Quantity | None:
    num = re.sub(r"\s+", " ", match.group("num").lower())
    mod = (match.group("mod") or "").lower()
    mod = re.sub(r"\s+", " ", mod)
    if num in _VAGUE:
        vague = _VAGUE[num]
        return Quantity(vague, None, True, match.start(), match.end(), match.group(0).strip())
    rng = re.split(r"\s*(?:-|\bto\b|\bor\b)\s*", num)
    if len(rng) == 2 and all(rng):
        lo, hi = _simple_value(rng[0]), _simple_value(rng[1])
        if lo is not None and hi is not None and lo <= hi:
            return Quantity(lo, hi, False, match.start(), match.end(), match.group(0).strip())
    v = _simple_value(num)
    if v is None:
        return None
    floor = bool(mod) and re.fullmatch(_FLOOR_WORDS, mod) is not None
    if mod.startswith("up to") or mod.startswith("as many as"):
        return Quantity(0, v, False, match.start(), match.end(), match.group(0).strip())
    return Quantity(v, None if floor else v, floor, match.start(), match.end(), match.group(0).strip())


def find_quantities(text: str) -> list[Quantity]:
    out = []
    for m in NUMBER_RE.finditer(text):
        if not m.group("num").strip():
            continue
        q = parse_quantity(m)
        if q is not None:
            out.append(q)
    return out


def figure_value(lo: int, hi: int | None) -> int:
    """The count a (min, max) figure contributes to a conservative total: its minimum, except for a ceiling with no
    floor (``up to 42`` -> 0..42), which counts its ceiling, the one figure the report gives."""
    return hi if lo == 0 and hi else lo
