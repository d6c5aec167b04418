"""Groups the text names itself: clan, tribal, ethnic and communal militias and criminal gangs, in ACLED's naming.

"Hawiye-Abgal sub-clan militia" -> "Hawiye-Abgal Sub-Clan Militia ({country})", "Bani Ali and Al Badi tribesmen" ->
"Bani Ali Tribal Militia ({country})" and "Al Badi Tribal Militia ({country})", "members of Los Viagras" -> "Los
Viagras Gang". The vocabulary (the kinds, their labels, sides and ACLED codes, the particles a name may hold, the
words no name begins with) is ``actors.yaml``'s ``named_groups``; this module only applies it. The guarantee:
``NamedGroups.find`` is deterministic and depends on the text alone; a name that is a country's adjective or name
("Somali clan militias") is no group's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NamedGroup:
    """One group named in the text: its ACLED name (a template when it holds ``{country}``), side and code."""

    name: str
    side: str
    inter: int
    start: int
    end: int
    surface: str


@dataclass(frozen=True)
class _Kind:
    label: str
    side: str
    inter: int
    article_label: str


def _alt(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


class NamedGroups:
    """The ``named_groups`` rules of ``actors.yaml``, compiled once."""

    def __init__(self, data: dict, not_a_people: re.Pattern[str] | None = None) -> None:
        data = data or {}
        particles = _alt([re.escape(p) for p in data.get("particles") or []]) or "(?!)"
        cap = r"(?-i:[A-Z][\w'’]*)"
        name = rf"{cap}(?:[- ](?:(?-i:{particles})[- ])*{cap}){{0,5}}"
        names = rf"{name}(?:(?:,\s+|\s+and\s+|,\s+and\s+){name})*"
        self._articles = tuple(data.get("articles") or ())
        self._not_a_name = frozenset(data.get("not_a_name") or ())
        self._not_a_people = not_a_people
        self._kinds: list[_Kind] = []
        groups = []
        for i, k in enumerate(data.get("kinds") or []):
            self._kinds.append(_Kind(k["label"], k["side"], int(k["inter"]), k.get("article_label") or k["label"]))
            groups.append(f"(?P<k{i}>{_alt(k['words'])})")
        self._rx = re.compile(rf"(?<![\w-])(?P<names>{names})\s+(?:{'|'.join(groups)})(?![\w-])",
                              re.IGNORECASE) \
            if groups else None
        self._split = re.compile(r",\s+and\s+|,\s+|\s+and\s+")
        members = data.get("members") or {}
        self._members: _Kind | None = None
        self._members_rx: re.Pattern[str] | None = None
        if members and self._articles:
            self._members = _Kind(members["label"], members["side"], int(members["inter"]), members["label"])
            art = _alt([re.escape(a) for a in self._articles])
            named = rf"(?-i:{art})\s+{name}"
            self._members_rx = re.compile(
                rf"(?<![\w-])(?:(?:{_alt(members['before'])})(?P<a>{named})(?![\w-])|"
                rf"(?P<b>{named})\s+(?:{_alt(members['after'])})(?![\w-]))", re.IGNORECASE)

    def _clean(self, raw: str) -> str | None:
        words = raw.split()
        while words and words[0] in self._not_a_name:
            words = words[1:]
        if not words:
            return None
        text = " ".join(words)
        if self._not_a_people is not None and self._not_a_people.fullmatch(text):
            return None
        return text

    def _one(self, raw: str, at: int, kind: _Kind, end: int, text: str) -> NamedGroup | None:
        clean = self._clean(raw)
        if clean is None:
            return None
        start = at + len(raw) - len(clean)
        label = kind.article_label if clean.split()[0] in self._articles else kind.label
        return NamedGroup(label.replace("{name}", clean), kind.side, kind.inter, start, end, text[start:end])

    def find(self, text: str) -> list[NamedGroup]:
        """The named groups of ``text``, in order; several names before one kind word are one group each."""
        out: list[NamedGroup] = []
        for m in self._rx.finditer(text) if self._rx is not None else ():
            kind = self._kinds[int(m.lastgroup[1:])] if m.lastgroup and m.lastgroup[0] == "k" else None
            if kind is None:
                continue
            at = m.start("names")
            parts = []
            pos = 0
            chunk = m.group("names")
            for sep in self._split.finditer(chunk):
                parts.append((chunk[pos:sep.start()], at + pos))
                pos = sep.end()
            parts.append((chunk[pos:], at + pos))
            for i, (raw, start) in enumerate(parts):
                # the last name runs to the kind word; the others are only their own name
                end = m.end() if i == len(parts) - 1 else start + len(raw)
                group = self._one(raw, start, kind, end, text)
                if group is not None:
                    out.append(group)
        if self._members_rx is not None and self._members is not None:
            for m in self._members_rx.finditer(text):
                key = "a" if m.group("a") else "b"
                group = self._one(m.group(key), m.start(key), self._members, m.end(key), text)
                if group is not None and not any(g.start < group.end and group.start < g.end for g in out):
                    out.append(group)
        out.sort(key=lambda g: g.start)
        return out
