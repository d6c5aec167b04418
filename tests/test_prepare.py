"""Preparing a report: validated once, the stored form canonical, everything else derived from it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson
import pytest
from pydantic import ValidationError

from services.store import merge
from services.store.buckets import Bucket
from services.store.candidates import window
from services.store.prepare import prepare
from services.store.schema import event_row, report_row
from tests.helpers import make_event


def test_when_ingest_first_saw_the_story_is_not_stored_so_a_replay_stores_the_same_row():
    # a story ingest publishes again after a restart carries a later first_seen_at (wall clock)
    first = prepare(make_event(3, first_seen_at=datetime(2026, 1, 1, 8, tzinfo=UTC)).to_bytes())
    again = prepare(make_event(3, first_seen_at=datetime(2026, 1, 1, 9, tzinfo=UTC)).to_bytes())
    assert first.payload == again.payload and first.row == again.row and first.alone == again.alone
    assert json.loads(first.payload)["first_seen_at"] is None
    assert first.data["first_seen_at"] == "2026-01-01T08:00:00Z"  # for the end-to-end latency


def test_equal_reports_give_equal_stored_text_however_they_were_written():
    raw = make_event(3).to_bytes()
    shuffled = json.dumps(dict(reversed(list(json.loads(raw).items()))), indent=2).encode()
    assert shuffled != raw
    assert prepare(shuffled).payload == prepare(raw).payload


def test_a_prepared_report_carries_its_rows_window_and_slot():
    event = make_event(3)
    prepared = prepare(event.to_bytes())
    data = json.loads(prepared.payload)
    assert prepared.event_id == "e00003" and prepared.data == data
    assert prepared.row == report_row(data, prepared.payload)
    assert prepared.alone == event_row(merge.merge([data]))
    assert orjson.loads(prepared.window) == window(data)
    assert prepared.slot == Bucket.of(data).slot


def test_a_message_the_contract_refuses_is_a_validation_error():
    with pytest.raises(ValidationError):
        prepare(b'{"event_id": "no other field"}')
    with pytest.raises(ValueError):
        prepare(b"{not json")


@pytest.mark.parametrize("fatalities", [2**31, 2**63 - 1, -1])
def test_a_figure_no_column_holds_is_refused_with_its_kind(fatalities):
    from services.store.prepare import MAX_FATALITIES, ReportOutOfRange

    with pytest.raises(ReportOutOfRange) as caught:
        prepare(make_event(1, fatalities=fatalities).to_bytes())
    assert caught.value.kind == "fatalities_out_of_range" and isinstance(caught.value, ValueError)
    assert prepare(make_event(2, fatalities=MAX_FATALITIES).to_bytes()).data["fatalities"] == MAX_FATALITIES
