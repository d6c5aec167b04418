"""Casualty figures of a sentence (killed, wounded, captured, with the group each counts) and ACLED's rule for
totalling them over an event (``conservative_total``, ``event_total``: kept in ``casualty_totals.py``).

The vocabulary comes from ``lexicon.py``, the phrasing from ``casualty_patterns.py``. ``casualty_figures`` is
deterministic for a sentence, its actor mentions and the event's country; ``conservative_total`` depends only on
the (figure, sentence) pairs it is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from services.common.contracts import Casualty

from . import casualty_patterns as rx
from .actors import ActorBook, ActorMention
from .casualty_candidates import Known, candidates
from .casualty_totals import conservative_total, event_total
from .dates import date_spans
from .lexicon import KIND, KIND_WORD
from .numbers import Quantity

__all__ = ["casualty_figures", "conservative_total", "event_total"]

_ARTICLES = ("a", "an", "the", "another")
_GOVERNMENT = ("state", "foreign")


# -- reading the figures of one sentence -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Phrase:
    """A figure already read: the figures after it may share its group and kind, or break it down."""
    group: str
    end: int
    kind: str | None = None


@dataclass
class _Figure:
    """The state of one figure while it is read."""
    q: Quantity
    end: int  # end of the phrase naming whom it counts ("2 Afghan soldiers", "a Taliban sub-commander")
    article: bool  # "a", "the", "another": one person implied, not a count written
    group: str | None = None
    role: bool = False  # counted by role ("two men"): the group follows from who took or hit them
    roled: bool = False  # a group's phrase ending with a role ("a Taliban sub-commander")
    elided: bool = False  # the group comes from context ("and 24 were wounded", "returned fire, killing 7")
    fated: bool = False  # its noun tells their fate ("14 bodies", "3 dead"): killed, whatever follows
    own_verb_only: bool = False  # see ``Known``
    kind: str | None = None
    ambiguous: bool = False  # "killed or wounded": read, so the next figure may share it, but not counted


@dataclass
class _Reading:
    """One sentence being read, figure by figure, left to right."""
    sent: str
    actors: ActorBook
    mentions: list[ActorMention]
    suspects: str | None
    soldiers: str | None
    civilians: str | None
    skip: list[tuple[int, int]]  # dates: their digits are not figures
    named: dict[int, int]  # start of a named person -> end of their role
    known: dict[int, Known]  # start of a figure -> its settled group
    out: list[Casualty] = field(default_factory=list)
    prev: _Phrase | None = None
    part_of: _Phrase | None = None  # the last figure read as a breakdown of the one before it
    counted: list[tuple[int, int]] = field(default_factory=list)  # the phrases of the figures found so far

    def mentions_before(self, pos: int) -> list[ActorMention]:
        return [x for x in self.mentions if x.end <= pos]


def _is_plural(role: str) -> bool:
    role = role.lower()
    return role.endswith("s") or role.endswith("men") or role in ("personnel", "deputies")


# -- whom a figure counts ------------------------------------------------------------------------------------------

def _counts_actor(sent: str, q: Quantity, m: ActorMention) -> bool:
    """"13 militants", "2 Afghan soldiers"; not "3 army posts", nor "the" before a plural ("the Taliban fighters")."""
    return bool(rx.GROUP_GAP.match(sent[q.end:m.start]) and not rx.OBJECT_NOUN.match(sent, m.end) and
                not (q.text.lower() == "the" and (rx.PLURAL.match(m.surface) or rx.PLURAL_NEXT.match(sent, m.end))))


def _bare_people(r: _Reading, fig: _Figure, m: re.Match[str]) -> bool:
    """A role or occupation names the people counted only if no actor stands inside its phrase, and after an
    article only in the singular ("a man", not "the men")."""
    return not any(fig.q.end <= x.start < m.end(1) for x in r.mentions) and \
        not (fig.article and _is_plural(m.group(1)))


def _by_role_or_occupation(r: _Reading, fig: _Figure) -> None:
    """"two men", "the targeted individual", "2 engineers": people named by what they are, not by a group."""
    q, sent = fig.q, r.sent
    fm = rx.FATE_NOUN.match(sent, q.end)
    if fm and r.civilians is not None and not fig.article:
        fig.group, fig.end, fig.fated = r.civilians, fm.end(), True
        return
    rm = rx.ROLE_NEXT.match(sent, q.end)
    cm = rx.CIVILIAN_NEXT.match(sent, q.end) if r.civilians is not None else None
    if cm and rm and cm.end(1) <= rm.start(1):
        rm = None  # "two NGO staff members": the occupation names them
    if rm and _bare_people(r, fig, rm) and not (q.text.lower() == "the" and rx.PLURAL_NEXT.match(sent, rm.end(1))):
        fig.end, fig.role = rm.end(1), True
        om = rx.OF_ROLE.match(sent[fig.end:])
        inner = next((x for x in r.mentions if om and x.start == fig.end + om.end()), None)
        if inner is not None:  # "the head of police counterterrorism": the force named with the role
            fig.group, fig.end = inner.name, inner.end
    elif r.civilians is not None and cm and _bare_people(r, fig, cm):
        # guards stand at a force's posts: counted with its soldiers, not as civilians
        fig.group, fig.end = (r.soldiers if cm.group(2) else r.civilians), cm.end(1)


def _group_next(r: _Reading, fig: _Figure) -> bool:
    """The group named by the words after the figure; False when a bare "the" counts nobody."""
    q = fig.q
    m = next((m for m in r.mentions if m.start >= q.end), None)
    if m is not None and _counts_actor(r.sent, q, m):
        fig.group, fig.end = m.name, m.end
        rm = rx.ROLE_AFTER.match(r.sent, fig.end)  # "a Taliban sub-commander": the phrase ends with the role
        if rm:
            fig.end, fig.roled = rm.end(), True
    else:
        _by_role_or_occupation(r, fig)
    return not (fig.group is None and not fig.role and q.text.lower() == "the")


def _start_figure(r: _Reading, q: Quantity) -> _Figure | None:
    fig = _Figure(q, end=q.end, article=q.text.lower() in _ARTICLES)
    fig.fated = not fig.article and rx.FATE_NOUN.match(r.sent, q.end) is not None
    known = r.known.get(q.start)
    if known is not None:
        if any(a <= known.antecedent < b for a, b in r.counted):
            return None  # "1 soldier was killed when militants shot and killed him": counted already
        fig.group, fig.end, fig.own_verb_only = known.group, known.end, known.own_verb_only
    elif q.start in r.named:
        fig.end, fig.role = r.named[q.start], True
        inner = next((x for x in r.mentions if q.end <= x.start and x.end <= fig.end), None)
        fig.group = inner.name if inner is not None else None
    elif not _group_next(r, fig):
        return None
    return fig


def _part_of_whole(r: _Reading, fig: _Figure) -> bool:
    """"13 militants including 2 commanders", "12 civilians, 6 of them women"; a figure of another side is listed
    after the part, not inside it ("4 civilians including 3 aid staff, 1 policeman and 4 militants")."""
    q, prev = fig.q, r.prev
    other_side = fig.group is not None and prev is not None and \
        r.actors.side.get(fig.group) != r.actors.side.get(prev.group)
    return bool(rx.SUBSET.search(r.sent[max(0, q.start - 70):q.start]) and not other_side or
                (prev is not None and rx.OF_THEM.match(r.sent[q.end:])))


def _breakdown(r: _Reading, fig: _Figure) -> bool:
    """"5 civilians, 3 women and 2 children, were killed": a breakdown of the figure just given."""
    q, prev, part_of = fig.q, r.prev, r.part_of
    return bool(fig.group is not None and not fig.article and prev is not None and fig.group == prev.group and
                (rx.COMMA.fullmatch(r.sent[prev.end:q.start]) or
                 part_of is not None and part_of.group == fig.group and
                 rx.LISTED.fullmatch(r.sent[part_of.end:q.start])))


def _same_person_again(r: _Reading, fig: _Figure) -> bool:
    """"detained the man, an IED facilitator, and ...", "1 civilian who was a teacher": the same people again."""
    q, prev = fig.q, r.prev
    if prev is None:
        return False
    return bool(rx.RESTATED.search(r.sent, max(0, q.start - 20), q.start) or
                fig.article and q.text.lower() != "the" and rx.COMMA.fullmatch(r.sent[prev.end:q.start]))


def _side_fought(r: _Reading, q: Quantity) -> str | None:
    """"clashed with Taliban militants, killing 7": the side named last before the verb that is not the side of the
    sentence's subject (its first actor); "security forces responded, killing one": the armed group a government
    force fights."""
    before = r.mentions_before(q.start)
    other = [x for x in before if x.side != before[0].side]
    if other:
        return other[-1].name
    if before and all(x.side in _GOVERNMENT for x in before) and r.suspects:
        return r.suspects
    return None


def _borrow_group(r: _Reading, fig: _Figure) -> None:
    """A bare figure ("and 24 were wounded", "killing 7") counts a group the sentence named elsewhere."""
    if fig.group is not None or fig.role or fig.article:
        return
    q, sent = fig.q, r.sent
    if r.prev is not None and rx.ELIDED.match(sent[q.end:]):
        fig.group, fig.end, fig.elided = r.prev.group, q.end, True
    elif rx.VERB_BEFORE.search(sent[max(0, q.start - 40):q.start]) and rx.BARE_FIGURE_END.match(sent[q.end:]):
        group = _side_fought(r, q)
        if group is not None:
            fig.group, fig.end, fig.elided = group, q.end, True


# -- what happened to them -----------------------------------------------------------------------------------------

def _fate(kind: str, text: str, pos: int) -> str:
    """"was abducted and killed", "detained and later executed": the last is the person's fate."""
    return "killed" if kind == "captured" and rx.THEN_KILLED.match(text, pos) else kind


def _shared_passive_kind(sent: str, end: int) -> tuple[str | None, bool]:
    """An office holder's kind: "the shadow governor for Paktia and 6 commanders were killed"."""
    bp = rx.BARE_PASSIVE.match(sent, end)
    km = rx.KIND_RE.match(sent, bp.end()) if bp else None
    if km is None:
        return None, False
    ambiguous = bool(re.match(r"\s+(?:or|and/or)\s+(?!" + re.escape(km.group(0)) + r")", sent[km.end():]))
    return KIND_WORD[km.group(0).lower()], ambiguous


def _kind_of_verbs(sent: str, fig: _Figure) -> tuple[str | None, bool]:
    """The figure's own passive verb ("and 5 others were wounded"), else the verb right before it ("killing 13")."""
    q = fig.q
    vb = rx.VERB_BEFORE.search(sent[max(0, q.start - 40):q.start])
    if vb and rx.PASSIVE_BEFORE.search(sent[max(0, q.start - 60):q.start - len(vb.group(0))]):
        vb = None  # "6 militants were killed 5 militants and 3 police were wounded": a passive takes no object
    own = rx.OWN_VERB.match(sent, fig.end)
    if own:
        return _fate(KIND_WORD[own.group(1).lower()], sent, own.end()), False
    if vb:
        kind = KIND_WORD[vb.group(1).lower()]
        return kind, bool(vb.group(2) and KIND_WORD.get(vb.group(2).lower(), kind) != kind)
    return None, False


def _kind_of_list(r: _Reading, fig: _Figure) -> str | None:
    """The kind of the figure this one is listed with: "killing 1 policeman and 2 Taliban militants", "detained the
    leader, who ..., along with one suspected insurgent"."""
    q, sent, prev = fig.q, r.sent, r.prev
    if prev is None:
        return None
    if rx.LISTED.fullmatch(sent[prev.end:q.start]) and not rx.KIND_NEXT.match(sent, fig.end) and \
            not rx.WAS_NEXT.match(sent[fig.end:]):
        return prev.kind
    return prev.kind if rx.ALONG_WITH.search(sent[:q.start]) else None


def _verb_after(after: str, fig: _Figure) -> re.Match[str] | None:
    """The first casualty word after the group, if it tells the fate of the figure's people."""
    km = rx.KIND_RE.search(after)
    if km is None:
        return None
    passive = rx.PASSIVE.match(after)
    if fig.article and not (passive and (passive.end() == km.start() or
                                         rx.FATE_GAP.fullmatch(after, passive.end(), km.start()))) and \
            not ((fig.role or fig.roled or rx.LISTED_START.match(after)) and
                 rx.ROLE_PASSIVE.fullmatch(after[:km.start()])):
        return None  # "an Arbaki base, killing 6": only "an insurgent was killed" counts one
    if rx.ACTIVE_OBJECT.match(after, km.end()) and not rx.AUX_BEFORE.search(after, 0, km.start()):
        return None  # "2 militants on a motorbike shot and killed him": they did the killing
    if rx.CLAUSE_BREAK.search(after[:km.start()]) or rx.OBJECT_NOUN.match(after[:km.start()]):
        return None
    return km


def _kind_after(sent: str, fig: _Figure) -> tuple[str | None, bool]:
    """The kind of the first casualty word after the group ("were killed"); ambiguous before "or wounded"."""
    after = sent[fig.end:fig.end + 110]
    km = _verb_after(after, fig)
    if km is None:
        return None, False
    kind = _fate(KIND_WORD[km.group(0).lower()], after, km.end())
    alt = rx.ALTERNATIVE.match(after[km.end():])
    return kind, alt is not None and KIND_WORD.get(alt.group(1).lower(), kind) != kind


def _kind_nearby(sent: str, fig: _Figure) -> str | None:
    """A casualty word just before the figure, else the verb of its clause further back ("detained the man, a
    facilitator, and three additional suspects")."""
    q = fig.q
    if rx.AGENT_BEFORE.search(sent, 0, q.start):
        return None  # "two men were shot dead by several armed individuals": who did it, not whom it befell
    if not fig.article:
        near = sent[max(0, q.start - 15):q.start]
        if not rx.NEW_CLAUSE_BEFORE.search(near):  # not "was killed when 2 militants"
            kind = next((k for k, pattern in KIND if pattern.search(near)), None)
            if kind is not None:
                return kind
    cv = rx.CLAUSE_VERB.search(sent[max(0, q.start - 100):q.start])
    return KIND_WORD[cv.group(1).lower()] if cv else None


def _kind(r: _Reading, fig: _Figure) -> tuple[str | None, bool]:
    """(kind, ambiguous) of a figure, from the nearest verb that tells its people's fate."""
    if fig.fated:
        return "killed", False
    if fig.own_verb_only:
        return _shared_passive_kind(r.sent, fig.end)
    kind, ambiguous = _kind_of_verbs(r.sent, fig)
    if kind is None:
        kind = _kind_of_list(r, fig)
    if kind is None:
        kind, ambiguous = _kind_after(r.sent, fig)
    if kind is None and not fig.elided:
        kind = _kind_nearby(r.sent, fig)
    return kind, ambiguous


def _owner(r: _Reading, fig: _Figure) -> str | None:
    """The group of people counted by role: a role listed with a figure shares its group ("the shadow governor and
    8 commanders"); an officer by rank with no group named is a soldier ("a colonel was killed"); else whose people
    they are follows from who took or hit them."""
    if fig.group is not None:
        return fig.group
    q, sent, prev = fig.q, r.sent, r.prev
    if prev is not None and rx.LISTED_START.match(sent, prev.end) and rx.LISTED.fullmatch(sent[prev.end:q.start]):
        return prev.group
    before = r.mentions_before(q.start)
    subject = before[0].side if before else None
    if r.soldiers is not None and rx.RANK_NEXT.match(sent, q.end):
        return r.soldiers  # "a major general was killed": an officer, of the forces of the event's country
    if fig.kind != "captured" and subject not in _GOVERNMENT and r.civilians is not None and \
            rx.NEUTRAL_PERSON.match(sent, q.end):
        return r.civilians  # "two men were shot dead", "a person was killed by gunmen": people, not fighters
    if subject == "nonstate" or (fig.kind != "captured" and subject not in _GOVERNMENT):
        return None
    return r.suspects


def _record(r: _Reading, fig: _Figure, group: str, kind: str) -> None:
    sent, q = r.sent, fig.q
    r.out.append(Casualty(group=group, kind=kind, min=q.min, max=q.max, lower_bound=q.lower_bound,
                          text=sent[q.start:min(len(sent), fig.end + 45)].strip()))
    r.counted.append((q.start, fig.end))
    # "a Taliban leader and facilitator", "the commander, facilitator and two of their associates": one more
    # person for each role listed without a number
    pos = fig.end
    while (lm := rx.LISTED_ROLE.match(sent, pos)) and not _is_plural(lm.group(1)):
        pos = lm.end()
        r.out.append(Casualty(group=group, kind=kind, min=1, max=1, lower_bound=False,
                              text=sent[lm.start(1):min(len(sent), pos + 45)].strip()))
        r.prev = _Phrase(group, pos, kind)


def _whom(r: _Reading, q: Quantity) -> _Figure | None:
    """The figure with its group or role read, or None when it counts nobody new."""
    fig = _start_figure(r, q)
    if fig is None or any(a <= q.start < b or a < q.end <= b for a, b in r.skip) or _part_of_whole(r, fig):
        return None
    if _breakdown(r, fig):
        r.part_of = _Phrase(fig.group or "", fig.end)
        return None
    if _same_person_again(r, fig):
        return None
    _borrow_group(r, fig)
    return fig if fig.group is not None or fig.role else None


def _read(r: _Reading, q: Quantity) -> None:
    fig = _whom(r, q)
    if fig is None:
        return
    fig.kind, fig.ambiguous = _kind(r, fig)
    if fig.kind is None or fig.kind == "captured" and rx.HOSPITALISED.match(r.sent, fig.end):
        return
    fig.group = _owner(r, fig)
    if fig.group is None:
        return
    # an ambiguous figure is not counted but still heads its list: the figures after it share its group and kind
    r.prev = _Phrase(fig.group, fig.end, fig.kind)
    if not fig.ambiguous:
        _record(r, fig, fig.group, fig.kind)


def casualty_figures(sent: str, actors: ActorBook, mentions: list[ActorMention] | None = None,
                     country: str | None = None) -> list[Casualty]:
    """Killed/wounded/captured figures in one sentence, each with the group it counts.

    A figure counts people only when an actor's name follows it (``13 militants``, ``2 Afghan
    soldiers``), it refers back to the group just counted (``and 24 were wounded``), or it counts people by
    their role (``two men``, ``the targeted individual``, ``Sangari, an insurgent leader``): people a
    government or foreign force detains, kills or wounds are counted as suspected insurgents, and people
    detained by nobody named as well; people an armed group takes are not counted by role. Its kind comes
    from the verb right before it (``killing 13``), else from the first casualty word after the group
    (``were killed``), else from the figure it is listed with (``killing 1 policeman and 2 militants``,
    ``detained the leader along with three of his associates``); a figure's own passive verb right after it wins
    (``15 militants were killed and 5 others were wounded``). Also counted: a pronoun for the single person just
    named (``targeted a Taliban commander, killing him``), a group's office holder with no number (``Jaji police
    district chief was killed``), and people named by occupation or family (``2 engineers``, ``3 of his sons``).
    A group naming a thing (``a NATO airstrike``, ``a militant tunnel system``) counts nobody.
    Ambiguous pairs (``killed or wounded``, ``killing and injuring``) are not counted as either."""
    mentions = actors.find(sent) if mentions is None else mentions
    # groups are named for the event's country, so "militants" and "Taliban" in Afghanistan are one group
    mentions = [replace(x, name=actors.resolve(x.name, country) or x.name) for x in mentions] if country else mentions
    found = candidates(sent, mentions)
    r = _Reading(sent, actors, mentions, suspects=actors.resolve(actors.suspects, country),
                 soldiers=actors.resolve(actors.soldiers, country), civilians=actors.resolve(actors.civilians, country),
                 skip=date_spans(sent), named=found.named, known=found.known)
    for q in found.quantities:
        _read(r, q)
    _death_toll(r, found.quantities)
    return r.out


def _death_toll(r: _Reading, quantities: list[Quantity]) -> None:
    """"The death toll rose to 23", "2 fatalities": a total of the dead, taken when the sentence counts no dead
    otherwise (a toll beside its own figures, "killing 5, bringing the toll to 12", would add them twice)."""
    if r.civilians is None or any(c.kind == "killed" for c in r.out):
        return
    for q in quantities:
        if q.text.lower() not in _ARTICLES and rx.FATALITY_COUNT.match(r.sent, q.end) and \
                not any(a <= q.start < b for a, b in r.skip):
            r.out.append(Casualty(group=r.civilians, kind="killed", min=q.min, max=q.max, lower_bound=q.lower_bound,
                                  text=r.sent[q.start:min(len(r.sent), q.end + 45)].strip()))
            return
    for tm in rx.DEATH_TOLL.finditer(r.sent):
        toll = next((q for q in quantities if q.start == tm.end() and q.text.lower() not in _ARTICLES), None)
        if toll is not None and not any(a <= toll.start < b for a, b in r.skip):
            r.out.append(Casualty(group=r.civilians, kind="killed", min=toll.min, max=toll.max,
                                  lower_bound=toll.lower_bound,
                                  text=r.sent[tm.start():min(len(r.sent), toll.end + 45)].strip()))
            return
