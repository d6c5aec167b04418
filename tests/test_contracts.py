import json
from datetime import UTC, date, datetime

import jsonschema
import pytest

from services.common import contracts
from services.common.contracts import Event, Story


@pytest.mark.parametrize("topic", list(contracts.CONTRACTS))
def test_checked_in_schema_matches_model(topic):
    path = contracts.schema_path(topic)
    assert path.exists(), f"missing {path}: run `wirewatch schemas --write`"
    assert path.read_text(encoding="utf-8") == contracts.render_schema(topic), (
        f"{path.name} is stale: the model changed without its schema; run `wirewatch schemas --write`"
    )


def _story(**kw) -> Story:
    base = dict(story_id="s1", url="https://example.org/a", canonical_url="https://example.org/a", feed_id="f",
                outlet="Example", fetched_at=datetime(2026, 1, 1, tzinfo=UTC), content_hash="h")
    return Story(**{**base, **kw})


def test_readers_ignore_unknown_fields():
    raw = json.loads(_story().to_bytes())
    raw["field_from_the_future"] = {"x": 1}
    assert Story.from_bytes(json.dumps(raw).encode()).story_id == "s1"


def test_messages_validate_against_their_published_schema():
    story = json.loads(_story(text="Body").to_bytes())
    jsonschema.validate(story, json.loads(contracts.schema_path(contracts.STORIES_TOPIC).read_text()))
    event = Event(event_id="e", story_id="s1", event_date=date(2026, 1, 1), date_precision="day",
                  event_type="Battles", sub_event_type="Armed clash", confidence=0.5, extractor="t")
    jsonschema.validate(json.loads(event.to_bytes()),
                        json.loads(contracts.schema_path(contracts.EVENTS_TOPIC).read_text()))


def test_invalid_message_is_rejected():
    with pytest.raises(ValueError):
        Story.from_bytes(b'{"story_id": "x"}')
