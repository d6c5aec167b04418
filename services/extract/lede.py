"""The lede of a news article: the event its opening sentences report is the event the article is about.

A wire story opens with its news ("A roadside bomb killed a Russian general in Syria on Monday") and then goes on
to context: earlier attacks recalled, reactions, other places. Confidence alone may prefer one of those (a fully
dated, precisely placed attack from last April); the lede event is raised to the story's top confidence, so that it
leads. Its toll is the one the lede states ("A wave of attacks across Iraq killed 107 people"): the figures further
down detail it (11 in one town, 7 in another) or update it ("the death toll rose to"), and do not lower it.
A page's headline often reaches the extractor glued to the wire dateline that opens the lede ("7 militants killed
in blasts in AfghanistanKANDAHAR, Afghanistan, Oct. 3 (Xinhua) -- Seven Taliban militants were killed"):
``headline_apart`` makes them two sentences, so that the headline's figure is one more report of the lede's, not
a second group of dead. ``lede_first`` and ``headline_apart`` depend only on their arguments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.common.contracts import Event

from .casualty_totals import conservative_total

# an article, not a note: ACLED notes and short snippets (1-5 sentences) list events of equal standing
ARTICLE_SENTENCES = 6
LEDE_SENTENCES = 3  # a headline glued to the dateline, the lede sentence, its follow-up
# an event that is only a passing mention in the lede ("the threat from bombs ... from Iraq to Israel"), placed no
# better than a country and undated, does not lead; nor does one with no casualty figure ("the parents of the
# bombing suspects were questioned"): the news of a violent event is whom it killed, hurt or took
LEDE_FLOOR = 0.6


# a wire dateline glued to the text before it (no space): an upper-case place, perhaps its country and a date, the
# agency, and the dash that starts the story ("KANDAHAR, Afghanistan, Oct. 3 (Xinhua) --")
_GLUED_DATELINE = re.compile(r"(?<=[a-z0-9.!?”\"')])(?=[A-Z][A-Z'.-]{2,}(?:\s[A-Z][A-Z'.-]+){0,3},\s[^\n]{0,60}?"
                             r"(?:\((?:[A-Z][\w ]{1,24})\)\s*)?(?:--|—|–))")
HEADLINE_CHARS = 300  # where a headline ends at the latest


def headline_apart(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence ``spans`` of ``text`` with a sentence that runs from a headline into the dateline glued to it cut in
    two at the dateline (within the first ``HEADLINE_CHARS``); the others unchanged."""
    m = _GLUED_DATELINE.search(text, 0, HEADLINE_CHARS)
    if m is None:
        return spans
    cut = m.start()
    return [part for s, e in spans for part in (((s, cut), (cut, e)) if s < cut < e else ((s, e),))]


def lede_event(events: Sequence[Event], starts: Sequence[int]) -> Event | None:
    """The event the lede reports: in a story of at least ``ARTICLE_SENTENCES`` sentences (their ``starts``, in
    document order), the most confident event reported in the first of its first ``LEDE_SENTENCES`` sentences that reports one that gives a
    casualty figure and is at least ``LEDE_FLOOR`` confident. None when there is no such event, when the story is
    shorter, or when the lede sums up several events: a lede sentence that events at several places share ("detained
    10 suspects in Farah, Kandahar and Paktiya"), before any sentence gives the lede event."""
    if len(starts) < ARTICLE_SENTENCES:
        return None
    for start in starts[:LEDE_SENTENCES]:
        on = [e for e in events if any(ev.start == start for ev in e.evidence)]
        if len({(e.country, e.admin1) for e in on}) > 1:
            return None  # the lede reports several events, and the article leads with none of them
        found = [e for e in on if e.confidence >= LEDE_FLOOR and e.casualties]
        if found:  # of the events one sentence reports, the most confident (the first of them on a tie)
            return max(found, key=lambda e: e.confidence)
    return None


def stated_toll(event: Event, starts: Sequence[int]) -> int:
    """The dead the lede sentences (the first ``LEDE_SENTENCES`` of ``starts``) give for ``event``, by
    ``conservative_total`` over the event's figures from those sentences; 0 when they give none."""
    lede_starts = set(starts[:LEDE_SENTENCES])
    lede = {ev.text for ev in event.evidence if ev.start in lede_starts}
    return conservative_total((c, cl.statement) for c, cl in zip(event.casualties, event.claims, strict=False)
                              if cl.statement in lede)


def lede_first(events: list[Event], starts: Sequence[int]) -> list[Event]:
    """``events`` with the lede event's confidence raised to the highest of the story (``lede_event``) and its
    fatalities to at least the toll its lede states (``stated_toll``); the order and every other event unchanged.
    Among events of the top confidence the first listed leads (``best_event``): callers list the lede event
    before any other of that confidence."""
    lede = lede_event(events, starts)
    if lede is None:
        return events
    top = max(e.confidence for e in events)
    toll = max(lede.fatalities, stated_toll(lede, starts))
    if lede.confidence >= top and toll == lede.fatalities:
        return events
    raised = lede.model_copy(update={"confidence": max(top, lede.confidence), "fatalities": toll})
    return [raised if e is lede else e for e in events]
