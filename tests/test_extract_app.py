"""The extract service as `build` assembles it: stories in from the broker, events out."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from services.common.contracts import EVENTS_TOPIC, STORIES_TOPIC, Story
from services.common.kafka import Publisher, make_producer
from services.common.ops import Health
from services.extract import app
from services.extract.settings import ExtractSettings

TEXT = ("Taliban fighters stormed a police checkpoint in Dasht-e-Archi district of Kunduz province on "
        "Tuesday night, killing five policemen, officials said.")


def test_a_story_becomes_events_and_stop_returns_after_the_batch(kafka_settings):
    story = Story(story_id="s1", url="http://x/1", canonical_url="https://x/1", feed_id="f", outlet="Test",
                  text=TEXT, published_at=datetime(2020, 1, 29, 8, tzinfo=UTC),
                  fetched_at=datetime(2020, 1, 29, 9, tzinfo=UTC), content_hash="h")
    upstream = Publisher(make_producer(kafka_settings, "upstream"))
    upstream.send(STORIES_TOPIC, story.story_id, story.to_bytes())
    upstream.flush()
    upstream.close()

    extract = app.build(ExtractSettings(), CollectorRegistry(), Health())
    stop = threading.Event()
    worker = threading.Thread(target=extract.run, args=(stop,), daemon=True)
    worker.start()
    try:
        # generous: the group join plus the extraction worker's first start (it loads the world index)
        # take ~35 s on a loaded 2-core machine; this bounds a hang, it does not time the service
        deadline = time.monotonic() + 180
        while not extract.loop.caught_up(upstream.acked) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert extract.loop.caught_up(upstream.acked)
    finally:
        stop.set()
        worker.join(30)
        extract.close()
    assert not worker.is_alive()
    assert extract.handler.events_published >= 1
    assert any(tp.topic == EVENTS_TOPIC for tp in extract.publisher.acked)
