"""A large alternation of regular expressions, matched fast: only the alternatives that can match a text are tried.

Python's ``re`` tries every alternative at every position, so one regex of a thousand actor patterns costs
milliseconds per sentence. Each alternative is parsed once for the literal strings one of which any match must
contain ("forces" in ``(?:Afghan |government )forces``, "polic" or "gendarm" in ``polic(?:e|emen)|gendarmes?``);
for a text, only the alternatives whose literals occur in it (lower-cased) are tried. An alternative without such
literals is always tried. Each alternative is compiled once, on first use, into a regex of its own (with the
alternation's word boundaries); a text's matches are the full alternation's, rebuilt from the alternatives' own
searches: the leftmost match wins, and of those at one position the earliest alternative's. No regex is compiled per
text (a story's set of active alternatives is mostly its own, and compiling a ~70 KB alternation for each cost more
than the matching).

The guarantee: ``finditer`` yields exactly the matches of the full alternation (same order of alternatives, so
the same alternative wins at a position), only faster.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

_sc: Any
_sp: Any
try:  # the parser is private; without it every alternative is always tried (correct, only slower)
    _sc = importlib.import_module("re._constants")
    _sp = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python without the 3.11 layout
    _sp = _sc = None

_MIN_LITERAL = 3  # a shorter literal occurs in nearly every text: no use as a filter


def _required(items) -> set[str] | None:
    """Strings at least one of which every match of the parsed sequence ``items`` contains, or None."""
    candidates: list[set[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append({"".join(run).lower()})
            run.clear()

    for op, av in items:
        if op is _sc.LITERAL:
            run.append(chr(av))
            continue
        flush()
        found: set[str] | None = None
        if op is _sc.SUBPATTERN:
            found = _required(av[-1])
        elif op is _sc.BRANCH:
            alts = [_required(b) for b in av[1]]
            found = set[str]().union(*(a for a in alts if a)) if alts and all(alts) else None
        elif op in (_sc.MAX_REPEAT, _sc.MIN_REPEAT) and av[0] >= 1:
            found = _required(av[2])
        if found:
            candidates.append(found)
    flush()
    good = [c for c in candidates if min(len(x) for x in c) >= _MIN_LITERAL]
    if not good:
        return None
    return max(good, key=lambda c: (min(len(x) for x in c), -len(c)))


def required_literals(pattern: str) -> set[str] | None:
    """Lower-cased strings one of which any match of ``pattern`` contains; None when no useful set is known."""
    if _sp is None:
        return None
    try:
        return _required(_sp.parse(pattern, re.IGNORECASE))
    except (re.error, AttributeError, TypeError, ValueError):
        return None


class Alternation:
    """``(?<!\\w)(?:(?P<a0>...)|(?P<a1>...)|...)(?!\\w)``, case-insensitive, matched through a literal prefilter."""

    def __init__(self, alternatives: list[str]) -> None:
        self._parts = [f"(?P<a{i}>{p})" for i, p in enumerate(alternatives)]
        self._always: list[int] = []
        self._by_literal: dict[str, list[int]] = {}
        for i, p in enumerate(alternatives):
            lits = required_literals(p)
            if lits is None:
                self._always.append(i)
            else:
                for lit in lits:
                    self._by_literal.setdefault(lit, []).append(i)
        self._literals = sorted(self._by_literal)
        self._compiled: dict[int, re.Pattern[str]] = {}

    def _active(self, text: str) -> tuple[int, ...]:
        # as re's IGNORECASE folds them: dotted and dotless i, the long s
        low = text.lower().replace("\u0307", "").replace("ı", "i").replace("ſ", "s")
        active = set(self._always)
        for lit in self._literals:
            if lit in low:
                active.update(self._by_literal[lit])
        return tuple(sorted(active))

    def _regex(self, i: int) -> re.Pattern[str]:
        rx = self._compiled.get(i)
        if rx is None:
            rx = self._compiled[i] = re.compile(r"(?<![\w])(?:" + self._parts[i] + r")(?![\w])", re.IGNORECASE)
        return rx

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Matches as the full alternation gives them; ``m.lastgroup`` is ``a<index of the alternative>``."""
        regexes = [self._regex(i) for i in self._active(text)]  # in the alternation's order
        ahead: list[re.Match[str] | None] = [rx.search(text) for rx in regexes]
        pos = 0
        while True:
            best: re.Match[str] | None = None
            for k, rx in enumerate(regexes):
                m = ahead[k]
                if m is not None and m.start() < pos:  # overlapped by the last match: the next one from here
                    m = ahead[k] = rx.search(text, pos)
                if m is not None and (best is None or m.start() < best.start()):
                    best = m  # strictly left of the others: at one position the earliest alternative wins
            if best is None:
                return
            yield best
            pos = best.end() if best.end() > best.start() else best.start() + 1
