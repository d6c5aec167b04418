"""Bounds on the extractor's output (services/extract/bounds.py): figures too large to be casualty counts are
discarded with a counted reason, and a story whose published_at is out of range is read, not raised on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.common.contracts import Casualty
from services.extract import bounds
from services.extract.extractor import RuleExtractor, story_from_text
from tests.helpers import make_event

TEXT = "KABUL, March 10 (Reuters) - Taliban fighters killed 5 soldiers in Kunduz on Monday, officials said."


@pytest.mark.parametrize("published", [
    datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
    datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),  # overflows when put in UTC
    datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
])
def test_a_story_published_out_of_range_is_read_and_the_reason_counted(published):
    events, discards = RuleExtractor().extract_counted(story_from_text(TEXT, published))
    assert discards == [bounds.PUBLISHED_OUT_OF_RANGE]
    (event,) = events
    assert event.fatalities == 5 and bounds.MIN_REFERENCE.year - 1 <= event.event_date.year <= bounds.MAX_REFERENCE.year


def test_the_fetch_time_stands_for_a_publication_date_out_of_range():
    story = story_from_text(TEXT, datetime(2021, 3, 10, 8, tzinfo=UTC))
    story = story.model_copy(update={"published_at": datetime(9999, 1, 1, tzinfo=UTC)})
    assert bounds.reference_date(story) == (datetime(2021, 3, 10).date(), bounds.PUBLISHED_OUT_OF_RANGE)
    assert bounds.reference_date(story.model_copy(update={"published_at": None})) == (datetime(2021, 3, 10).date(),
                                                                                       None)


@pytest.mark.parametrize("figure", ["5000000", "2,000,000,000", "99999999999999999999"])
def test_a_figure_too_large_to_count_people_is_discarded_and_counted(figure):
    text = f"Taliban fighters killed {figure} soldiers and 3 civilians in Kunduz on Monday."
    events, discards = RuleExtractor().extract_counted(story_from_text(text, datetime(2021, 3, 4, tzinfo=UTC)))
    assert discards == [bounds.FIGURE_OVER_MAX]
    assert all(c.min <= bounds.MAX_FIGURE for e in events for c in e.casualties)
    assert sum(e.fatalities for e in events) == 3


def test_a_million_is_still_a_figure():
    assert bounds.figure_ok(bounds.MAX_FIGURE) and bounds.figure_ok(0, 10)
    assert not bounds.figure_ok(bounds.MAX_FIGURE + 1) and not bounds.figure_ok(1, 10**7) and not bounds.figure_ok(-1)


def test_any_extractors_event_is_bounded():
    ok = Casualty(group="Civilians (Iraq)", kind="killed", min=4)
    huge = Casualty(group="Civilians (Iraq)", kind="killed", min=7_000_000)
    event = make_event(1, casualties=[ok, huge], fatalities=7_000_004)
    bounded, reasons = bounds.bound_event(event)
    assert reasons == [bounds.FIGURE_OVER_MAX] * 2
    assert bounded.casualties == [ok] and bounded.fatalities == 4
    same, none = bounds.bound_event(bounded)
    assert same is bounded and none == []
