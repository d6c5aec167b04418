"""Properties of the rule extractor over mutated real stories: no exception, bounded time, and
every event it returns is one the contract accepts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.contracts import Event, Story
from services.extract.extractor import RuleExtractor
from tests.conftest import shared_path
from tests.strategies import mutated_text

PROPERTY = settings(max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
PUBLISHED = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))


def story_from_text(text: str, published: datetime) -> Story:
    # built here, not with extractor.story_from_text: its content hash cannot encode a lone surrogate,
    # which a story read from JSON ("\\udcb1") may carry
    return Story(story_id="prop", url="urn:wirewatch:prop", canonical_url="urn:wirewatch:prop", feed_id="prop",
                 outlet="Property", text=text, published_at=published, fetched_at=published, content_hash="0" * 64)


@pytest.fixture(scope="module")
def extractor() -> RuleExtractor:
    return RuleExtractor()


@pytest.fixture(scope="module")
def stories() -> list[str]:
    root = shared_path("seeds")
    return [p.read_text(encoding="utf-8") for p in sorted(root.glob("*.txt"))]


def test_any_story_text_gives_valid_events(extractor, stories):
    @PROPERTY
    @given(text=mutated_text(stories, max_edits=6), published=PUBLISHED)
    def check(text: str, published: datetime) -> None:
        events = extractor.extract(story_from_text(text, published))
        for event in events:
            Event.model_validate(event.model_dump())

    check()


def test_any_short_text_gives_valid_events(extractor):
    words = st.sampled_from(["killed", "Taliban", "Kabul", "fighters", "in", "two", "3", "dozens", "police",
                             "Kunduz", "attack", "protesters", ",", ".", "wounded", "on", "Monday", "\n\n"])
    @PROPERTY
    @given(text=st.one_of(st.lists(words, max_size=60).map(" ".join), st.text(max_size=300)))
    def check(text: str) -> None:
        for event in extractor.extract(story_from_text(text, datetime(2021, 6, 1, tzinfo=UTC))):
            Event.model_validate(event.model_dump())

    check()
