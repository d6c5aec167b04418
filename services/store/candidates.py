"""Candidates: the stored reports that may be the same event as an incoming one.

Each incoming report gets a window (``window``, computed once when it is prepared), and one
statement finds every stored report inside any window of a batch. The SQL is a superset of
``merge.same_event``: exact on province, type and story, loose on the rest (a 5 km radius becomes a
box), so it never misses a match; ``merge.same_event`` then decides.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import Connection

from . import merge
from .dialect import Dialect
from .schema import REPORT_COLUMNS

# a window's fields (short names: a batch sends thousands of them as one JSON parameter)
WINDOW_FIELDS = (("e", "text"), ("s", "text"), ("a", "text"), ("t", "text"), ("lo", "text"), ("hi", "text"),
                 ("lo2", "text"), ("hi2", "text"), ("d", "text"), ("gp", "int"), ("la", "float8"),
                 ("lb", "float8"), ("oa", "float8"), ("ob", "float8"))

# Day-precision reports are looked for within the incoming report's own tolerance, coarser ones
# within the widest tolerance: three ranges of the reports_candidates_precision index per window,
# one per precision.
_CANDIDATE_FILTER = (
    "r.story_id <> w.s AND (r.admin2 = w.d "
    "OR (w.gp = 1 AND r.geo_precision = 1 AND r.latitude >= w.la AND r.latitude <= w.lb "
    "AND r.longitude >= w.oa AND r.longitude <= w.ob))"
)
_CANDIDATES = "WITH w AS (SELECT * FROM {windows}) " + " UNION ALL ".join(
    "SELECT w.e AS wanted_by, {cols}, r.cluster_id FROM w JOIN reports r ON {place} AND r.event_type = w.t "
    f"AND r.date_precision = '{precision}' AND r.event_date >= w.{lo} AND r.event_date <= w.{hi} "
    "WHERE " + _CANDIDATE_FILTER
    for precision, lo, hi in (("day", "lo2", "hi2"), ("week", "lo", "hi"), ("month", "lo", "hi"))
)
_COLUMNS = ", ".join(f"r.{c}" for c in REPORT_COLUMNS if c != "payload")
_ANY_TOLERANCE = timedelta(days=merge.CANDIDATE_WINDOW_DAYS)
_BOX_DEG = (merge.MAX_DISTANCE_KM + 0.5) / 111.0  # degrees of latitude that cover the merge radius


@lru_cache(maxsize=8192)
def _date_window(iso: str, precision: str) -> tuple[str, str, str, str]:
    """The widest candidate window around a date, and its own tolerance window (ISO dates)."""
    d = date.fromisoformat(iso)
    own = timedelta(days=merge.DATE_TOLERANCE_DAYS.get(precision, 1))
    return ((d - _ANY_TOLERANCE).isoformat(), (d + _ANY_TOLERANCE).isoformat(), (d - own).isoformat(),
            (d + own).isoformat())


def window(r: dict) -> dict:
    """Where to look for stored reports that may be the same event as ``r`` (``WINDOW_FIELDS``):
    every report ``merge.same_event`` would match lies inside it, including across the
    antimeridian and near the poles."""
    lo, hi, lo2, hi2 = _date_window(r["event_date"], r["date_precision"])
    w = {"e": r["event_id"], "s": r["story_id"], "a": r.get("admin1"), "t": r["event_type"], "lo": lo, "hi": hi,
         "lo2": lo2, "hi2": hi2, "d": r.get("admin2"), "gp": r.get("geo_precision"),
         "la": None, "lb": None, "oa": None, "ob": None}
    lat, lon = r.get("latitude"), r.get("longitude")
    if lat is not None and lon is not None and r.get("geo_precision") == 1:
        dlon = _BOX_DEG / max(math.cos(math.radians(min(abs(lat) + _BOX_DEG, 90.0))), 1e-9)
        if abs(lat) > 85 or abs(lon) + dlon > 180:
            oa, ob = -180.0, 180.0  # near a pole or across the antimeridian: latitude alone bounds it
        else:
            oa, ob = lon - dlon, lon + dlon
        w.update(la=lat - _BOX_DEG, lb=lat + _BOX_DEG, oa=oa, ob=ob)
    return w


def candidate_rows(conn: Connection, dialect: Dialect, windows: list[str], placed: bool):
    """Stored reports inside any of ``windows`` (each a ``window`` as JSON), as rows of their
    columns (no payload) plus ``wanted_by`` (the window's report) and ``cluster_id``. ``placed``:
    the windows' reports have a province (matched by equality) or have none (matched by NULL)."""
    place = "r.admin1 = w.a" if placed else "r.admin1 IS NULL"
    sql = _CANDIDATES.format(windows=dialect.records("w", "w", WINDOW_FIELDS), place=place, cols=_COLUMNS)
    return dialect.query(conn, sql, {"w": f"[{','.join(windows)}]"})
