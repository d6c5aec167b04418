"""The ingest service's own database: feed schedule and health, seen URLs and GUIDs, text
hashes and the near-duplicate fingerprint index. SQLite by default, PostgreSQL in production;
replicas share it, and a feed is polled by whichever replica holds its lease.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, text

from services.common.database import make_engine, migrate

from . import dedup

_LOOKUP_CHUNK = 500  # keys per IN list: well inside SQLite's and PostgreSQL's parameter limits


def _chunks(keys: list[str]) -> Iterator[list[str]]:
    """The distinct ``keys``, sorted, in lists of at most ``_LOOKUP_CHUNK``: one IN query each."""
    unique = sorted(set(keys))
    for start in range(0, len(unique), _LOOKUP_CHUNK):
        yield unique[start:start + _LOOKUP_CHUNK]


MIGRATIONS = [
    [
        """CREATE TABLE feeds (
            feed_id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            interval_s DOUBLE PRECISION,
            next_poll_at DOUBLE PRECISION NOT NULL DEFAULT 0,
            last_polled_at DOUBLE PRECISION,
            last_success_at DOUBLE PRECISION,
            last_change_at DOUBLE PRECISION,
            consecutive_errors INTEGER NOT NULL DEFAULT 0,
            parse_failures INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            parked_reason TEXT,
            lease_owner TEXT,
            lease_until DOUBLE PRECISION,
            registry_url TEXT
        )""",
        """CREATE TABLE seen_urls (
            canonical_url TEXT PRIMARY KEY,
            story_id TEXT NOT NULL,
            first_seen DOUBLE PRECISION NOT NULL
        )""",
        """CREATE TABLE seen_guids (
            guid_key TEXT PRIMARY KEY,
            story_id TEXT NOT NULL
        )""",
        """CREATE TABLE text_hashes (
            content_hash TEXT PRIMARY KEY,
            story_id TEXT NOT NULL
        )""",
        """CREATE TABLE fingerprints (
            story_id TEXT PRIMARY KEY,
            simhash BIGINT NOT NULL,
            b0 INTEGER NOT NULL, b1 INTEGER NOT NULL, b2 INTEGER NOT NULL, b3 INTEGER NOT NULL
        )""",
    ],
    # 2: MinHash/LSH bands and a lead key replace the SimHash index (see dedup.py for why)
    [
        "DROP TABLE fingerprints",
        """CREATE TABLE near_index (
            story_id TEXT PRIMARY KEY,
            signature BYTEA NOT NULL,
            lead BIGINT,
            """ + ", ".join(f"band{i} BIGINT NOT NULL" for i in range(dedup.BANDS)) + """
        )""",
        "CREATE INDEX near_index_lead ON near_index (lead)",
        *[f"CREATE INDEX near_index_band{i} ON near_index (band{i})" for i in range(dedup.BANDS)],
    ],
]


@dataclass
class FeedState:
    feed_id: str
    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    interval_s: float | None
    next_poll_at: float
    last_polled_at: float | None
    last_success_at: float | None
    consecutive_errors: int
    parse_failures: int
    last_error: str | None
    parked_reason: str | None


@dataclass(frozen=True)
class FeedValidators:
    """What a 200 response lets the next poll ask "changed since?" with; ``body_hash`` None keeps the stored one."""

    etag: str | None
    last_modified: str | None
    body_hash: str | None = None


@dataclass(frozen=True)
class PollSucceeded:
    """A poll that reached the feed: errors are cleared and the next poll is scheduled.

    ``validators`` None (a 304 or an identical body) keeps the stored ones; ``moved_to`` is a permanent
    redirect's target, polled from then on."""

    polled_at: float
    interval_s: float
    next_poll_at: float
    validators: FeedValidators | None = None
    moved_to: str | None = None

    def columns(self) -> dict[str, object]:
        cols: dict[str, object] = {
            "last_polled_at": self.polled_at, "interval_s": self.interval_s, "next_poll_at": self.next_poll_at,
            "last_success_at": self.polled_at, "consecutive_errors": 0, "parse_failures": 0, "last_error": None,
            "parked_reason": None}
        if self.validators is not None:
            cols.update(etag=self.validators.etag, last_modified=self.validators.last_modified)
            if self.validators.body_hash:
                cols["body_hash"] = self.validators.body_hash
        if self.moved_to:
            cols["url"] = self.moved_to
        return cols


@dataclass(frozen=True)
class PollFailed:
    """A poll that failed: the error is kept (its first 500 characters) and the feed backs off.

    ``parse_failures`` None keeps the stored count (the failure was not a parse failure)."""

    polled_at: float
    next_poll_at: float
    consecutive_errors: int
    error: str
    parked_reason: str | None = None
    parse_failures: int | None = None

    def columns(self) -> dict[str, object]:
        cols: dict[str, object] = {
            "last_polled_at": self.polled_at, "next_poll_at": self.next_poll_at,
            "consecutive_errors": self.consecutive_errors, "last_error": self.error[:500],
            "parked_reason": self.parked_reason}
        if self.parse_failures is not None:
            cols["parse_failures"] = self.parse_failures
        return cols


@dataclass(frozen=True)
class PublishedStory:
    """What ingest remembers of a story the broker acknowledged; a near-duplicate is not indexed itself."""

    canonical_url: str
    story_id: str
    content_hash: str
    fingerprint: dedup.Fingerprint
    guid_key: str | None = None
    duplicate_of: str | None = None


@dataclass(frozen=True)
class DedupReads:
    """What ``IngestState.dedup_reads`` answers over its one connection, while it is open."""

    stories_by_hash: dict[str, str]  # content hash -> the story stored with it, for the hashes asked
    near: Callable[[dedup.Fingerprint, float], list[tuple[str, float]]]

    def story_for_hash(self, content_hash: str) -> str | None:
        return self.stories_by_hash.get(content_hash)

    def near_duplicates(self, fp: dedup.Fingerprint, threshold: float = dedup.DEFAULT_THRESHOLD,
                        ) -> list[tuple[str, float]]:
        """As ``IngestState.near_duplicates``."""
        return self.near(fp, threshold)


class IngestState:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        migrate(self.engine, "ingest", MIGRATIONS)
        self._mark = mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        where = " OR ".join(f"band{i} = {mark}" for i in range(dedup.BANDS)) + f" OR lead = {mark}"
        self._near_sql = f"SELECT story_id, signature, lead FROM near_index WHERE {where}"

    def close(self) -> None:
        self.engine.dispose()

    # -- feeds -------------------------------------------------------------------------------

    def sync_feeds(self, feeds) -> None:
        """Register feeds from the registry. A stored URL (a permanent redirect's target) is kept
        until the registry itself changes the feed's URL; then the registry wins and the feed's
        validators and schedule start afresh."""
        with self.engine.begin() as conn:
            for feed in feeds:
                conn.execute(text(
                    "INSERT INTO feeds (feed_id, url, registry_url, next_poll_at) VALUES (:id, :url, :url, 0) "
                    "ON CONFLICT (feed_id) DO NOTHING"), {"id": feed.id, "url": feed.url})
                conn.execute(text(
                    "UPDATE feeds SET url = :url, registry_url = :url, etag = NULL, last_modified = NULL, "
                    "body_hash = NULL, next_poll_at = 0, parked_reason = NULL, consecutive_errors = 0, "
                    "parse_failures = 0 WHERE feed_id = :id AND registry_url <> :url"),
                    {"id": feed.id, "url": feed.url})

    def feed(self, feed_id: str) -> FeedState | None:
        with self.engine.connect() as conn:
            row = conn.execute(text(
                "SELECT feed_id, url, etag, last_modified, body_hash, interval_s, next_poll_at, last_polled_at, "
                "last_success_at, consecutive_errors, parse_failures, last_error, parked_reason "
                "FROM feeds WHERE feed_id = :id"), {"id": feed_id}).mappings().first()
        return FeedState(**row) if row else None

    def all_feeds(self) -> list[FeedState]:
        with self.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT feed_id, url, etag, last_modified, body_hash, interval_s, next_poll_at, last_polled_at, "
                "last_success_at, consecutive_errors, parse_failures, last_error, parked_reason "
                "FROM feeds ORDER BY feed_id")).mappings().all()
        return [FeedState(**r) for r in rows]

    def claim_due(self, owner: str, lease_s: float, limit: int, now: float | None = None,
                  feed_ids: list[str] | None = None, force: bool = False) -> list[str]:
        """Take the lease on up to ``limit`` due feeds. Atomic per feed: one UPDATE that only
        succeeds when nobody else holds a live lease, so replicas never poll a feed twice at once,
        and a dead replica's leases simply expire."""
        now = time.time() if now is None else now
        due = float("inf") if force else now  # force: poll everything now, schedule or not
        with self.engine.connect() as conn:
            candidates = conn.execute(text(
                "SELECT feed_id FROM feeds WHERE next_poll_at <= :due "
                "AND (lease_until IS NULL OR lease_until < :now) ORDER BY next_poll_at"),
                {"now": now, "due": due}).scalars().all()
        if feed_ids is not None:
            allowed = set(feed_ids)
            candidates = [c for c in candidates if c in allowed]
        claimed: list[str] = []
        with self.engine.begin() as conn:
            for feed_id in candidates:
                if len(claimed) >= limit:
                    break
                res = conn.execute(text(
                    "UPDATE feeds SET lease_owner = :owner, lease_until = :until WHERE feed_id = :id "
                    "AND next_poll_at <= :due AND (lease_until IS NULL OR lease_until < :now)"),
                    {"owner": owner, "until": now + lease_s, "id": feed_id, "now": now, "due": due})
                if res.rowcount == 1:
                    claimed.append(feed_id)
        return claimed

    def next_due_at(self, feed_ids: list[str], now: float) -> float | None:
        """The earliest ``next_poll_at`` among ``feed_ids`` that no live lease holds, or None."""
        with self.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT feed_id, next_poll_at FROM feeds WHERE lease_until IS NULL OR lease_until < :now"),
                {"now": now}).all()
        wanted = set(feed_ids)
        return min((at for feed_id, at in rows if feed_id in wanted), default=None)

    def release_predecessors(self, replica: str, owner: str) -> list[str]:
        """Drop the leases held by earlier incarnations of ``replica`` (owners ``<replica>#...`` other
        than ``owner``): a replica that starts holds none, so those belong to a process that died
        (kill -9, OOM) and would otherwise strand their feeds until the leases expire. Returns the
        feeds freed."""
        with self.engine.begin() as conn:
            rows = conn.execute(text(
                "SELECT feed_id, lease_owner FROM feeds WHERE lease_owner IS NOT NULL")).all()
            freed = [f for f, o in rows if o != owner and o.startswith(f"{replica}#")]
            for feed_id in freed:
                conn.execute(text("UPDATE feeds SET lease_owner = NULL, lease_until = NULL "
                                  "WHERE feed_id = :id AND lease_owner <> :owner"), {"id": feed_id, "owner": owner})
        return freed

    def release(self, feed_id: str, owner: str, outcome: PollSucceeded | PollFailed) -> None:
        """Store the outcome of a poll and give the lease back; a replica whose lease was taken over
        (it expired) changes nothing."""
        fields = outcome.columns()
        sets = ", ".join(f"{k} = :{k}" for k in fields) + ", lease_owner = NULL, lease_until = NULL"
        with self.engine.begin() as conn:
            conn.execute(text(f"UPDATE feeds SET {sets} WHERE feed_id = :feed_id AND lease_owner = :owner"),
                         {**fields, "feed_id": feed_id, "owner": owner})

    # -- seen items --------------------------------------------------------------------------

    def seen_url(self, canonical_url: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT story_id FROM seen_urls WHERE canonical_url = :u"),
                                {"u": canonical_url}).scalar()

    def seen_guid(self, guid_key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT story_id FROM seen_guids WHERE guid_key = :g"),
                                {"g": guid_key}).scalar()

    def seen_many(self, canonical_urls: list[str], guid_keys: list[str]) -> tuple[set[str], set[str]]:
        """Which of ``canonical_urls`` and ``guid_keys`` were published before: the same answers as
        ``seen_url`` and ``seen_guid`` one by one, in one connection and a query per 500 keys (a
        feed's whole page of entries costs a few round trips, not two per entry)."""
        urls: set[str] = set()
        guids: set[str] = set()
        with self.engine.connect() as conn:
            for found, column, table, keys in ((urls, "canonical_url", "seen_urls", canonical_urls),
                                               (guids, "guid_key", "seen_guids", guid_keys)):
                stmt = text(f"SELECT {column} FROM {table} WHERE {column} IN :keys").bindparams(
                    bindparam("keys", expanding=True))
                for chunk in _chunks(keys):
                    found.update(conn.execute(stmt, {"keys": chunk}).scalars())
        return urls, guids

    def story_for_hash(self, content_hash: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT story_id FROM text_hashes WHERE content_hash = :h"),
                                {"h": content_hash}).scalar()

    def near_duplicates(self, fp: dedup.Fingerprint, threshold: float = dedup.DEFAULT_THRESHOLD,
                        ) -> list[tuple[str, float]]:
        """Stored stories that ``fp`` near-duplicates, most similar first: those sharing an LSH band
        whose Jaccard estimate reaches ``threshold``, and those with the same lead (a truncation)."""
        with self.dedup_reads([]) as reads:
            return reads.near_duplicates(fp, threshold)

    @contextmanager
    def dedup_reads(self, content_hashes: list[str]) -> Iterator[DedupReads]:
        """The publish step's reads over one pooled connection: the stored story of each of
        ``content_hashes`` (a query per 500) and, on demand, each fingerprint's near-duplicates (a
        prebuilt query each). The same answers as ``story_for_hash`` and ``near_duplicates`` one by
        one, without a connection check-out, ping and rollback per lookup (three round trips each)."""
        # Straight to the driver: ten times cheaper on this hot path than SQLAlchemy's statement machinery.
        raw_conn = self.engine.raw_connection()
        try:
            cur = raw_conn.cursor()
            stories: dict[str, str] = {}
            for chunk in _chunks(content_hashes):
                cur.execute(f"SELECT content_hash, story_id FROM text_hashes WHERE content_hash IN "
                            f"({', '.join([self._mark] * len(chunk))})", chunk)
                stories.update((h, sid) for h, sid in cur.fetchall())
            yield DedupReads(stories, lambda fp, threshold: self._near(cur, fp, threshold))
            cur.close()
        finally:
            raw_conn.close()

    def _near(self, cur, fp: dedup.Fingerprint, threshold: float) -> list[tuple[str, float]]:
        cur.execute(self._near_sql, [*fp.bands(), fp.lead])
        out = []
        for story_id, raw, lead in cur.fetchall():
            stored = dedup.Fingerprint(dedup.Fingerprint.signature_from_bytes(bytes(raw)), lead)
            sim = dedup.near_similarity(fp, stored, threshold)
            if sim is not None:
                out.append((story_id, sim))
        out.sort(key=lambda r: (-r[1], r[0]))
        return out

    def record_published(self, items: list[PublishedStory]) -> None:
        """Remember published stories, in one transaction with one statement a table for the whole batch
        (the driver's executemany). Called only after the broker acknowledged them."""
        if not items:
            return
        now = time.time()
        conflict = "ON CONFLICT DO NOTHING"
        originals = [it for it in items if not it.duplicate_of]  # index originals only: copies point at the first
        guids = [{"g": it.guid_key, "s": it.story_id} for it in items if it.guid_key]
        cols = ", ".join(f"band{i}" for i in range(dedup.BANDS))
        vals = ", ".join(f":b{i}" for i in range(dedup.BANDS))
        with self.engine.begin() as conn:
            conn.execute(text(f"INSERT INTO seen_urls (canonical_url, story_id, first_seen) VALUES (:u, :s, :t) {conflict}"),
                         [{"u": it.canonical_url, "s": it.story_id, "t": now} for it in items])
            if guids:
                conn.execute(text(f"INSERT INTO seen_guids (guid_key, story_id) VALUES (:g, :s) {conflict}"), guids)
            if originals:
                conn.execute(text(f"INSERT INTO text_hashes (content_hash, story_id) VALUES (:h, :s) {conflict}"),
                             [{"h": it.content_hash, "s": it.story_id} for it in originals])
                conn.execute(text(f"INSERT INTO near_index (story_id, signature, lead, {cols}) "
                                  f"VALUES (:s, :sig, :lead, {vals}) {conflict}"),
                             [{"s": it.story_id, "sig": it.fingerprint.to_bytes(), "lead": it.fingerprint.lead,
                               **{f"b{i}": v for i, v in enumerate(it.fingerprint.bands())}} for it in originals])

    def check(self) -> None:
        """Raises when the database cannot be read (a readiness check)."""
        self.counts()

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                "feeds": conn.execute(text("SELECT COUNT(*) FROM feeds")).scalar_one(),
                "seen_urls": conn.execute(text("SELECT COUNT(*) FROM seen_urls")).scalar_one(),
                "fingerprints": conn.execute(text("SELECT COUNT(*) FROM near_index")).scalar_one(),
            }

