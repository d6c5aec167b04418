"""Poison for the stories topic: one message of every kind the pipeline must dead-letter.

Each ``Poison`` has a key (``poison-<kind>``) so that its dead letter can be found, and a value
that no stage can turn into a stored report. Guarantee of the pipeline under test: each lands in
the dead-letter topic with a bounded excerpt, its size and hash, and the partition moves on.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from kafka import KafkaProducer

from services.common.contracts import STORIES_TOPIC
from services.common.kafka.deadletter import EXCERPT_BYTES

EXCERPT_LIMIT = EXCERPT_BYTES  # a dead letter's excerpt is never longer (bytes of UTF-8)


@dataclass(frozen=True)
class Poison:
    kind: str
    value: bytes
    marker: str | None = None  # the story id, found in the excerpt of a later stage's dead letter
    dead_letter: bool = True  # False: valid input that must simply yield nothing (the store proves it)

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
    killed = "A suicide bomber killed 99999999999999999999 people in Kandahar city, Afghanistan, on Sunday. " * 3
    return [
        Poison("not-json", b"\xff\xfe<html>this is not JSON {"),
        Poison("json-not-object", b"[1, 2, 3]"),
        Poison("wrong-schema", orjson.dumps({"story_id": 5, "text": ["no"], "published_at": "yesterday"})),
        Poison("raw-nul", b'{"story_id": "a\x00b", "text": "\x00\x00"}'),
        Poison("nul-escaped", orjson.dumps(_story("poison-nul", text="\u0000" * 50, title="\u0000")),
               dead_letter=False),
        Poison("lone-surrogate", b'{"story_id": "poison-surrogate", "text": "\\ud800 killed in Kabul"}'),
        Poison("date-out-of-range", orjson.dumps(_story("poison-date", published_at="0001-01-01T00:00:00+05:00",
                                                        fetched_at="0001-01-01T00:00:00+05:00",
                                                        text="Yesterday a bomb killed 5 people in Kabul."))),
        # the extractor reads the figure; the store refuses it (services.store.prepare.MAX_FATALITIES)
        Poison("huge-fatalities", orjson.dumps(_story("poison-fatalities", text=killed)), marker="poison-fatalities"),
        Poison("oversized", orjson.dumps(_story("poison-big", text="x" * (max_message_bytes + 1000)))),
    ]


def inject(bootstrap: str, items: list[Poison]) -> None:
    """Write each poison to the stories topic (a producer that allows the oversized one)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                             max_request_size=8 * 1024 * 1024)
    try:
        for p in items:
            producer.send(STORIES_TOPIC, key=p.key.encode(), value=p.value).get(timeout=30)
    finally:
        producer.close()
