"""The forms ``GET /events`` writes merged events in besides JSON: Wirewatch CSV, GeoJSON, and ACLED CSV.

ACLED CSV (``format=acled``) has ACLED's column names in ACLED's order (``ACLED_COLUMNS``) and its
codes where Wirewatch has them, so that tooling written for ACLED's exports reads it unchanged:

* ``event_id_cnty``: the country's ISO 3166-1 alpha-3 code and a 12-digit number derived from the
  event id (stable: the same event always has the same id; ``XXX`` when the country is unknown);
* ``event_date`` as ACLED writes it (``09 June 2019``), ``year`` a number;
* ``time_precision`` 1 (day), 2 (week), 3 (month); ``geo_precision`` 1..3 as stored;
* ``inter1``, ``inter2``, ``interaction``: ACLED's numeric actor codes, empty when not coded;
  ``civilian_targeting`` is ``Civilian targeting`` or empty;
* ``iso``: the ISO 3166-1 numeric code (Afghanistan: 4), ``country`` the country's name;
* ``source``: the outlets, ``; ``-separated; ``source_scale`` empty (Wirewatch does not grade it);
* ``notes``: the evidence sentences; ``fatalities`` the conservative figure;
* ``timestamp``: unix seconds of the event's last update, which is its newest source's publication
  time (the store keeps nothing time-dependent; without any, midnight UTC of the event date).

When the events carry a review status (``review_status``), it is a trailing extra column.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from functools import lru_cache

import pycountry

CSV_COLUMNS = ["event_id", "event_date", "date_precision", "event_type", "sub_event_type", "actor1", "actor2",
               "country", "admin1", "admin2", "location", "latitude", "longitude", "geo_precision", "fatalities",
               "fatalities_min", "fatalities_max", "confidence", "sources", "source_urls", "review_status"]
ACLED_COLUMNS = ["event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
                 "sub_event_type", "actor1", "inter1", "actor2", "inter2", "interaction", "civilian_targeting",
                 "iso", "country", "admin1", "admin2", "location", "latitude", "longitude", "geo_precision",
                 "source", "source_scale", "notes", "fatalities", "timestamp"]
REVIEW_COLUMN = "review_status"
TIME_PRECISION = {"day": 1, "week": 2, "month": 3}


def _outlets(event: dict) -> str:
    return "; ".join(sorted({s["outlet"] for s in event.get("sources", [])}))


def _name(actor: dict | None) -> str | None:
    return (actor or {}).get("name")


def wirewatch_csv(events: list[dict]) -> str:
    """Wirewatch's own CSV (``CSV_COLUMNS``): one page of events, header first."""
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    w.writeheader()
    for e in events:
        rng = e.get("fatalities_range") or [None, None]
        w.writerow({**e, "actor1": _name(e.get("actor1")), "actor2": _name(e.get("actor2")),
                    "fatalities_min": rng[0], "fatalities_max": rng[1], "sources": _outlets(e),
                    "source_urls": " ".join(s["url"] for s in e.get("sources", []))})
    return out.getvalue()


def geojson(events: list[dict], next_cursor: str | None) -> dict:
    """A FeatureCollection of points (geometry null when the place has no coordinates), the events'
    fields but their evidence, casualties and claims as properties."""
    features = []
    for e in events:
        geometry = None
        if e.get("longitude") is not None and e.get("latitude") is not None:
            geometry = {"type": "Point", "coordinates": [e["longitude"], e["latitude"]]}
        props = {k: v for k, v in e.items() if k not in ("evidence", "casualties", "claims")}
        features.append({"type": "Feature", "id": e["event_id"], "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features, "next_cursor": next_cursor}


@lru_cache(maxsize=512)
def _country(alpha2: str | None) -> tuple[str, int | None, str | None]:
    """(alpha-3, numeric, name) of an ISO 3166-1 alpha-2 code; ("XXX", None, the code) if unknown."""
    found = pycountry.countries.get(alpha_2=alpha2) if alpha2 else None
    if found is None:
        return "XXX", None, alpha2
    return found.alpha_3, int(found.numeric), getattr(found, "common_name", None) or found.name


def event_number(event_id: str) -> int:
    """A stable 12-digit number for an event id (the numeric part of ``event_id_cnty``)."""
    return int.from_bytes(hashlib.sha256(event_id.encode()).digest()[:8], "big") % 10**12


def _timestamp(event: dict) -> int:
    published = [s["published_at"] for s in event.get("sources", []) if s.get("published_at")]
    if published:
        moment = max(datetime.fromisoformat(p) for p in published)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    day = date.fromisoformat(event["event_date"])
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def acled_row(event: dict) -> dict:
    """One merged event as an ACLED row (``ACLED_COLUMNS``; None where Wirewatch has no value)."""
    alpha3, numeric, country = _country(event.get("country"))
    day = date.fromisoformat(event["event_date"])
    civilians = event.get("civilian_targeting")
    return {
        "event_id_cnty": f"{alpha3}{event_number(event['event_id']):012d}",
        "event_date": day.strftime("%d %B %Y"), "year": day.year,
        "time_precision": TIME_PRECISION.get(event.get("date_precision", "day"), 3),
        "disorder_type": event.get("disorder_type"), "event_type": event["event_type"],
        "sub_event_type": event["sub_event_type"],
        "actor1": _name(event.get("actor1")), "inter1": event.get("inter1"),
        "actor2": _name(event.get("actor2")), "inter2": event.get("inter2"),
        "interaction": event.get("interaction"),
        "civilian_targeting": "Civilian targeting" if civilians else None,
        "iso": numeric, "country": country, "admin1": event.get("admin1"), "admin2": event.get("admin2"),
        "location": event.get("location"), "latitude": event.get("latitude"), "longitude": event.get("longitude"),
        "geo_precision": event.get("geo_precision"), "source": _outlets(event), "source_scale": None,
        "notes": " ".join(e["text"] for e in event.get("evidence", [])),
        "fatalities": event.get("fatalities", 0), "timestamp": _timestamp(event),
    }


def acled_csv(pages: Iterable[list[dict]]) -> Iterator[str]:
    """ACLED CSV, a chunk of text per page of events (for a streaming response): the header first
    (with ``review_status`` when the first event has one), then a row per event."""
    out = io.StringIO()
    writer: csv.DictWriter | None = None
    for events in pages:
        for event in events:
            if writer is None:
                columns = ACLED_COLUMNS + ([REVIEW_COLUMN] if REVIEW_COLUMN in event else [])
                writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
                writer.writeheader()
            row = acled_row(event)
            if REVIEW_COLUMN in writer.fieldnames:
                row[REVIEW_COLUMN] = event.get(REVIEW_COLUMN)
            writer.writerow(row)
        if writer is None:
            continue
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if writer is None:  # no events: the header alone
        yield ",".join(ACLED_COLUMNS) + "\r\n"
