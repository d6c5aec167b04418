"""Report preparation: everything about an incoming event that depends on it alone.

``prepare`` runs in the consuming thread while the previous batch is being written, so the writer,
which is the pipeline's bottleneck, is left with what needs the database.
"""

from __future__ import annotations

from typing import NamedTuple

import orjson

from services.common.codec import Codec
from services.common.contracts import Event

from . import merge
from .buckets import Bucket
from .candidates import window
from .schema import event_row, report_row


class PreparedReport(NamedTuple):
    """An event as the store keeps it, with everything that depends on it alone worked out in
    advance. (A NamedTuple: thousands are made per batch, and its rows go to the driver as they are.)"""

    event_id: str
    payload: str  # the stored JSON
    data: dict  # that JSON decoded (with the transient fields' values)
    row: tuple  # its ``reports`` row without the cluster id (``schema.report_row``)
    window: str  # where its candidates are (``candidates.window``), as JSON
    alone: tuple  # its ``events`` row for when it is an event of its own, with no republished copies
    slot: int  # its bucket's lock slot (``Bucket.slot``), which also picks its writer's shard


_EVENTS = Codec(Event)
# when ingest first saw the story: wall-clock time, different on every replay of the same item, so
# it is read for the end-to-end latency (``data``) and never stored (the payload has it null)
TRANSIENT_FIELDS = ("first_seen_at",)

# ``fatalities`` is a 4-byte INTEGER column (PostgreSQL); no real report comes near it, so a figure
# outside 0..MAX_FATALITIES is a data error of the extractor, refused here on both databases alike
MAX_FATALITIES = 2**31 - 1


class ReportOutOfRange(ValueError):
    """A report whose figure no column holds; ``kind`` is a bounded label (dead letter, metric)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def prepare(raw: bytes) -> PreparedReport:
    """Validate one ``Event`` message (pydantic's ``ValidationError`` if the contract refuses it)
    and work out all that depends on it alone. The canonical JSON is the stored form: the model's
    fields in declaration order and no free-form mappings, so equal reports give equal text, and
    ``TRANSIENT_FIELDS`` null in it (kept in ``data``), so a replay of the same item does too.
    A figure outside what the columns hold raises ``ReportOutOfRange`` (a ``ValueError``: the
    service dead-letters it at once, never retried, never clamped: a wrong figure is not guessed)."""
    canonical, data = _EVENTS.decode(raw, clear=TRANSIENT_FIELDS)
    fatalities = data.get("fatalities") or 0
    if not 0 <= fatalities <= MAX_FATALITIES:
        raise ReportOutOfRange("fatalities_out_of_range",
                               f"fatalities_out_of_range: {fatalities} is outside 0..{MAX_FATALITIES}")
    payload = canonical.decode()
    return PreparedReport(data["event_id"], payload, data, report_row(data, payload),
                          orjson.dumps(window(data)).decode(), event_row(merge.merge([data])),
                          Bucket.of(data).slot)
