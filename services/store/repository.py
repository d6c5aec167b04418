"""The events store as the services use it: one object that opens the database, brings its schema
up to date, and hands writes to ``writer`` and reads to ``queries``.

Nothing time-dependent is stored, and writes are idempotent and order-independent (``writer``):
replaying the events topic from offset 0, in any partition order, changes nothing.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from services.common.contracts import Event, Story
from services.common.database import make_engine, migrate

from .audit import AuditLog
from .changes import ChangeFeed
from .dialect import Dialect, dialect_for
from .prepare import PreparedReport, prepare
from .queries import EventQuery, EventReader
from .review_store import ReviewStore
from .schema import MIGRATIONS
from .searches import SearchStore
from .writer import ReportWriter, WriteResult


class EventRepository:
    """The store on one database URL (SQLite or PostgreSQL), migrated and with every report in a
    cluster once the constructor returns."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        self.dialect: Dialect = dialect_for(self.engine)
        migrate(self.engine, "store", MIGRATIONS)
        self._writer = ReportWriter(self.engine, self.dialect)
        self._reader = EventReader(self.engine)
        self.reviews = ReviewStore(self.engine, self.dialect, self._writer)  # analysts' reviews (``review``)
        self.audit = AuditLog(self.engine, self.dialect)
        self.changes = ChangeFeed(self.engine)  # the change feed (``changes``)
        self.searches = SearchStore(self.engine)  # saved searches and their deliveries (``searches``)
        with self.engine.connect() as conn:
            stale = conn.execute(text("SELECT COUNT(*) FROM reports WHERE cluster_id IS NULL")).scalar_one()
        if stale:
            self.rebuild()  # reports carried over by a migration: form their clusters once

    def close(self) -> None:
        self.engine.dispose()

    # -- writes ----------------------------------------------------------------------------------

    def upsert_many(self, events: list[Event]) -> WriteResult:
        """Write a batch of reports in one transaction and re-merge what they touch."""
        return self._writer.upsert([prepare(e.to_bytes()) for e in events])

    def upsert_prepared(self, reports: list[PreparedReport]) -> WriteResult:
        """``upsert_many`` for reports already ``prepare``d."""
        return self._writer.upsert(reports)

    def link_duplicates(self, stories: list[Story]) -> int:
        """Remember near-duplicate stories (``ReportWriter.link_duplicates``); how many were new."""
        return self._writer.link_duplicates(stories)

    def rebuild(self) -> int:
        """Recompute every cluster from the reports; how many merged events were written."""
        return self._writer.rebuild()

    # -- reads -----------------------------------------------------------------------------------

    def get(self, event_id: str) -> dict | None:
        return self._reader.get(event_id)

    def query(self, q: EventQuery) -> tuple[list[dict], str | None]:
        return self._reader.query(q)

    def query_raw(self, q: EventQuery) -> tuple[list[str], str | None]:
        return self._reader.query_raw(q)

    def stats(self, q: EventQuery, by: str) -> list[dict]:
        return self._reader.stats(q, by)

    def count(self) -> int:
        return self._reader.count()

    def matching(self, q: EventQuery, ids: list[str]) -> dict[str, str]:
        return self._reader.matching(q, ids)

    def count_reports(self) -> int:
        return self._reader.count_reports()
