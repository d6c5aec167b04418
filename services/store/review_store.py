"""Recording and undoing analysts' reviews: one transaction each, with its audit entry.

A review is stored with the reports the event had merged (``review_reports``) and the clusters of
those reports are rebuilt at once, so the API shows the reviewed event as soon as the call returns.
Each call holds the whole store (``Dialect.lock_store``): reviews are rare, and no bucket writer can
rebuild the same clusters meanwhile. See ``review`` for what survives replays and re-merging.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
from sqlalchemy import Connection, Engine

from . import audit
from .dialect import Dialect, json_list
from .review import Review, ReviewRefused, ReviewRequest, check_taxonomy
from .writer import ReportWriter

log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class ReviewStore:
    """Reviews of one store's merged events, and their audit log."""

    def __init__(self, engine: Engine, dialect: Dialect, writer: ReportWriter,
                 clock: Callable[[], str] = _now) -> None:
        self.engine = engine
        self.dialect = dialect
        self.writer = writer
        self.clock = clock

    def review(self, event_id: str, request: ReviewRequest) -> tuple[Review, dict]:
        """Record a review of the event ``event_id`` (or of the event that merged report
        ``event_id``) and return it with the event as it now reads. ``ReviewRefused``: no such
        event (404), or a correction outside ACLED's taxonomy (400)."""
        fields = request.fields.values() if request.fields else {}
        with self.engine.begin() as conn:
            self.dialect.lock_store(conn)
            event = self._event(conn, event_id)
            if event is None:
                raise ReviewRefused("no_event", f"no event {event_id}", 404)
            if {"event_type", "sub_event_type"} & set(fields):
                check_taxonomy(event, fields)
            review = Review(audit.new_id(), event["event_id"], request.action, request.reason, request.reviewer,
                            self.clock(), fields)
            self.dialect.query(
                conn, "INSERT INTO reviews (review_id, event_id, action, fields, reason, reviewer, created_at) "
                      "VALUES (:review_id, :event_id, :action, :fields, :reason, :reviewer, :created_at)",
                {"review_id": review.review_id, "event_id": review.event_id, "action": review.action.value,
                 "fields": orjson.dumps(fields).decode(), "reason": review.reason, "reviewer": review.reviewer,
                 "created_at": review.created_at})
            self.dialect.query(
                conn, "INSERT INTO review_reports (report_id, review_id, story_id) "
                      f"SELECT event_id, :review_id, story_id FROM reports WHERE {self.dialect.any_of('event_id', 'r')}",
                {"review_id": review.review_id, "r": json_list(event["reports"])})
            after = self._rebuild(conn, event["reports"], event["event_id"])
            audit.record(conn, self.dialect, audit.AuditEntry(
                audit.new_id(), review.created_at, review.reviewer, f"review.{review.action.value}",
                event["event_id"], review.review_id, review.reason, audit.snapshot(event), audit.snapshot(after)))
        log.info("event %s %s by %s (review %s)", review.event_id, review.action.value, review.reviewer,
                 review.review_id)
        return review, after or event

    def undo(self, event_id: str, review_id: str, reviewer: str, reason: str) -> dict | None:
        """Undo review ``review_id`` of event ``event_id`` and return the event its reports are in
        now (None if they are gone). ``ReviewRefused``: no such review of that event (404), or it
        was undone already (409)."""
        with self.engine.begin() as conn:
            self.dialect.lock_store(conn)
            row = self.dialect.query(
                conn, "SELECT event_id, undone_at FROM reviews WHERE review_id = :r", {"r": review_id}).first()
            reports = [rid for (rid,) in self.dialect.query(
                conn, "SELECT report_id FROM review_reports WHERE review_id = :r ORDER BY report_id",
                {"r": review_id})]
            event = self._event(conn, event_id)
            covers = row is not None and (row[0] == event_id or bool(event and set(event["reports"]) & set(reports)))
            if not covers:
                raise ReviewRefused("no_review", f"no review {review_id} of event {event_id}", 404)
            if row[1] is not None:
                raise ReviewRefused("already_undone", f"review {review_id} was undone at {row[1]}", 409)
            at = self.clock()
            self.dialect.query(conn, "UPDATE reviews SET undone_at = :at, undone_by = :by, undo_reason = :why "
                                     "WHERE review_id = :r", {"at": at, "by": reviewer, "why": reason, "r": review_id})
            before = event
            after = self._rebuild(conn, reports, event["event_id"] if event else event_id)
            audit.record(conn, self.dialect, audit.AuditEntry(
                audit.new_id(), at, reviewer, "review.undo", event_id, review_id, reason,
                audit.snapshot(before), audit.snapshot(after)))
        log.info("review %s of event %s undone by %s", review_id, event_id, reviewer)
        return after

    def _event(self, conn: Connection, event_id: str) -> dict | None:
        """The merged event by its id or by one of its reports' ids, read in this transaction."""
        payload = self.dialect.query(conn, "SELECT payload FROM events WHERE event_id = :id", {"id": event_id}).scalar()
        if payload is None:
            payload = self.dialect.query(
                conn, "SELECT e.payload FROM reports r JOIN events e ON e.event_id = r.cluster_id "
                      "WHERE r.event_id = :id", {"id": event_id}).scalar()
        return orjson.loads(payload) if payload else None

    def _rebuild(self, conn: Connection, reports: list[str], event_id: str) -> dict | None:
        """Rebuild the clusters of these reports; the event ``event_id`` now is, or that its first
        report is in."""
        clusters = {c for (c,) in self.dialect.query(
            conn, f"SELECT DISTINCT cluster_id FROM reports WHERE {self.dialect.any_of('event_id', 'r')}",
            {"r": json_list(reports)}) if c}
        self.writer.rewrite(conn, clusters)
        return self._event(conn, event_id) or (self._event(conn, reports[0]) if reports else None)

