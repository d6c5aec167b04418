"""A large alternation of regular expressions, matched fast: only the alternatives that can match a text are tried.

Python's ``re`` tries every alternative at every position, so one regex of a thousand actor patterns costs
milliseconds per sentence. Each alternative is parsed once for the literal strings one of which any match must
contain ("forces" in ``(?:Afghan |government )forces``, "polic" or "gendarm" in ``polic(?:e|emen)|gendarmes?``);
for a text, only the alternatives whose literals occur in it (lower-cased) are tried. An alternative without such
literals is always tried.

The active alternatives are searched one by one, each compiled once (on its first use) and kept, and their matches
merged as the alternation would choose them: from the current position the leftmost match wins, the earliest
alternative among those starting there, and the search goes on from its end. A regex of a story's active set,
compiled per story (most stories' sets are their own), cost ~20 ms a short story, nearly all of extract's CPU in the
load replay; the merge costs under 1 ms. When an active alternative can match the empty string (whose next-match
rule this merge does not copy) the text is matched by one regex of the active set, compiled and cached by the set.

The guarantee: ``finditer`` yields exactly the matches of the full alternation (same spans, and the same
alternative wins at a position, named by ``lastgroup``), only faster.
"""

from __future__ import annotations

import importlib
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
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


def can_match_empty(pattern: str) -> bool:
    """Whether ``pattern`` may match the empty string (True when it cannot be parsed here: the safe answer)."""
    if _sp is None:
        return True
    try:
        return bool(_sp.parse(pattern, re.IGNORECASE).getwidth()[0] == 0)
    except (re.error, AttributeError, TypeError, ValueError):
        return True


def required_literals(pattern: str) -> set[str] | None:
    """Lower-cased strings one of which any match of ``pattern`` contains; None when no useful set is known."""
    if _sp is None:
        return None
    try:
        return _required(_sp.parse(pattern, re.IGNORECASE))
    except (re.error, AttributeError, TypeError, ValueError):
        return None


@dataclass
class _Cursor:
    """One alternative's next match from the current position."""

    index: int
    rx: re.Pattern[str]
    match: re.Match[str]


@dataclass
class _Merge:
    """The alternatives' own matches merged into the full alternation's, left to right."""

    text: str
    cursors: list[_Cursor] = field(default_factory=list)

    def matches(self) -> Iterator[re.Match[str]]:
        while self.cursors:
            best = min(self.cursors, key=lambda c: (c.match.start(), c.index))
            yield best.match
            pos = best.match.end()  # never empty here: alternatives that can match empty are not merged
            ahead = []
            for c in self.cursors:
                if c.match.start() < pos:  # overlaps the match taken: its next match from the end
                    m = c.rx.search(self.text, pos)
                    if m is None:
                        continue
                    c.match = m
                ahead.append(c)
            self.cursors = ahead


class Alternation:
    """``(?<!\\w)(?:(?P<a0>...)|(?P<a1>...)|...)(?!\\w)``, case-insensitive unless ``case_sensitive``, matched
    through a literal prefilter (lower-cased either way: a case-sensitive match holds its literal too)."""

    # Each alternative compiled alone is kept (at most one per alternative). The regexes of whole active sets are
    # only for sets holding an alternative that can match empty (none of the actor book's); a compiled alternation
    # of a story's active names is ~70 KB, hence the bound on their cache.
    def __init__(self, alternatives: list[str], cache_size: int = 256, case_sensitive: bool = False) -> None:
        self._flags = 0 if case_sensitive else re.IGNORECASE
        self._parts = [f"(?P<a{i}>{p})" for i, p in enumerate(alternatives)]
        self._always: list[int] = []
        self._by_literal: dict[str, list[int]] = {}
        self._empty = frozenset(i for i, p in enumerate(alternatives) if can_match_empty(p))
        for i, p in enumerate(alternatives):
            lits = required_literals(p)
            if lits is None:
                self._always.append(i)
            else:
                for lit in lits:
                    self._by_literal.setdefault(lit, []).append(i)
        # the literals by their first _MIN_LITERAL characters: a text can hold only those whose head is one of its
        # own substrings of that length, so a text tests a few dozen literals, not all of them (~1,200 for the actor
        # book: the scan of every literal was a third of the actor search's time on short notes)
        self._by_head: dict[str, list[str]] = {}
        for lit in sorted(self._by_literal):
            self._by_head.setdefault(lit[:_MIN_LITERAL], []).append(lit)
        self._heads = frozenset(self._by_head)  # a set: intersecting two sets walks the smaller one, a dict the dict
        self._single: dict[int, re.Pattern[str]] = {}
        self._cache: OrderedDict[tuple[int, ...], re.Pattern[str] | None] = OrderedDict()
        self._cache_size = cache_size

    def _active(self, text: str) -> tuple[int, ...]:
        # as re's IGNORECASE folds them: dotted and dotless i, the long s
        low = text.lower().replace("\u0307", "").replace("ı", "i").replace("ſ", "s")
        active = set(self._always)
        heads = {low[i:i + _MIN_LITERAL] for i in range(len(low) - _MIN_LITERAL + 1)}
        for head in heads & self._heads:
            for lit in self._by_head[head]:
                if lit in low:
                    active.update(self._by_literal[lit])
        return tuple(sorted(active))

    def _compile(self, active: tuple[int, ...]) -> re.Pattern[str]:
        return re.compile(r"(?<![\w])(?:" + "|".join(self._parts[i] for i in active) + r")(?![\w])", self._flags)

    def _alone(self, i: int) -> re.Pattern[str]:
        rx = self._single.get(i)
        if rx is None:
            rx = self._single[i] = self._compile((i,))
        return rx

    def _regex(self, active: tuple[int, ...]) -> re.Pattern[str] | None:
        rx = self._cache.get(active)
        if rx is None and active not in self._cache:
            rx = self._compile(active) if active else None
            self._cache[active] = rx
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(active)
        return rx

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Matches as the full alternation gives them; ``m.lastgroup`` is ``a<index of the alternative>``."""
        active = self._active(text)
        if self._empty.intersection(active):
            rx = self._regex(active)
            return iter(()) if rx is None else rx.finditer(text)
        merge = _Merge(text)
        for i in active:
            rx = self._alone(i)
            if (m := rx.search(text)) is not None:
                merge.cursors.append(_Cursor(i, rx, m))
        return merge.matches()
