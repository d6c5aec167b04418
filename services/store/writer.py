"""The write path: reports in, clusters re-formed, merged events rewritten, in one transaction.

Writes are idempotent and order-independent: a report is rewritten only when its JSON changed,
clusters are recomputed as connected components of the affected neighbourhood (``merge``), and a
merged row is rewritten only when its JSON changed. Replaying the events topic from offset 0, in
any partition order and batching, leaves the store's rows the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text

from services.common.contracts import Story

from . import changes as feed
from . import merge, review
from .buckets import Bucket
from .candidates import candidate_rows
from .dialect import Dialect, json_list
from .prepare import PreparedReport
from .schema import EVENT_COLUMNS, REPORT_ROW, event_row, report_from_columns, report_row


class ConcurrentRevision(RuntimeError):
    """Another writer revised a report this batch revises: the batch is retried (it is idempotent)."""

    kind = "concurrent_revision"


@dataclass
class WriteResult:
    """What one write did to the reports it was given, and how many merged events it wrote."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    clusters_written: int = 0
    inserted_ids: list[str] = field(default_factory=list)  # the reports stored for the first time


@dataclass
class _Neighbourhood:
    """Everything the changed reports can affect: no report outside ``reports`` can join a cluster
    inside it (clusters are connected components)."""

    reports: dict[str, dict]  # by id
    current: dict[str, str | None]  # the cluster each is in now
    clusters: set[str]  # the clusters involved
    digests: dict[str, str] = field(default_factory=dict)  # their stored merged JSON (``Dialect.digest``)


@dataclass
class _Stored:
    """Which of a batch's reports are stored, as what, and the buckets revised ones leave."""

    payloads: dict[str, str] = field(default_factory=dict)
    left: dict[str, Bucket] = field(default_factory=dict)


class ReportWriter:
    """Writes reports and near-duplicate links into one store; every method is one transaction."""

    def __init__(self, engine: Engine, dialect: Dialect) -> None:
        self.engine = engine
        self.dialect = dialect

    def upsert(self, reports: list[PreparedReport]) -> WriteResult:
        """Write a batch of reports (the last version of each wins) and re-merge what they touch."""
        result = WriteResult()
        latest = {r.event_id: r for r in reports}
        if not latest:
            return result
        with self.engine.begin() as conn:
            # Which reports are stored, as what and where, is read before any lock: a report is
            # written only by the consumer its partition is assigned to, so that cannot change meanwhile.
            stored = self._stored(conn, latest)
            changed = self._changed(latest, stored, result)
            if not changed:
                return result
            slots = {b.slot for b in stored.left.values()} | {r.slot for r in changed.values()}
            self.dialect.lock_slots(conn, slots)  # all at once, in order, before the neighbourhood is read
            old_assignment = self._old_assignment(conn, changed, stored.left)
            near = self._neighbourhood(conn, changed, old_assignment)
            groups = merge.components(near.reports)
            cluster_of = {eid: g[0] for g in groups for eid in g}
            # changed reports are written with their new cluster, so only their neighbours move
            new_rows: list[tuple] = []
            old_rows: list[tuple] = []
            for eid, report in changed.items():
                near.current[eid] = cluster_of[eid]
                (old_rows if eid in stored.payloads else new_rows).append((*report.row, cluster_of[eid]))
            if new_rows:
                self.dialect.insert(conn, "reports", REPORT_ROW, new_rows)
            if old_rows:
                self.dialect.update(conn, "reports", REPORT_ROW, old_rows)
            alone = {eid: r.alone for eid, r in changed.items()}
            log: list[feed.Change] = []
            result.clusters_written = self._write_components(conn, near.reports, groups, near.clusters,
                                                             near.digests, near.current, alone, log)
            feed.record(conn, self.dialect, log)  # last: the change feed's counter is held until commit
        return result

    def _stored(self, conn: Connection, latest: dict[str, PreparedReport]) -> _Stored:
        stored = _Stored()
        for eid, payload, *bucket in self.dialect.query(
                conn, "SELECT event_id, payload, country, admin1, event_type FROM reports "
                      f"WHERE {self.dialect.any_of('event_id', 'ids')}", {"ids": json_list(latest)}):
            stored.payloads[eid] = payload
            if payload != latest[eid].payload:
                stored.left[eid] = Bucket(*bucket)  # a revised report's old cluster changes too
        return stored

    @staticmethod
    def _changed(latest: dict[str, PreparedReport], stored: _Stored, result: WriteResult) -> dict[str, PreparedReport]:
        changed = {}
        for eid, report in latest.items():
            if eid not in stored.payloads:
                result.inserted += 1
                result.inserted_ids.append(eid)
            elif stored.payloads[eid] != report.payload:
                result.updated += 1
            else:
                result.unchanged += 1
                continue
            changed[eid] = report
        return changed

    def _old_assignment(self, conn: Connection, changed: dict[str, PreparedReport],
                        left: dict[str, Bucket]) -> dict[str, str | None]:
        """The clusters the changed reports are in now: read under the locks, since clusters change
        with other writers' merges."""
        old_assignment: dict[str, str | None] = dict.fromkeys(changed)
        if not left:
            return old_assignment
        for eid, cluster, *bucket in self.dialect.query(
                conn, "SELECT event_id, cluster_id, country, admin1, event_type FROM reports "
                      f"WHERE {self.dialect.any_of('event_id', 'ids')}", {"ids": json_list(left)}):
            if Bucket(*bucket) != left[eid]:
                # another writer revised it meanwhile (only when a key's versions reach two
                # consumers, e.g. after partitions were added): the locks taken may be wrong
                raise ConcurrentRevision(f"report {eid} was revised by another writer; retrying")
            old_assignment[eid] = cluster
        return old_assignment

    def link_duplicates(self, stories: list[Story]) -> int:
        """Remember near-duplicate stories; their outlets join the original's events as sources.
        (An original story's events may be in any bucket: this locks the whole store.)"""
        rows: list[dict[str, Any]] = [{"story_id": s.story_id, "original_story_id": s.duplicate_of, "outlet": s.outlet, "url": s.url,
                 "published_at": s.published_at.isoformat() if s.published_at else None}
                for s in stories if s.duplicate_of]
        if not rows:
            return 0
        d = self.dialect
        with self.engine.begin() as conn:
            d.lock_store(conn)
            known = {sid for (sid,) in d.query(
                conn, f"SELECT story_id FROM story_links WHERE {d.any_of('story_id', 'ids')}",
                {"ids": json_list([r["story_id"] for r in rows])})}
            fresh = [r for r in rows if r["story_id"] not in known]
            if not fresh:
                return 0
            d.query(conn, "INSERT INTO story_links (story_id, original_story_id, outlet, url, published_at) "
                          "VALUES (:story_id, :original_story_id, :outlet, :url, :published_at)", fresh)
            clusters = {c for (c,) in d.query(
                conn, f"SELECT DISTINCT cluster_id FROM reports WHERE {d.any_of('story_id', 'ids')}",
                {"ids": json_list(sorted({r["original_story_id"] for r in fresh}))}) if c}
            if clusters:
                log: list[feed.Change] = []
                self._write_clusters(conn, clusters, None, log=log)
                feed.record(conn, d, log)
        return len(fresh)

    def rebuild(self) -> int:
        """Recompute every cluster from the reports (admin use, and after migrations); the result is
        the rows incremental writes of the same reports give."""
        with self.engine.begin() as conn:
            self.dialect.lock_store(conn)
            stored: dict[str, str] = dict(conn.execute(text("SELECT event_id, payload FROM reports")).all())
            reports = {eid: orjson.loads(p) for eid, p in stored.items()}
            before = dict(self.dialect.query(conn, f"SELECT event_id, {self.dialect.digest_column()} FROM events", {}).all())
            conn.execute(text("DELETE FROM events"))
            rows = [(*report_row(r, stored[eid]), None) for eid, r in reports.items()]
            if rows:
                self.dialect.update(conn, "reports", REPORT_ROW, rows)
            written = self._write_components(conn, reports, merge.components(reports), set(), digests={})
            feed.record(conn, self.dialect, feed.rebuild_changes(conn, self.dialect, before))
            return written

    def _neighbourhood(self, conn: Connection, changed: dict[str, PreparedReport],
                       old_assignment: dict[str, str | None]) -> _Neighbourhood:
        """Stored reports that are the same event as a changed one, every member of their clusters
        and of the changed reports' former clusters."""
        d = self.dialect
        clusters = {c for c in old_assignment.values() if c}
        wanted: set[str] = set()
        for placed in (True, False):
            windows = [r.window for r in changed.values() if (r.data.get("admin1") is not None) == placed]
            if not windows:
                continue
            for row in candidate_rows(conn, d, windows, placed):
                if row.event_id in changed:
                    continue  # the stored, older version of a report this batch rewrites
                if merge.same_event(report_from_columns(row), changed[row.wanted_by].data):
                    if row.cluster_id:
                        clusters.add(row.cluster_id)
                    else:
                        wanted.add(row.event_id)
        near = _Neighbourhood({eid: r.data for eid, r in changed.items()}, dict(old_assignment), clusters)
        if clusters:
            for eid, payload, cluster in d.query(
                    conn, f"SELECT event_id, payload, cluster_id FROM reports WHERE {d.any_of('cluster_id', 'c')}",
                    {"c": json_list(sorted(clusters))}):
                if eid not in near.reports:
                    near.reports[eid] = orjson.loads(payload)
                    near.current[eid] = cluster
        if wanted - set(near.reports):
            for eid, payload in d.query(
                    conn, f"SELECT event_id, payload FROM reports WHERE {d.any_of('event_id', 'e')}",
                    {"e": json_list(sorted(wanted - set(near.reports)))}):
                near.reports[eid] = orjson.loads(payload)
                near.current[eid] = None
        if clusters:
            near.digests = self._stored_digests(conn, clusters)
        return near

    def _stored_digests(self, conn: Connection, ids: Iterable[str]) -> dict[str, str]:
        """What the stored merged events say (``Dialect.digest``), to skip rewriting those that did
        not change."""
        d = self.dialect
        return dict(d.query(conn, f"SELECT event_id, {d.digest_column()} FROM events WHERE {d.any_of('event_id', 'c')}",
                            {"c": json_list(sorted(ids))}).all())

    def _write_components(self, conn: Connection, reports: dict[str, dict], groups: list[list[str]],
                          old_clusters: set[str], digests: dict[str, str],
                          current: dict[str, str | None] | None = None,
                          alone: dict[str, tuple] | None = None, log: list[feed.Change] | None = None) -> int:
        d = self.dialect
        new_ids = {g[0] for g in groups}
        gone = sorted(old_clusters - new_ids)
        if gone:
            d.query(conn, f"DELETE FROM events WHERE {d.any_of('event_id', 'g')}", {"g": json_list(gone)})
            if log is not None:
                gone_set = set(gone)
                log.extend(feed.gone_changes(gone, {e: g[0] for g in groups for e in g if e in gone_set}))
        current = current or {}
        moved = [{"e": eid, "c": g[0]} for g in groups for eid in g if current.get(eid) != g[0]]
        if moved:
            pairs = d.records("v", "v", (("e", "text"), ("c", "text")))
            d.query(conn, f"UPDATE reports SET cluster_id = v.c FROM {pairs} WHERE reports.event_id = v.e",
                    {"v": orjson.dumps(moved).decode()})
        return self._write_clusters(conn, new_ids, {g[0]: [reports[e] for e in g] for g in groups}, digests, alone,
                                    log)

    def rewrite(self, conn: Connection, cluster_ids: set[str]) -> int:
        """Rebuild these clusters' merged events from their stored reports, in the caller's
        transaction (which holds ``Dialect.lock_store``): after a review changed what they say. The
        rewritten events enter the change feed (and so reach mirrors and webhooks) in that transaction."""
        log: list[feed.Change] = []
        written = self._write_clusters(conn, cluster_ids, None, log=log)
        feed.record(conn, self.dialect, log)
        return written

    def _members(self, conn: Connection, ids: list[str]) -> dict[str, list[dict]]:
        members: dict[str, list[dict]] = {}
        for payload, cluster in self.dialect.query(
                conn, f"SELECT payload, cluster_id FROM reports WHERE {self.dialect.any_of('cluster_id', 'c')}",
                {"c": json_list(ids)}):
            members.setdefault(cluster, []).append(orjson.loads(payload))
        return members

    def _links(self, conn: Connection, stories: list[str]) -> dict[str, list[dict]]:
        """The republished copies of these stories, by original story id."""
        links: dict[str, list[dict]] = {}
        if not stories:
            return links
        for row in self.dialect.query(
                conn, f"SELECT story_id, original_story_id, outlet, url, published_at FROM story_links "
                      f"WHERE {self.dialect.any_of('original_story_id', 's')}", {"s": json_list(stories)}).mappings():
            links.setdefault(row["original_story_id"], []).append(
                {"story_id": row["story_id"], "outlet": row["outlet"], "url": row["url"],
                 "published_at": row["published_at"]})
        return links

    def _write_clusters(self, conn: Connection, cluster_ids: set[str], members: dict[str, list[dict]] | None,
                        digests: dict[str, str] | None = None, alone: dict[str, tuple] | None = None,
                        log: list[feed.Change] | None = None) -> int:
        """(Re)write the merged events of these clusters, skipping those whose JSON is unchanged.
        ``alone`` has the rows of reports already merged on their own (``PreparedReport.alone``),
        for clusters of one report; what was written is appended to ``log`` (the change feed)."""
        ids = sorted(cluster_ids)
        if not ids:
            return 0
        if members is None:
            members = self._members(conn, ids)
        if digests is None:
            digests = self._stored_digests(conn, ids)
        links = self._links(conn, sorted({r["story_id"] for ms in members.values() for r in ms}))
        alone = alone or {}
        digest = self.dialect.digest
        updates = []
        created: list[str] = []  # ids inserted, for the change feed
        # analysts' reviews win over what the reports say (``review``): applied wherever a merged row is built
        reviews = review.active_reviews(conn, self.dialect, [r["event_id"] for ms in members.values() for r in ms])

        def inserts():
            # a generator, so that PostgreSQL stores the first rows while the next are merged
            for cid in ids:
                group = members.get(cid)
                if not group:
                    continue
                extra = [s for r in group for s in links.get(r["story_id"], ())]
                reviewed = review.cluster_reviews(group, reviews) if reviews else []
                if len(group) == 1 and not extra and cid in alone and not reviewed:
                    row = alone[cid]
                else:
                    row = event_row(review.apply(merge.merge(group, extra), reviewed))
                if cid not in digests:
                    created.append(row[0])
                    yield row
                elif digests[cid] != digest(row[-1]):
                    updates.append(row)

        written = self.dialect.insert(conn, "events", EVENT_COLUMNS, inserts())
        if updates:
            self.dialect.update(conn, "events", EVENT_COLUMNS, updates)
        if log is not None:
            log.extend(feed.Change(eid, feed.ChangeKind.CREATED) for eid in created)
            log.extend(feed.Change(r[0], feed.ChangeKind.UPDATED) for r in updates)
        return written + len(updates)
