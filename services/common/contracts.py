"""Message contracts: one pydantic model per topic, versioned in the topic name.

The JSON Schemas in ``services/common/schemas/`` are generated from these models
(``wirewatch schemas --write``) and a test fails when a model changes without its schema.
Readers ignore unknown fields so that producers can add optional fields without a new version;
anything else is a breaking change and needs a new topic (``.v2``).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

STORIES_TOPIC = "wirewatch.stories.v1"
EVENTS_TOPIC = "wirewatch.events.v1"
DEADLETTER_TOPIC = "wirewatch.deadletter.v1"
ALL_TOPICS = (STORIES_TOPIC, EVENTS_TOPIC, DEADLETTER_TOPIC)

SCHEMA_DIR = Path(__file__).with_name("schemas")


class _Message(BaseModel):
    # Unknown fields are ignored, never rejected: an older reader must accept a newer writer.
    model_config = ConfigDict(extra="ignore", frozen=False)

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes):
        return cls.model_validate_json(raw)


class Story(_Message):
    """One article as published on ``wirewatch.stories.v1`` (key: ``story_id``)."""

    story_id: str = Field(description="Stable id derived from the canonical URL")
    url: str = Field(description="URL as found in the feed")
    canonical_url: str
    feed_id: str
    outlet: str
    title: str = ""
    text: str = Field("", description="Article body as plain text (paragraphs separated by blank lines)")
    summary: str = ""
    author: str | None = None
    language: str | None = None
    published_at: datetime | None = Field(None, description="Publication time (UTC) from page or feed")
    fetched_at: datetime
    first_seen_at: datetime | None = Field(
        None, description="When ingest first saw the item in its feed (UTC); the start of the end-to-end latency")
    guid: str | None = None
    text_source: Literal["article", "feed"] = Field(
        "article", description="'feed' when the page could not be fetched or had no text"
    )
    text_truncated: bool = Field(False, description="True when ingest cut the text to its size limit")
    text_original_chars: int | None = Field(
        None, description="Length of the text before it was cut (set only when text_truncated)")
    content_hash: str = Field(description="Hash of the normalised text (exact-duplicate key)")
    duplicate_of: str | None = Field(None, description="story_id of the first story this near-duplicates")
    similarity: float | None = Field(None, description="Estimated similarity to duplicate_of")


class Actor(_Message):
    name: str = Field(description="Canonical actor name, e.g. 'Taliban'")
    surface_forms: list[str] = Field(default_factory=list)


class Casualty(_Message):
    group: str = Field(description="Canonical actor name of the people counted")
    kind: Literal["killed", "wounded", "captured"]
    min: int
    max: int | None = None
    lower_bound: bool = Field(False, description="True when the text gives only a floor ('more than 30')")
    text: str = ""


class Claim(_Message):
    speaker: str | None = None
    organisation: str | None = None
    statement: str
    figure: str | None = None
    verified: bool | None = Field(
        None, description="False when the outlet says it could not be independently verified"
    )


class Source(_Message):
    story_id: str
    outlet: str
    url: str
    published_at: datetime | None = None


class Evidence(_Message):
    text: str
    start: int = Field(description="Character offset in the story text")
    end: int


class Event(_Message):
    """One structured event as published on ``wirewatch.events.v1`` (key: ``event_id``)."""

    event_id: str = Field(description="Deterministic: same story + same event => same id")
    story_id: str
    event_date: date
    date_precision: Literal["day", "week", "month"]
    event_type: str
    sub_event_type: str
    actor1: Actor | None = None
    actor2: Actor | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-2")
    admin1: str | None = None
    admin2: str | None = None
    location: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: int | None = Field(None, ge=1, le=3)
    fatalities: int = Field(0, description="ACLED rule: most conservative credible figure")
    disorder_type: Literal["Political violence", "Demonstrations", "Strategic developments"] | None = Field(
        None, description="ACLED disorder type, following from the event type")
    inter1: int | None = Field(None, ge=1, le=8, description="ACLED interaction code of actor1: 1 state forces, "
                               "2 rebel groups, 3 political militias, 4 identity militias, 5 rioters, "
                               "6 protesters, 7 civilians, 8 external/other forces")
    inter2: int | None = Field(None, ge=1, le=8, description="ACLED interaction code of actor2")
    interaction: int | None = Field(None, ge=10, le=88, description="ACLED interaction: the two codes, "
                                    "lower first (17: state forces-civilians); one actor alone: its code * 10")
    civilian_targeting: bool | None = Field(None, description="True when civilians were the target (ACLED's "
                                            "'Civilian targeting'); None when not known")
    casualties: list[Casualty] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float = Field(ge=0.0, le=1.0)
    extractor: str = Field(description="Name and version of the extractor that produced it")
    first_seen_at: datetime | None = Field(
        None, description="The story's first_seen_at, carried through extract for the end-to-end latency")


class DeadLetter(_Message):
    """Poison input from any stage, with enough context to replay it by hand."""

    stage: str
    source_topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = Field(None, description="The message key (its first 256 characters)")
    value: str = Field(description="The payload, decoded as UTF-8 with replacement: all of it, or its first "
                                   "bytes when value_truncated")
    value_truncated: bool = Field(False, description="True when value is only an excerpt of the payload")
    value_bytes: int | None = Field(None, description="Size of the original payload in bytes")
    value_sha256: str | None = Field(None, description="SHA-256 (hex) of the original payload, to find it again")
    error_type: str
    error: str
    attempts: int = 1
    failed_at: datetime


CONTRACTS: dict[str, type[_Message]] = {
    STORIES_TOPIC: Story,
    EVENTS_TOPIC: Event,
    DEADLETTER_TOPIC: DeadLetter,
}


def schema_for(topic: str) -> dict:
    schema = CONTRACTS[topic].model_json_schema()
    schema["$id"] = f"https://wirewatch.dev/schemas/{topic}.json"
    schema["x-topic"] = topic
    return schema


def schema_path(topic: str) -> Path:
    return SCHEMA_DIR / f"{topic}.json"


def render_schema(topic: str) -> str:
    return json.dumps(schema_for(topic), indent=2, sort_keys=True) + "\n"
