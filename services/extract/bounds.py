"""Bounds on what the extractor emits, so that nothing downstream chokes on a figure or a date.

Guarantees:

* no casualty figure, and no event's ``fatalities``, above ``MAX_FIGURE`` leaves the extractor: a number that
  large is no casualty count (a budget, a population, a misread run of digits), so the figure is discarded
  (reason ``figure_over_max``) and the event's fatalities recomputed without it;
* the reference date a story is read against lies in ``[MIN_REFERENCE, MAX_REFERENCE]``: a ``published_at``
  outside it (year 1, year 9999, or one that overflows when put in UTC) is not used (reason
  ``published_out_of_range``); the fetch time stands for it if it is in range, else the nearest bound does.

Every discard has a reason from ``REASONS`` (a bounded label set): the extract service counts them in
``wirewatch_extract_discarded_total{reason}`` and logs them; nothing is dropped silently.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from services.common.contracts import Event, Story

log = logging.getLogger(__name__)

MAX_FIGURE = 1_000_000
MIN_REFERENCE = date(1900, 1, 1)
MAX_REFERENCE = date(2999, 12, 31)

FIGURE_OVER_MAX = "figure_over_max"
PUBLISHED_OUT_OF_RANGE = "published_out_of_range"
REASONS = (FIGURE_OVER_MAX, PUBLISHED_OUT_OF_RANGE)


def _utc_date(moment: datetime | None) -> date | None:
    """The UTC calendar date of ``moment``, or None when it has none in range."""
    if moment is None:
        return None
    try:
        day = (moment.astimezone(UTC) if moment.tzinfo is not None else moment).date()
    except (OverflowError, ValueError):
        return None
    return day if MIN_REFERENCE <= day <= MAX_REFERENCE else None


def reference_date(story: Story) -> tuple[date, str | None]:
    """The date a story is read against: its publication's, else its fetch's, else the nearest bound; with the
    discard reason when its ``published_at`` could not be used."""
    published = _utc_date(story.published_at)
    if published is not None:
        return published, None
    if story.published_at is None:
        fetched = _utc_date(story.fetched_at)
        if fetched is not None:
            return fetched, None
    fallback = _utc_date(story.fetched_at)
    if fallback is None:
        raw = story.published_at or story.fetched_at
        fallback = MIN_REFERENCE if raw is not None and raw.year < MIN_REFERENCE.year else MAX_REFERENCE
    log.warning("story %s: published_at %s is out of range; read against %s", story.story_id,
                story.published_at, fallback)
    return fallback, PUBLISHED_OUT_OF_RANGE


def figure_ok(low: int, high: int | None = None) -> bool:
    """Whether a figure (its floor and, if any, its ceiling) can be a casualty count."""
    return 0 <= low <= MAX_FIGURE and (high is None or high <= MAX_FIGURE)


def bound_event(event: Event) -> tuple[Event, list[str]]:
    """``event`` without casualty figures above ``MAX_FIGURE`` (and its fatalities, if over it, the sum of the
    killed figures left), with one reason per discard. Any extractor's output passes through here."""
    kept = [c for c in event.casualties if figure_ok(c.min, c.max)]
    reasons = [FIGURE_OVER_MAX] * (len(event.casualties) - len(kept))
    fatalities = event.fatalities
    if not figure_ok(fatalities):
        reasons.append(FIGURE_OVER_MAX)
        fatalities = min(sum(c.min for c in kept if c.kind == "killed"), MAX_FIGURE)
    if not reasons:
        return event, []
    log.warning("event %s of story %s: %d figure(s) over %d discarded", event.event_id, event.story_id,
                len(reasons), MAX_FIGURE)
    return event.model_copy(update={"casualties": kept, "fatalities": fatalities}), reasons
