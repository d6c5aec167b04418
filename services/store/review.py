"""Analysts' reviews of merged events: confirm, reject or correct, kept apart from what the extractor produced.

A review is attached to the reports the event had merged when it was reviewed (their ids, which
are the story plus the event's key within the story), never only to the merged event's id, which
changes when clusters split or join. Whenever the writer (re)builds a cluster's merged event, the
active reviews of any of its reports are applied to it (``apply``). That gives the guarantees:

* a replay of the events topic, in any order, and ``rebuild`` give the same reviewed events: the
  reviews are not on the topic, and the merged event is a function of the reports and the reviews;
* a re-extraction (same story and event keys, other values) keeps the corrections: a corrected
  field always wins over the extracted one, which stays visible under ``review.extracted``;
* re-merging keeps them too: the events its reports form after a split each carry the review, and
  an event they join carries it (a rejected event's reports stay rejected wherever they go);
* undoing a review (``undone_at``) rebuilds the events of its reports without it.

Reviews only change what the merged event says, never its reports: clustering keeps working from
the extracted values, so a correction cannot move reports between clusters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Connection

from services.extract.taxonomy import EVENT_TYPES

from .dialect import Dialect, json_list

# Above this many reports, a write loads every active review at once: reviews are made by people,
# so there are few, and one long list of ids would cost more to send than they do.
_ALL_REVIEWS_ABOVE = 2000


class ReviewAction(StrEnum):
    """What an analyst did to an event."""

    CONFIRM = "confirm"
    REJECT = "reject"
    CORRECT = "correct"


class ReviewStatus(StrEnum):
    """A merged event's ``review_status``."""

    UNREVIEWED = "unreviewed"
    CONFIRMED = "confirmed"
    CORRECTED = "corrected"
    REJECTED = "rejected"


class ReviewRefused(ValueError):
    """A review the API answers with ``status`` and this message; ``kind`` is bounded (metrics, logs)."""

    def __init__(self, kind: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


class Corrections(BaseModel):
    """The fields an analyst may correct; only those given are corrected (a null clears the
    optional ones: actor2, admin2, location, coordinates)."""

    model_config = ConfigDict(extra="forbid")

    event_type: str | None = Field(None, description="ACLED event type, e.g. Battles")
    sub_event_type: str | None = Field(None, description="ACLED sub-event type of that type, e.g. Armed clash")
    event_date: date | None = None
    actor1: str | None = Field(None, min_length=1, max_length=200, description="Canonical actor name")
    actor2: str | None = Field(None, min_length=1, max_length=200, description="Canonical actor name")
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    admin1: str | None = Field(None, min_length=1, max_length=200)
    admin2: str | None = Field(None, min_length=1, max_length=200)
    location: str | None = Field(None, min_length=1, max_length=200)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    geo_precision: int | None = Field(None, ge=1, le=3)
    fatalities: int | None = Field(None, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def _consistent(self) -> Corrections:
        given = self.model_fields_set
        for name in ("event_type", "sub_event_type", "event_date", "actor1", "fatalities", "country"):
            if name in given and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be cleared, only corrected")
        if ("latitude" in given) != ("longitude" in given) or (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude are corrected together")
        if self.event_type is not None and self.event_type not in EVENT_TYPES:
            raise ValueError(f"event_type must be one of {', '.join(EVENT_TYPES)}")
        return self

    def values(self) -> dict[str, Any]:
        """The corrected fields as the merged event stores them (JSON values)."""
        return self.model_dump(mode="json", include=self.model_fields_set)


class ReviewRequest(BaseModel):
    """``POST /events/{id}/review``: confirm or reject an event, or correct some of its fields."""

    model_config = ConfigDict(extra="forbid")

    action: ReviewAction
    fields: Corrections | None = Field(None, description="The corrected fields (action correct only)")
    reason: str = Field(min_length=1, max_length=2000, description="Why: shown with the event and in the audit log")
    reviewer: str = Field(min_length=1, max_length=200, description="Who reviews (recorded in the audit log)")

    @field_validator("reason", "reviewer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _fields_with_correct(self) -> ReviewRequest:
        if self.action is ReviewAction.CORRECT and not (self.fields and self.fields.model_fields_set):
            raise ValueError("a correction needs at least one field in fields")
        if self.action is not ReviewAction.CORRECT and self.fields and self.fields.model_fields_set:
            raise ValueError(f"fields go with action correct, not {self.action}")
        return self


@dataclass(frozen=True)
class Review:
    """One analyst's review, as stored: the values it sets and why."""

    review_id: str
    event_id: str  # the merged event's id when it was reviewed (it may have changed since)
    action: ReviewAction
    reason: str
    reviewer: str
    created_at: str  # ISO 8601, UTC
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def order(self) -> tuple[str, str]:
        return (self.created_at, self.review_id)


def check_taxonomy(event: dict, fields: dict[str, Any]) -> None:
    """``ReviewRefused`` unless the event type and sub-type the event would have after the
    correction are a pair of ACLED's taxonomy."""
    event_type = str(fields.get("event_type", event.get("event_type")))
    sub_event_type = fields.get("sub_event_type", event.get("sub_event_type"))
    allowed = EVENT_TYPES.get(event_type, ())
    if sub_event_type not in allowed:
        raise ReviewRefused("bad_taxonomy", f"sub_event_type {sub_event_type!r} is not one of {event_type!r}: "
                                            f"{', '.join(allowed)}")


def _stored_value(name: str, value: Any) -> Any:
    if name in ("actor1", "actor2"):
        return {"name": value, "surface_forms": []} if value is not None else None
    return value


def _shown_value(name: str, value: Any) -> Any:
    if name in ("actor1", "actor2"):
        return value["name"] if value else None
    return value


def status_of(reviews: Iterable[Review]) -> ReviewStatus:
    """The status the reviews give, oldest first: the latest confirm or reject decides, and
    corrections make a confirmed event a corrected one (a correction confirms the rest)."""
    status, corrected = ReviewStatus.UNREVIEWED, False
    for r in sorted(reviews, key=lambda r: r.order):
        if r.action is ReviewAction.REJECT:
            status = ReviewStatus.REJECTED
        else:
            corrected = corrected or r.action is ReviewAction.CORRECT
            status = ReviewStatus.CORRECTED if corrected else ReviewStatus.CONFIRMED
    return status


def apply(merged: dict, reviews: Iterable[Review]) -> dict:
    """The merged event as its reviews make it: corrected fields set (a later correction of a
    field wins over an earlier one), ``review_status``, and ``review`` with the corrected and the
    extracted values, the reviews' ids, and the latest reviewer and reason. No reviews: unchanged."""
    ordered = sorted({r.review_id: r for r in reviews}.values(), key=lambda r: r.order)
    if not ordered:
        return merged
    corrected: dict[str, Any] = {}
    for r in ordered:
        if r.action is ReviewAction.CORRECT:
            corrected.update(r.fields)
    out = dict(merged)
    extracted = {name: _shown_value(name, merged.get(name)) for name in sorted(corrected)}
    for name, value in corrected.items():
        out[name] = _stored_value(name, value)
    last = ordered[-1]
    status = status_of(ordered)
    out["review_status"] = status.value
    out["review"] = {"status": status.value, "corrected": dict(sorted(corrected.items())), "extracted": extracted,
                     "reviewer": last.reviewer, "reason": last.reason, "reviewed_at": last.created_at,
                     "review_ids": [r.review_id for r in ordered]}
    return out


def cluster_reviews(members: Iterable[dict], by_report: dict[str, list[Review]]) -> list[Review]:
    """The active reviews of a cluster: those of any of its reports, once each."""
    found: dict[str, Review] = {}
    for report in members:
        for r in by_report.get(report["event_id"], ()):
            found[r.review_id] = r
    return list(found.values())


_PAIRS = ("SELECT rr.report_id, rr.review_id FROM review_reports rr JOIN reviews r ON r.review_id = rr.review_id "
          "WHERE r.undone_at IS NULL")


def active_reviews(conn: Connection, dialect: Dialect, report_ids: list[str]) -> dict[str, list[Review]]:
    """The reviews in force (not undone) of these reports, by report id: which reviews cover which
    reports first (two short columns), then each review once."""
    if not report_ids:
        return {}
    if len(report_ids) > _ALL_REVIEWS_ABOVE:
        wanted = set(report_ids)
        pairs = [(rep, rid) for rep, rid in dialect.query(conn, _PAIRS, {}) if rep in wanted]
    else:
        pairs = dialect.query(conn, f"{_PAIRS} AND {dialect.any_of('rr.report_id', 'ids')}",
                              {"ids": json_list(report_ids)}).all()
    if not pairs:
        return {}
    reviews = {}
    for review_id, event_id, action, reason, reviewer, created_at, fields in dialect.query(
            conn, "SELECT review_id, event_id, action, reason, reviewer, created_at, fields FROM reviews "
                  f"WHERE {dialect.any_of('review_id', 'ids')}", {"ids": json_list(sorted({r for _, r in pairs}))}):
        reviews[review_id] = Review(review_id, event_id, ReviewAction(action), reason, reviewer, created_at,
                                    orjson.loads(fields))
    out: dict[str, list[Review]] = {}
    for report_id, review_id in pairs:
        out.setdefault(report_id, []).append(reviews[review_id])
    return out
