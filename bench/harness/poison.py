"""Poison for the stories topic (and one for the events topic): every kind of message the pipeline
must dead-letter, or read without crashing and without storing anything.

Each ``Poison`` has a key (``poison-<kind>``) so that its dead letter can be found, and a value
that no stage can turn into a stored report. Guarantee of the pipeline under test: each lands in
the dead-letter topic with a bounded excerpt, its size and hash, and the partition moves on.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from kafka import KafkaProducer

from services.common.contracts import EVENTS_TOPIC, STORIES_TOPIC
from services.common.kafka.deadletter import EXCERPT_BYTES

EXCERPT_LIMIT = EXCERPT_BYTES  # a dead letter's excerpt is never longer (bytes of UTF-8)


@dataclass(frozen=True)
class Poison:
    kind: str
    value: bytes
    marker: str | None = None  # the story id, found in the excerpt of a later stage's dead letter
    dead_letter: bool = True  # False: valid input that must simply yield nothing (the store proves it)
    topic: str = STORIES_TOPIC  # EVENTS_TOPIC: what no extractor of ours sends, for the store to refuse

    @property
    def key(self) -> str:
        return f"poison-{self.kind}"


def _story(story_id: str, **fields) -> dict:
    base = {"story_id": story_id, "url": f"https://poison.invalid/{story_id}",
            "canonical_url": f"https://poison.invalid/{story_id}", "feed_id": "poison", "outlet": "Poison",
            "title": "Poison", "text": "Nothing happened.", "published_at": "2021-08-08T06:00:00+00:00",
            "fetched_at": "2021-08-08T06:00:00+00:00", "content_hash": "0" * 64}
    return {**base, **fields}


def poisons(max_message_bytes: int = 1_048_576) -> list[Poison]:
    """Every kind: undecodable, wrong shape, values the contract or extraction refuse, oversized."""
    huge = {"event_id": "poison-fatalities", "story_id": "poison-fatalities", "event_date": "2021-08-08",
            "date_precision": "day", "event_type": "Explosions/Remote violence",
            "sub_event_type": "Suicide bomb", "fatalities": 99_999_999_999, "confidence": 0.5,
            "extractor": "poison"}
    return [
        Poison("not-json", b"\xff\xfe<html>this is not JSON {"),
        Poison("json-not-object", b"[1, 2, 3]"),
        Poison("wrong-schema", orjson.dumps({"story_id": 5, "text": ["no"], "published_at": "yesterday"})),
        Poison("raw-nul", b'{"story_id": "a\x00b", "text": "\x00\x00"}'),
        Poison("nul-escaped", orjson.dumps(_story("poison-nul", text="\u0000" * 50, title="\u0000")),
               dead_letter=False),
        Poison("lone-surrogate", b'{"story_id": "poison-surrogate", "text": "\\ud800 killed in Kabul"}'),
        # extract reads a story published and fetched in year 1 against the nearest bound (counted in
        # wirewatch_extract_discarded_total{reason="published_out_of_range"}), and must not crash on it
        Poison("date-out-of-range", orjson.dumps(_story("poison-date", published_at="0001-01-01T00:00:00+05:00",
                                                        fetched_at="0001-01-01T00:00:00+05:00")),
               dead_letter=False),
        # the extractor never emits such a figure (bounds.MAX_FIGURE); the store refuses it all the same
        # (services.store.prepare.MAX_FATALITIES)
        Poison("huge-fatalities", orjson.dumps(huge), marker="poison-fatalities", topic=EVENTS_TOPIC),
        Poison("oversized", orjson.dumps(_story("poison-big", text="x" * (max_message_bytes + 1000)))),
    ]


def inject(bootstrap: str, items: list[Poison]) -> None:
    """Write each poison to its topic (a producer that allows the oversized one)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                             max_request_size=8 * 1024 * 1024)
    try:
        for p in items:
            producer.send(p.topic, key=p.key.encode(), value=p.value).get(timeout=30)
    finally:
        producer.close()
