"""Which reports describe the same real-world event, and what the merged event says.

Pure functions over report dicts (the JSON of ``Event`` messages), so that the result depends
only on the set of reports, never on the order they arrived in: clusters are the connected
components of the "same event" relation, and every merged field is chosen by a total order.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from .buckets import Bucket

# How far apart two reported dates may be and still be the same event, by date precision.
DATE_TOLERANCE_DAYS = {"day": 1, "week": 4, "month": 15}
MAX_DISTANCE_KM = 5.0
CANDIDATE_WINDOW_DAYS = max(DATE_TOLERANCE_DAYS.values())  # no two reports further apart can match
_NON_PARTY = {"Civilians (Afghanistan)", None}


@lru_cache(maxsize=8192)
def _ordinal(iso: str) -> int:
    # a store sees the same few hundred dates over and over; parsing them was a tenth of merging
    return date.fromisoformat(iso).toordinal()


def _day(report: dict) -> int:
    return _ordinal(report["event_date"])


def _km(a: dict, b: dict) -> float | None:
    if None in (a.get("latitude"), a.get("longitude"), b.get("latitude"), b.get("longitude")):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a["latitude"], a["longitude"], b["latitude"], b["longitude"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def _actors(report: dict) -> set[str]:
    names = {(report.get(k) or {}).get("name") for k in ("actor1", "actor2")}
    return {n for n in names if n is not None and n not in _NON_PARTY}


def same_place(a: dict, b: dict) -> bool:
    if a.get("admin1") != b.get("admin1") or a.get("country") != b.get("country"):
        return False
    if a.get("admin2") and a.get("admin2") == b.get("admin2"):
        return True
    # Reports known only to their province are never the same place: they could be in any of its
    # districts (two clashes in one province on one day are common; the seed articles have some).
    km = _km(a, b)
    return km is not None and km <= MAX_DISTANCE_KM and a.get("geo_precision") == b.get("geo_precision") == 1


def same_event(a: dict, b: dict) -> bool:
    """Two reports from different stories are the same event when dates, place, type and actors agree."""
    if a["story_id"] == b["story_id"]:
        return False  # the extractor already split one story into distinct events
    tolerance = max(DATE_TOLERANCE_DAYS.get(a["date_precision"], 1), DATE_TOLERANCE_DAYS.get(b["date_precision"], 1))
    if abs(_day(a) - _day(b)) > tolerance:
        return False
    if a["event_type"] != b["event_type"] or not same_place(a, b):
        return False
    actors_a, actors_b = _actors(a), _actors(b)
    return not actors_a or not actors_b or bool(actors_a & actors_b)


def components(reports: dict[str, dict]) -> list[list[str]]:
    """Connected components of ``same_event`` over the reports (keyed by event_id), each sorted,
    listed by their smallest member."""
    ids = sorted(reports)
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(x: str, y: str) -> None:
        if same_event(reports[x], reports[y]):
            rx, ry = find(x), find(y)
            if rx != ry:
                parent[max(rx, ry)] = min(rx, ry)

    by_bucket: dict[Bucket, dict[int, list[str]]] = {}
    for i in ids:
        r = reports[i]
        by_bucket.setdefault(Bucket.of(r), {}).setdefault(
            DATE_TOLERANCE_DAYS.get(r["date_precision"], 1), []).append(i)
    for by_tolerance in by_bucket.values():
        _sweep(reports, by_tolerance, join)
    groups: dict[str, list[str]] = {}
    for i in ids:
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _sweep(reports: dict[str, dict], by_tolerance: dict[int, list[str]], join) -> None:
    """Call ``join`` on every pair of one bucket's reports that are within their date tolerance.

    Only pairs within their tolerance can match, so each precision is swept apart: most reports are
    day-precise and are compared only with those a day or so away, not with everything within the
    widest (month) tolerance."""
    swept: list[tuple[list[str], list[int]]] = []
    for tolerance, members in sorted(by_tolerance.items()):
        members.sort(key=lambda i: (reports[i]["event_date"], i))
        days = [_day(reports[i]) for i in members]
        for x_pos, x in enumerate(members):
            for y_pos in range(x_pos + 1, len(members)):
                if days[y_pos] - days[x_pos] > tolerance:
                    break
                join(x, members[y_pos])
        for other, other_days in swept:  # finer precisions: the pair's tolerance is this one's
            for x, day in zip(members, days, strict=True):
                for y_pos in range(bisect_left(other_days, day - tolerance), len(other)):
                    if other_days[y_pos] > day + tolerance:
                        break
                    join(x, other[y_pos])
        swept.append((members, days))


_PRECISION_ORDER = {"day": 0, "week": 1, "month": 2}
_PLACE_FIELDS = ("event_date", "date_precision", "event_type", "sub_event_type", "actor1", "actor2", "country",
                 "admin1", "admin2", "location", "latitude", "longitude", "geo_precision")
# ACLED's codes go with the actors and type they code: from the same report (absent when it has none)
_CODE_FIELDS = ("disorder_type", "inter1", "inter2", "interaction", "civilian_targeting")


def _precision_rank(r: dict) -> tuple:
    return (_PRECISION_ORDER.get(r["date_precision"], 3), r.get("geo_precision") or 9, -r.get("confidence", 0),
            r["event_id"])


def _event_id(r: dict) -> str:
    return r["event_id"]


def merge(members: Iterable[dict], extra_sources: Iterable[dict] = ()) -> dict:
    """The canonical event for one cluster of reports.

    Date and place come from the most precise report; fatalities follow ACLED's rule, the most
    conservative credible figure (the lowest any report gives, among reports that give one), and
    the range of reported figures is kept; every source, claim and evidence sentence is kept.
    ``extra_sources`` are outlets that republished one of the stories (near-duplicates)."""
    members = sorted(members, key=_event_id)
    # most clusters are a single report: merging one is written out plainly, for speed
    best = members[0] if len(members) == 1 else min(members, key=_precision_rank)
    figures = sorted({f for r in members if (f := r.get("fatalities"))})
    sources = {}
    for r in members:
        for s in r.get("sources", ()):
            sources[s["url"]] = s
    for s in extra_sources:
        sources.setdefault(s["url"], s)
    claims: list[dict] = []
    seen_claims: set[tuple] = set()
    evidence: list[dict] = []
    casualties: list[dict] = []
    for r in members:
        story_id = r["story_id"]
        for c in r.get("claims", ()):
            key = (c.get("speaker"), c.get("statement"), c.get("figure"))
            if key not in seen_claims:
                seen_claims.add(key)
                claims.append({**c, "story_id": story_id})
    for r in members:
        story_id = r["story_id"]
        evidence.extend({**e, "story_id": story_id} for e in r.get("evidence", ()))
    for r in members:
        story_id = r["story_id"]
        casualties.extend({**c, "story_id": story_id} for c in r.get("casualties", ()))
    merged = {k: best.get(k) for k in _PLACE_FIELDS}
    merged.update((k, best[k]) for k in _CODE_FIELDS if best.get(k) is not None)
    merged["event_id"] = members[0]["event_id"]
    merged["fatalities"] = figures[0] if figures else 0
    merged["fatalities_range"] = [figures[0], figures[-1]] if figures else None
    merged["confidence"] = round(min(0.99, max(r.get("confidence", 0) for r in members) + 0.05 * (len(members) - 1)),
                                 2)
    merged["reports"] = [r["event_id"] for r in members]
    merged["sources"] = sorted(sources.values(), key=_source_order) if len(sources) > 1 else list(sources.values())
    merged["claims"] = claims
    merged["casualties"] = casualties
    merged["evidence"] = evidence
    merged["review_status"] = "unreviewed"  # until an analyst's review says otherwise (``review.apply``)
    return merged


def _source_order(s: dict) -> tuple:
    return (s.get("published_at") or "", s["url"])
