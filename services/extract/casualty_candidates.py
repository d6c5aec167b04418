"""The candidate figures of a sentence: the numbers it writes, and the single people it counts with no number
(``the senior Taliban leader``, ``another``, ``Qari Ziauddin, the Taliban shadow governor``, ``killing him``,
``Jaji police district chief``). ``casualties.casualty_figures`` decides whom each counts and what happened to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import casualty_patterns as rx
from .actors import ActorMention
from .numbers import Quantity, find_quantities


@dataclass(frozen=True)
class Known:
    """People whose group is settled before their figure is read: a pronoun's antecedent, an office holder."""
    group: str
    end: int  # end of their phrase
    own_verb_only: bool  # an office holder takes a kind only from the passive verb they share ("chief was killed")
    antecedent: int = -1  # where the person a pronoun stands for is named


@dataclass
class Candidates:
    """The figures to read, in order, with what is known of some of them before they are read."""
    quantities: list[Quantity]
    named: dict[int, int] = field(default_factory=dict)  # start of a named person -> end of their role
    known: dict[int, Known] = field(default_factory=dict)  # start of a figure -> its settled group


def _named_people(sent: str, mentions: list[ActorMention]) -> dict[int, int]:
    """Start of each person named with a role ("Qari Ziauddin, the Taliban shadow governor") -> end of the role."""
    out = {}
    for m in rx.NAMED.finditer(sent):
        name = m.group(1)
        if rx.NOT_A_NAME.match(name) or find_quantities(name.split()[0]) or \
                any(x.start < m.end(1) and x.end > m.start(1) for x in mentions):
            continue
        out[m.start(1)] = m.end()
    return out


def _one(start: int, end: int, text: str) -> Quantity:
    return Quantity(1, 1, False, start, end, text)


def _people_implied(sent: str, named: dict[int, int]) -> list[Quantity]:
    """Written figures, and single people no number counts: "arrested the senior Taliban leader", "another",
    "the individual associated with the cache", a named person (who replaces figures inside the name)."""
    quantities = find_quantities(sent)
    quantities += [_one(m.start(1), m.end(1), m.group(1)) for m in rx.DEFINITE.finditer(sent)]
    quantities += [_one(m.start(), m.end(), m.group()) for m in rx.ANOTHER.finditer(sent)]
    starts = {q.start for q in quantities}
    quantities += [_one(m.start(1), m.end(1), m.group(1)) for m in rx.THE_ROLE.finditer(sent)
                   if m.start(1) not in starts]
    quantities = [q for q in quantities if not any(a < q.start < b for a, b in named.items())]
    quantities += [_one(a, b, sent[a:b]) for a, b in named.items()
                   if not any(q.start <= a < q.end for q in quantities)]
    return quantities


def _add_pronouns(sent: str, mentions: list[ActorMention], c: Candidates) -> None:
    """"targeted a Taliban commander, killing him": the pronoun counts the last single person named before it."""
    for pm in rx.PRONOUN.finditer(sent):
        antecedent = next((x for x in reversed(mentions) if x.end <= pm.start() and
                           rx.ONE_BEFORE.search(sent, max(0, x.start - 30), x.start) and
                           (not rx.PLURAL.match(x.surface) or rx.SURFACE_ROLE.match(x.surface))), None)
        if antecedent is not None:
            c.quantities.append(_one(pm.start(1), pm.end(1), pm.group(1)))
            c.known[pm.start(1)] = Known(antecedent.name, pm.end(1), False, antecedent.start)


def _add_office_holders(sent: str, mentions: list[ActorMention], c: Candidates) -> None:
    """"Jaji police district chief was killed": one person, named by a group and a single role, no number."""
    for x in mentions:
        # a mention right after a figure, or after an office holder found before it, is that figure's group
        if rx.PLURAL.match(x.surface) and not rx.SURFACE_ROLE.match(x.surface) or \
                not rx.BARE_START.search(sent, max(0, x.start - 40), x.start) or \
                any(q.start <= x.start < q.end + 40 and rx.GROUP_GAP.match(sent[q.end:x.start])
                    for q in c.quantities):
            continue
        gm = rx.GROUP_ROLE.match(sent, x.end)
        end = gm.end() if gm else x.end if rx.SURFACE_ROLE.match(x.surface) else None
        if end is not None and not rx.PLURAL_NEXT.match(sent, end):
            c.quantities.append(_one(x.start, end, sent[x.start:end]))
            c.known[x.start] = Known(x.name, end, True)


def candidates(sent: str, mentions: list[ActorMention]) -> Candidates:
    """Every figure of ``sent`` to read, ordered by where it starts (ties in the order found)."""
    named = _named_people(sent, mentions)
    c = Candidates(_people_implied(sent, named), named)
    _add_pronouns(sent, mentions, c)
    _add_office_holders(sent, mentions, c)
    c.quantities.sort(key=lambda x: x.start)
    return c
