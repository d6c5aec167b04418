"""The msgspec codec derived from the pydantic contract accepts, refuses and normalises messages as
pydantic does: on real extracted events, on generated ones with awkward values, on inputs only
pydantic's lax mode takes, and on broken ones."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, date, datetime, timedelta, timezone

import msgspec
import orjson
import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.common.codec import Codec, struct_for
from services.common.contracts import CONTRACTS, Event
from services.extract.extractor import RuleExtractor, story_from_text
from tests.conftest import shared_path

CODEC = Codec(Event)


def _real_events() -> list[Event]:
    """What the extractor makes of the seeds and of a slice of the ISAF press releases."""
    extractor = RuleExtractor()
    gold = json.loads(shared_path("gold", "seed-events.json").read_text(encoding="utf-8"))
    events = []
    for story in gold["stories"]:
        text = shared_path("seeds", f"{story['story']}.txt").read_text(encoding="utf-8")
        published = datetime.fromisoformat(story["published"]).replace(hour=6, tzinfo=UTC)
        events += extractor.extract(story_from_text(text, published, story["outlet"], story["story"]))
    with shared_path("data", "isaf", "isaf-press-releases-dev.jsonl").open(encoding="utf-8") as f:
        for i, line in enumerate(itertools.islice(f, 80)):
            rec = json.loads(line)
            events += extractor.extract(story_from_text(rec["text"], datetime(2011, 1, 1, tzinfo=UTC), "ISAF",
                                                        f"isaf-{i}"))
    return events


def _typed(value):
    """A value with its JSON types spelled out: 5 and 5.0, or 0.0 and -0.0, compare unequal."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, repr(value))


def _agrees_with_pydantic(raw: bytes) -> None:
    canonical, data = CODEC.decode(raw)
    reference = Event.model_validate_json(raw).model_dump_json()
    assert _typed(orjson.loads(canonical)) == _typed(orjson.loads(reference))
    assert data == orjson.loads(canonical)
    assert list(orjson.loads(canonical)) == list(Event.model_fields)  # every field, in the model's order


def test_every_contract_has_a_derived_struct_with_its_fields_in_order():
    for model in CONTRACTS.values():
        struct = struct_for(model)
        assert [f.name for f in msgspec.structs.fields(struct)] == list(model.model_fields)


def test_real_events_come_out_exactly_as_pydantic_writes_them():
    events = _real_events()
    assert len(events) > 100 and any(e.casualties for e in events) and any(e.claims for e in events)
    for event in events:
        raw = event.to_bytes()
        canonical, data = CODEC.decode(raw)
        assert canonical == event.model_dump_json().encode()  # byte for byte: stored reports keep their form
        assert data == orjson.loads(canonical)


def _random_text(rng: random.Random) -> str:
    alphabet = "abc XYZ 09 \"\\/\n\t\u00e9\u0628\u062f\u4e2d\U0001f600\u2028\x7f\x01"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))


def _random_event(rng: random.Random) -> dict:
    def maybe(value):
        return value if rng.random() < 0.6 else None

    def when():
        tz = rng.choice([UTC, timezone(timedelta(hours=4, minutes=30)), timezone(timedelta(hours=-5)), None])
        return datetime(2020, 1, 1, tzinfo=tz) + timedelta(seconds=rng.randrange(10**8),
                                                         microseconds=rng.choice([0, 1, 500_000, 999_999]))

    number = lambda: rng.choice([0.0, -0.0, 1.5, 34.123456789, -179.99999, 1e-3, 12345.678, 1e15])  # noqa: E731
    return {
        "event_id": _random_text(rng) or "e", "story_id": _random_text(rng), "event_date": date(2001, 1, 1)
        + timedelta(days=rng.randrange(9000)), "date_precision": rng.choice(["day", "week", "month"]),
        "event_type": _random_text(rng), "sub_event_type": _random_text(rng),
        "actor1": maybe({"name": _random_text(rng), "surface_forms": [_random_text(rng)] * rng.randrange(3)}),
        "actor2": maybe({"name": _random_text(rng)}), "country": maybe("AF"), "admin1": maybe(_random_text(rng)),
        "admin2": maybe(_random_text(rng)), "location": maybe(_random_text(rng)), "latitude": maybe(number()),
        "longitude": maybe(number()), "geo_precision": maybe(rng.choice([1, 2, 3])),
        "fatalities": rng.choice([0, 1, 7, 250, 2**40]),
        "casualties": [{"group": _random_text(rng), "kind": rng.choice(["killed", "wounded", "captured"]),
                        "min": rng.randrange(50), "max": maybe(rng.randrange(50, 99)),
                        "lower_bound": rng.random() < 0.5, "text": _random_text(rng)} for _ in range(rng.randrange(3))],
        "claims": [{"speaker": maybe(_random_text(rng)), "statement": _random_text(rng),
                    "verified": rng.choice([True, False, None])} for _ in range(rng.randrange(3))],
        "sources": [{"story_id": "s", "outlet": _random_text(rng), "url": "https://x.example/" + _random_text(rng),
                     "published_at": maybe(when())} for _ in range(rng.randrange(3))],
        "evidence": [{"text": _random_text(rng), "start": rng.randrange(999), "end": rng.randrange(999)}
                     for _ in range(rng.randrange(3))],
        "confidence": rng.choice([0, 0.5, 0.99, 1, 1.0]), "extractor": "rules/0.3",
        "unknown_future_field": {"ignored": True},
    }


def test_generated_events_with_awkward_values_agree_with_pydantic():
    rng = random.Random(7)
    for _ in range(1500):
        event = _random_event(rng)
        raw = json.dumps(event, default=lambda v: v.isoformat(), ensure_ascii=rng.random() < 0.5).encode()
        _agrees_with_pydantic(raw)


@pytest.mark.parametrize("change", [
    {"fatalities": "12"},  # a number in a string
    {"fatalities": 3.0},
    {"geo_precision": "2"},
    {"event_date": "2021-08-08T00:00:00"},
    {"sources": [{"story_id": "s", "outlet": "o", "url": "u", "published_at": 1628400000}]},  # a Unix timestamp
    {"sources": [{"story_id": "s", "outlet": "o", "url": "u", "published_at": "2021-08-08T06:00Z"}]},
    {"claims": [{"statement": "x", "verified": "yes"}]},
    {"confidence": "0.5"},
])
def test_what_only_pydantics_lax_mode_takes_is_taken_in_its_normalised_form(change):
    base = _random_event(random.Random(1))
    raw = json.dumps({**base, **change}, default=lambda v: v.isoformat()).encode()
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(raw, type=CODEC.struct)  # the fast path refuses it ...
    _agrees_with_pydantic(raw)  # ... and the reference's reading is what is kept


@pytest.mark.parametrize("change", [
    {"event_id": None}, {"event_id": 5}, {"date_precision": "year"}, {"event_date": "2021-02-30"},
    {"event_date": "yesterday"}, {"geo_precision": 0}, {"geo_precision": 4}, {"geo_precision": 1.5},
    {"confidence": 1.01}, {"confidence": -0.1}, {"confidence": None}, {"fatalities": None},
    {"fatalities": "many"}, {"actor1": {"surface_forms": []}}, {"actor1": "Taliban"},
    {"casualties": [{"group": "g", "kind": "missing", "min": 1}]}, {"casualties": {}},
    {"claims": [{"speaker": "x"}]}, {"sources": [{"story_id": "s", "url": "u"}]},
    {"sources": [{"story_id": "s", "outlet": "o", "url": "u", "published_at": "soon"}]},
    {"evidence": [{"text": "t", "start": "a", "end": 1}]}, {"latitude": "north"}, {"extractor": []},
])
def test_what_pydantic_refuses_is_refused(change):
    raw = json.dumps({**_random_event(random.Random(2)), **change}, default=lambda v: v.isoformat()).encode()
    with pytest.raises(ValidationError):
        Event.model_validate_json(raw)
    with pytest.raises(ValidationError):
        CODEC.decode(raw)


def _with(extra: bytes) -> bytes:
    base = json.dumps(_random_event(random.Random(4)), default=lambda v: v.isoformat()).encode()
    return base[:-1] + b", " + extra + b"}"


@pytest.mark.parametrize("extra", [
    b'"unknown": "\xff"', b'"\xfe": 1', b'"unknown": ' + b"[" * 300 + b"]" * 300, b'"unknown": ' + b"9" * 5000,
], ids=["invalid-utf8-value", "invalid-utf8-key", "nested-too-deep", "huge-number"])
def test_an_unknown_field_the_json_parser_refuses_is_refused(extra):
    """Unknown fields are ignored, but only in a document pydantic can parse at all."""
    with pytest.raises(ValidationError):
        Event.model_validate_json(_with(extra))
    with pytest.raises(ValidationError):
        CODEC.decode(_with(extra))


def test_times_finer_than_a_microsecond_are_truncated_as_pydantic_does():
    when = "2021-08-08T23:59:59.9999995Z"  # msgspec alone would round it into the next day
    raw = _with(b'"sources": [{"story_id": "s", "outlet": "o", "url": "u", "published_at": "%s"}]' % when.encode())
    _agrees_with_pydantic(raw)
    assert CODEC.decode(raw)[1]["sources"][0]["published_at"] == "2021-08-08T23:59:59.999999Z"


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"null", b'{"event_id": "x"}', b"\xff\xfe", b"{}"])
def test_broken_messages_are_refused_with_pydantics_error(raw):
    with pytest.raises(ValidationError):
        CODEC.decode(raw)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_written_as_null_as_pydantic_writes_them(number):
    raw = json.dumps({**_random_event(random.Random(3)), "latitude": 0}, default=lambda v: v.isoformat()).replace('"latitude": 0', f'"latitude": {number}')
    _agrees_with_pydantic(raw.encode())
    assert CODEC.decode(raw.encode())[1]["latitude"] is None


def test_integers_beyond_64_bits_are_kept():
    raw = json.dumps({**_random_event(random.Random(3)), "fatalities": 2**70}, default=lambda v: v.isoformat())
    _agrees_with_pydantic(raw.encode())


def test_a_model_the_derivation_cannot_mirror_fails_at_once():
    class Checked(BaseModel):
        name: str

        @field_validator("name")
        @classmethod
        def _upper(cls, v: str) -> str:
            return v.upper()

    class Patterned(BaseModel):
        code: str = Field(pattern="^[A-Z]{2}$")

    class Mapped(BaseModel):
        tags: dict[str, str]

    class Open(BaseModel):
        model_config = ConfigDict(extra="allow")
        name: str

    class Stripped(BaseModel):
        model_config = ConfigDict(str_strip_whitespace=True)
        name: str

    class Hidden(BaseModel):
        name: str
        secret: str = Field("", exclude=True)

    for model in (Checked, Patterned, Mapped, Open, Stripped, Hidden):
        with pytest.raises(TypeError):
            Codec(model)
