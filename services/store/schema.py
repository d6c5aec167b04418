"""The store's tables, their migrations, and the rows a report and a merged event become.

* ``reports``: one row per extracted event (``event_id`` from one story), its JSON and the
  cluster it belongs to.
* ``events``: one row per real-world event (a cluster of reports), with the merged JSON and the
  columns the API filters and sorts on. Its id is the smallest member report id.
* ``story_links``: stories that near-duplicate another one; their outlets become sources of the
  original story's events.
* ``reviews``, ``review_reports``, ``audit_log``: analysts' reviews, the reports each covers, and
  the append-only log of every review and undo (``review``, ``audit``).
* ``event_changes``, ``change_counter``: the change feed (``changes``), which ``/events/changes``
  and the live stream (``live``) read.

Rows are built here from the JSON alone, so the same report or merged event always becomes the
same row, byte for byte; nothing time-dependent is stored.
"""

from __future__ import annotations

import orjson

from services.common.database import Migration

from . import search

MIGRATIONS: list[Migration] = [
    [
        """CREATE TABLE events (
            event_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, event_date TEXT NOT NULL,
            date_precision TEXT NOT NULL, event_type TEXT NOT NULL, sub_event_type TEXT NOT NULL,
            actor1 TEXT, actor2 TEXT, country TEXT, admin1 TEXT, admin2 TEXT, location TEXT,
            latitude DOUBLE PRECISION, longitude DOUBLE PRECISION, geo_precision INTEGER,
            fatalities INTEGER NOT NULL, confidence DOUBLE PRECISION NOT NULL, payload TEXT NOT NULL
        )""",
        """CREATE TABLE event_sources (
            event_id TEXT NOT NULL, url TEXT NOT NULL, story_id TEXT NOT NULL, outlet TEXT NOT NULL,
            published_at TEXT, PRIMARY KEY (event_id, url)
        )""",
    ],
    # 2: reports are kept apart from the merged events they form
    [
        """CREATE TABLE reports (
            event_id TEXT PRIMARY KEY,
            story_id TEXT NOT NULL,
            country TEXT,
            admin1 TEXT,
            event_type TEXT NOT NULL,
            event_date TEXT NOT NULL,
            cluster_id TEXT,
            payload TEXT NOT NULL
        )""",
        "INSERT INTO reports (event_id, story_id, country, admin1, event_type, event_date, payload) "
        "SELECT event_id, story_id, country, admin1, event_type, event_date, payload FROM events",
        "CREATE INDEX reports_place_date ON reports (admin1, event_date)",
        "CREATE INDEX reports_cluster ON reports (cluster_id)",
        "CREATE INDEX reports_story ON reports (story_id)",
        "DROP TABLE event_sources",
        "DROP TABLE events",
        """CREATE TABLE events (
            event_id TEXT PRIMARY KEY,
            event_date TEXT NOT NULL,
            date_precision TEXT NOT NULL,
            event_type TEXT NOT NULL,
            sub_event_type TEXT NOT NULL,
            actor1 TEXT,
            actor2 TEXT,
            country TEXT,
            admin1 TEXT,
            admin2 TEXT,
            location TEXT,
            latitude DOUBLE PRECISION,
            longitude DOUBLE PRECISION,
            geo_precision INTEGER,
            fatalities INTEGER NOT NULL,
            n_sources INTEGER NOT NULL,
            confidence DOUBLE PRECISION NOT NULL,
            evidence_text TEXT NOT NULL,
            payload TEXT NOT NULL
        )""",
        "CREATE INDEX events_date ON events (event_date, event_id)",
        "CREATE INDEX events_admin1_date ON events (admin1, event_date, event_id)",
        "CREATE INDEX events_admin2_date ON events (admin2, event_date)",
        "CREATE INDEX events_type_date ON events (event_type, event_date)",
        "CREATE INDEX events_country_date ON events (country, event_date)",
        "CREATE INDEX events_actor1 ON events (actor1, event_date)",
        "CREATE INDEX events_actor2 ON events (actor2, event_date)",
        "CREATE INDEX events_fatalities ON events (fatalities, event_id)",
        "CREATE INDEX events_lat_lon ON events (latitude, longitude)",
        """CREATE TABLE story_links (
            story_id TEXT PRIMARY KEY,
            original_story_id TEXT NOT NULL,
            outlet TEXT NOT NULL,
            url TEXT NOT NULL,
            published_at TEXT
        )""",
        "CREATE INDEX story_links_original ON story_links (original_story_id)",
    ],
    # 3: the fields the "same event" test reads, as columns, so that finding candidates needs no JSON
    [
        "ALTER TABLE reports ADD COLUMN admin2 TEXT",
        "ALTER TABLE reports ADD COLUMN date_precision TEXT",
        "ALTER TABLE reports ADD COLUMN latitude DOUBLE PRECISION",
        "ALTER TABLE reports ADD COLUMN longitude DOUBLE PRECISION",
        "ALTER TABLE reports ADD COLUMN geo_precision INTEGER",
        "ALTER TABLE reports ADD COLUMN actor1 TEXT",
        "ALTER TABLE reports ADD COLUMN actor2 TEXT",
        "UPDATE reports SET cluster_id = NULL",  # rebuilt on start, filling the new columns
        "CREATE INDEX reports_candidates ON reports (admin1, event_type, event_date)",
    ],
    # 4: reports_candidates serves every lookup reports_place_date did; one index less to maintain
    # on the write path
    [
        "DROP INDEX reports_place_date",
    ],
    # 5: candidates are looked up by date precision too: a day-precision report can only match
    # within its partner's tolerance (a day or so), so only week- and month-precision reports need
    # the month-wide window; this scans a tenth of the index entries it did
    [
        "CREATE INDEX reports_candidates_precision ON reports (admin1, event_type, date_precision, event_date)",
        "DROP INDEX reports_candidates",
    ],
    # 6: reports known only to their province no longer merge with each other (``merge.same_place``):
    # their clusters are formed again on start
    [
        "UPDATE reports SET cluster_id = NULL WHERE admin2 IS NULL OR admin2 = ''",
    ],
    # 7: the date index carries the coordinates, so a map query for a period (bbox + dates) rejects
    # the events outside the box in the index instead of fetching every event of the period from the
    # table (PostgreSQL, 1M events: 30-110 ms -> ~1-6 ms); it serves every date-ordered query
    # events_date did, and the number of indexes a write maintains stays the same
    [
        "CREATE INDEX IF NOT EXISTS events_date_place ON events (event_date, latitude, longitude, event_id)",
        "DROP INDEX IF EXISTS events_date",
    ],
    # 8: the change feed (``changes``), saved searches (``searches``) and their webhook deliveries
    # (``webhooks``). Events already stored enter the feed as created, so a mirror started from
    # cursor 0 is exact on an upgraded store too. (Idempotent, like 7.)
    [
        "CREATE TABLE IF NOT EXISTS change_counter (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS event_changes (
            seq BIGINT PRIMARY KEY,
            event_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            into_id TEXT
        )""",
        "INSERT INTO event_changes (seq, event_id, kind) "
        "SELECT ROW_NUMBER() OVER (ORDER BY event_id), event_id, 'created' FROM events "
        "WHERE NOT EXISTS (SELECT 1 FROM change_counter)",
        "INSERT INTO change_counter (id, seq) SELECT 1, (SELECT COUNT(*) FROM events) "
        "WHERE NOT EXISTS (SELECT 1 FROM change_counter)",
        """CREATE TABLE IF NOT EXISTS saved_searches (
            search_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            filters TEXT NOT NULL,
            webhook_url TEXT NOT NULL,
            secret TEXT NOT NULL,
            created_at TEXT NOT NULL,
            change_cursor BIGINT NOT NULL,
            disabled INTEGER NOT NULL,
            failures INTEGER NOT NULL,
            lease_owner TEXT,
            lease_until DOUBLE PRECISION
        )""",
        """CREATE TABLE IF NOT EXISTS webhook_deliveries (
            delivery_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            search_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            event_id TEXT NOT NULL,
            status TEXT NOT NULL,
            http_status INTEGER,
            error TEXT,
            attempted_at TEXT NOT NULL,
            PRIMARY KEY (delivery_id, attempt)
        )""",
        "CREATE INDEX IF NOT EXISTS webhook_deliveries_search ON webhook_deliveries (search_id, seq)",
    ],
    # 9: analysts' reviews, kept apart from the reports (``review``): each is attached to the reports
    # it covered, so that it follows them through re-extraction and re-merging; the audit log of
    # every review and undo (``audit``); the merged event's review status, to filter on. Merged
    # events are formed again on start, so that every payload carries its status.
    [
        """CREATE TABLE reviews (
            review_id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            action TEXT NOT NULL,
            fields TEXT NOT NULL,
            reason TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            created_at TEXT NOT NULL,
            undone_at TEXT,
            undone_by TEXT,
            undo_reason TEXT
        )""",
        """CREATE TABLE review_reports (
            report_id TEXT NOT NULL,
            review_id TEXT NOT NULL,
            story_id TEXT NOT NULL,
            PRIMARY KEY (report_id, review_id)
        )""",
        "CREATE INDEX review_reports_review ON review_reports (review_id)",
        """CREATE TABLE audit_log (
            audit_id TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            event_id TEXT NOT NULL,
            review_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            before_state TEXT NOT NULL,
            after_state TEXT NOT NULL
        )""",
        "CREATE INDEX audit_log_at ON audit_log (at, audit_id)",
        "CREATE INDEX audit_log_event ON audit_log (event_id, at)",
        "ALTER TABLE events ADD COLUMN review_status TEXT NOT NULL DEFAULT 'unreviewed'",
        "CREATE INDEX events_review_status ON events (review_status, event_date)",
        "UPDATE reports SET cluster_id = NULL",
    ],
    # 10: free text (``q``) through a full-text index kept in sync by the database, and the rows
    # already stored indexed (``search``: FTS5 on SQLite, a tsvector column with GIN on PostgreSQL)
    search.MIGRATION,
    # 11: the live stream reads the change feed (``live``), so the log table its triggers filled on
    # every write of ``events`` goes, and the triggers with it (one write less per event written).
    # Idempotent: a store that never opened a stream has neither.
    {
        "sqlite": [
            "DROP TRIGGER IF EXISTS live_changes_insert",
            "DROP TRIGGER IF EXISTS live_changes_update",
            "DROP TRIGGER IF EXISTS live_changes_delete",
            "DROP TABLE IF EXISTS live_changes",
        ],
        "postgresql": [
            "DROP TRIGGER IF EXISTS live_changes_events ON events",
            "DROP FUNCTION IF EXISTS wirewatch_live_change()",
            "DROP TABLE IF EXISTS live_changes",
        ],
    },
    # 12: SQLite's FTS rows keyed in the page's order (day number, then rowid: ``search``), so a page
    # of a common word walks the newest matches and stops, instead of listing every match; the
    # index rebuilt from the rows already stored (PostgreSQL: nothing changes)
    search.MIGRATION_12,
    # 13: PostgreSQL's lexicon of the search index (``search_postgres.MIGRATION_13``): a prefix being
    # typed is the lexemes it covers, each one GIN entry, not a GIN partial match (SQLite: nothing)
    search.MIGRATION_13,
    # 14: PostgreSQL's vector holds the event's month and type as tokens no word can be
    # (``search_postgres.MIGRATION_14``), so the GIN index intersects the words with a date range or
    # a type; the column and its index built again (SQLite: nothing changes)
    search.MIGRATION_14,
]


REPORT_COLUMNS = ("event_id", "story_id", "country", "admin1", "admin2", "event_type", "event_date",
                  "date_precision", "latitude", "longitude", "geo_precision", "actor1", "actor2", "payload")
REPORT_ROW = (*REPORT_COLUMNS, "cluster_id")
EVENT_COLUMNS = ("event_id", "event_date", "date_precision", "event_type", "sub_event_type", "actor1", "actor2",
                 "country", "admin1", "admin2", "location", "latitude", "longitude", "geo_precision", "fatalities",
                 "n_sources", "confidence", "evidence_text", "review_status", "payload")


def report_row(report: dict, payload: str) -> tuple:
    """A report's row (``REPORT_ROW`` but the cluster id): the columns merging looks at, from
    ``report``, and its stored JSON ``payload`` as given (re-serialising it would change its form,
    and with it the replay guarantee). Rows are tuples: they go to the driver as they are,
    thousands per batch."""
    get = report.get
    actor1, actor2 = get("actor1"), get("actor2")
    return (report["event_id"], report["story_id"], get("country"), get("admin1"), get("admin2"),
            report["event_type"], report["event_date"], report["date_precision"], get("latitude"),
            get("longitude"), get("geo_precision"), actor1["name"] if actor1 else None,
            actor2["name"] if actor2 else None, payload)


def event_row(merged: dict) -> tuple:
    """A merged event's row, in ``EVENT_COLUMNS`` order (payload last): the same dict always gives
    the same row, its payload the key-sorted JSON."""
    actor1, actor2 = merged["actor1"], merged["actor2"]
    return (merged["event_id"], merged["event_date"], merged["date_precision"], merged["event_type"],
            merged["sub_event_type"], actor1["name"] if actor1 else None, actor2["name"] if actor2 else None,
            merged["country"], merged["admin1"], merged["admin2"], merged["location"], merged["latitude"],
            merged["longitude"], merged["geo_precision"], merged["fatalities"], len(merged["sources"]),
            merged["confidence"], " ".join([e["text"] for e in merged["evidence"]]).lower(),
            merged.get("review_status", "unreviewed"), canonical_json(merged))


def report_from_columns(row) -> dict:
    """A report rebuilt from its ``reports`` columns: everything ``merge.same_event`` looks at, no JSON."""
    r = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    r["actor1"] = {"name": r["actor1"]} if r.get("actor1") else None
    r["actor2"] = {"name": r["actor2"]} if r.get("actor2") else None
    return r


def canonical_json(obj) -> str:
    """Key-sorted JSON: equal values give equal text."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()
