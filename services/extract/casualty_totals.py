"""ACLED's rule for totalling casualty figures over an event: the figures ``casualties.casualty_figures``
reads, paired with the sentences (reports, claims) that give them.

``conservative_total`` depends only on the (figure, sentence) pairs it is given.
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from services.common.contracts import Casualty, Event

from . import casualty_patterns as rx
from .numbers import figure_value


def _figure_traits(c: Casualty, sentence: str) -> tuple[bool, bool]:
    """(precise, additional) of one figure: written as a number ("two", "at least 13"), not as a person
    ("a Taliban leader", "Qari Ziauddin") or a vague word ("several"); and counting people besides those
    already reported ("two additional suspects", "the force also detained two men")."""
    at = sentence.find(c.text)
    before = sentence[:at] if at >= 0 else ""
    additional = bool(rx.MORE_PEOPLE.match(c.text) or rx.SEQUEL.search(before[-80:]) or rx.SEPARATE.search(sentence))
    # "killing the two attackers": people already counted, named again
    anaphoric = at >= 0 and rx.THE_BEFORE.search(before) is not None
    return bool(rx.PRECISE.match(c.text)) and not anaphoric, additional


def conservative_total(figures: Iterable[tuple[Casualty, str]], kind: str = "killed",
                       groups: Container[str] | None = None) -> int:
    """The ACLED rule over (casualty, sentence) pairs: within one sentence the figures of one group
    add up ("1 policeman and 4 local policemen", "the leader and three of his associates"); across
    sentences (separate reports or claims) each group counts with its lowest figure; groups add up.

    A sentence that only names people ("captured a Taliban leader") or gives a vague word ("several")
    is a lower bound, not a competing report: a sentence with a written number wins over it, else the
    largest such bound counts. A sentence whose figures all count people besides those already reported
    ("the force also detained two suspects", "two other insurgents") adds to the total, unless it
    repeats a figure an earlier sentence already listed as additional. A party's claim about its enemy's
    losses ("the Taliban claimed 10 soldiers were killed") does not count. A total of the dead ("the death toll
    rose to 23", "2 fatalities") is not one more group: the total is the figures by group or, when larger, the
    lowest such total."""
    per_sentence: dict[str, dict[str, list[tuple[int, bool, bool]]]] = {}
    totals: list[int] = []
    for c, sentence in figures:
        if c.kind != kind or (groups is not None and c.group not in groups) or rx.PARTISAN.search(sentence):
            continue
        if kind == "killed" and rx.TOTAL_TEXT.match(c.text):
            totals.append(figure_value(c.min, c.max))
            continue
        bucket = per_sentence.setdefault(sentence, {})
        bucket.setdefault(c.group, []).append((figure_value(c.min, c.max), *_figure_traits(c, sentence)))
    lowest: dict[str, int] = {}
    bound: dict[str, int] = {}
    extra: dict[str, int] = {}
    listed_extra: set[tuple[str, int]] = set()
    earlier = False
    for bucket in per_sentence.values():
        for group, items in bucket.items():
            n = sum(i[0] for i in items)
            if all(i[2] for i in items) and earlier:
                if all((group, i[0]) in listed_extra for i in items):
                    continue  # "Two other insurgents were also captured", restating the list above
                extra[group] = extra.get(group, 0) + n
            elif any(i[1] for i in items):
                lowest[group] = min(lowest.get(group, n), n)
                listed_extra |= {(group, i[0]) for i in items if i[2]}
            else:
                bound[group] = max(bound.get(group, n), n)
        earlier = True
    by_group = sum(lowest.get(g, bound.get(g, 0)) for g in lowest.keys() | bound.keys()) + sum(extra.values())
    return max(by_group, min(totals)) if totals else by_group


def event_total(event: Event, kind: str = "killed", groups: Container[str] | None = None) -> int:
    """``conservative_total`` of an extracted event (its casualties paired with their claims)."""
    return conservative_total(zip(event.casualties, (c.statement for c in event.claims), strict=False), kind, groups)
