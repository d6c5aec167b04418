"""The export forms of ``GET /events``: ACLED CSV read back as ACLED tooling reads it (pandas and the
stdlib csv module), Wirewatch CSV and GeoJSON."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from services.common.contracts import Actor, Evidence, Source
from services.common.ops import Health
from services.store import export
from services.store.api import create_app
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.helpers import make_event


def _events():
    """Two coded events (one a month-precision civilian attack in Pakistan reported by two
    outlets) and twelve plain ones."""
    attack = "Gunmen shot dead 3 civilians, including a child, at a market."
    coded = [
        make_event(0, evidence=[Evidence(text="Taliban fighters attacked a checkpoint.", start=0, end=39)],
                   disorder_type="Political violence", inter1=2, inter2=1, interaction=12,
                   civilian_targeting=False, fatalities=4),
        make_event(1, country="PK", admin1="Khyber Pakhtunkhwa", admin2="Peshawar", location="Peshawar",
                   latitude=34.01, longitude=71.58, geo_precision=2, date_precision="month",
                   event_type="Violence against civilians", sub_event_type="Attack",
                   actor1=Actor(name="Unidentified Armed Group (Pakistan)"), actor2=Actor(name="Civilians (Pakistan)"),
                   disorder_type="Political violence", inter1=3, inter2=7, interaction=37, civilian_targeting=True,
                   fatalities=3, evidence=[Evidence(text=attack, start=0, end=len(attack))],
                   sources=[Source(story_id="s1", outlet="Dawn", url="https://example.org/a",
                                   published_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC)),
                            Source(story_id="s1", outlet="Geo News", url="https://example.org/b",
                                   published_at=datetime(2026, 1, 6, 12, 0, tzinfo=UTC))]),
    ]
    return coded + [make_event(i) for i in range(2, 14)]


@pytest.fixture
def client(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many(_events())
    registry = CollectorRegistry()
    yield TestClient(create_app(repo, Health(), registry, StoreMetrics(registry), max_limit=5))
    repo.close()


def _acled(client: TestClient, **params) -> str:
    r = client.get("/events", params={"format": "acled", "sort": "event_date", **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return r.text


def test_pandas_reads_acled_columns_types_and_values(client):
    frame = pd.read_csv(io.StringIO(_acled(client)))
    # stored events carry their review status, which trails ACLED's columns
    assert list(frame.columns) == [*export.ACLED_COLUMNS, "review_status"]
    assert set(frame["review_status"]) == {"unreviewed"}
    assert len(frame) == 14  # every event, though a page holds at most 5: the export walks the pages
    assert frame["year"].dtype.kind == "i" and frame["fatalities"].dtype.kind == "i"
    assert frame["latitude"].dtype.kind == "f" and frame["longitude"].dtype.kind == "f"
    assert frame["timestamp"].dtype.kind == "i" and frame["iso"].dtype.kind == "i"
    assert frame["time_precision"].dtype.kind == "i" and frame["geo_precision"].dtype.kind == "i"
    assert pd.to_datetime(frame["event_date"], format="%d %B %Y").dt.year.tolist() == frame["year"].tolist()
    first, pk = frame.iloc[0], frame.iloc[1]
    assert (first["event_date"], first["year"], first["time_precision"]) == ("01 January 2026", 2026, 1)
    assert (first["iso"], first["country"], first["admin1"], first["admin2"]) == (4, "Afghanistan", "Kunduz",
                                                                                 "Dasht-e-Archi")
    assert (first["actor1"], first["inter1"], first["actor2"], first["inter2"], first["interaction"]) == (
        "Taliban", 2, "Military Forces of Afghanistan", 1, 12)
    assert pd.isna(first["civilian_targeting"]) and pd.isna(first["source_scale"])
    assert first["event_id_cnty"].startswith("AFG") and first["notes"] == "Taliban fighters attacked a checkpoint."
    assert (first["fatalities"], first["latitude"], first["longitude"]) == (4, 37.13, 69.17)
    assert first["timestamp"] == int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())  # its one source
    assert pk["event_id_cnty"].startswith("PAK") and (pk["iso"], pk["country"]) == (586, "Pakistan")
    assert (pk["time_precision"], pk["geo_precision"], pk["civilian_targeting"]) == (3, 2, "Civilian targeting")
    assert (pk["inter1"], pk["inter2"], pk["interaction"], pk["fatalities"]) == (3, 7, 37, 3)
    assert pk["source"] == "Dawn; Geo News" and pk["notes"].startswith("Gunmen shot dead 3 civilians, including")
    assert pk["timestamp"] == int(datetime(2026, 1, 6, 12, tzinfo=UTC).timestamp())  # its newest source
    assert frame["event_id_cnty"].is_unique


def test_the_csv_module_reads_the_same_rows(client):
    rows = list(csv.DictReader(io.StringIO(_acled(client))))
    assert len(rows) == 14 and list(rows[0]) == [*export.ACLED_COLUMNS, "review_status"]
    assert rows[1]["notes"] == "Gunmen shot dead 3 civilians, including a child, at a market."
    assert (rows[1]["year"], rows[1]["iso"], rows[1]["latitude"]) == ("2026", "586", "34.01")
    assert rows[2]["inter1"] == rows[2]["disorder_type"] == ""  # not coded: empty, as ACLED leaves it


def test_the_export_follows_the_filters_limit_and_cursor(client):
    assert len(pd.read_csv(io.StringIO(_acled(client, country="PK")))) == 1
    assert len(pd.read_csv(io.StringIO(_acled(client, q="checkpoint taliban")))) == 1
    assert len(pd.read_csv(io.StringIO(_acled(client, limit=3)))) == 3  # an explicit limit caps it
    nothing = _acled(client, admin1="Nowhere")
    assert pd.read_csv(io.StringIO(nothing)).columns.tolist() == export.ACLED_COLUMNS
    page = client.get("/events", params={"sort": "event_date", "limit": 5}).json()
    rest = pd.read_csv(io.StringIO(_acled(client, cursor=page["next_cursor"])))
    assert len(rest) == 9
    assert client.get("/events", params={"format": "acled", "cursor": "nonsense"}).status_code == 400
    assert client.get("/events", params={"format": "xml"}).status_code == 400


def test_event_ids_are_stable_and_the_review_status_trails():
    row = export.acled_row({**make_event(1).model_dump(mode="json"), "evidence": []})
    assert row["event_id_cnty"] == export.acled_row(make_event(1).model_dump(mode="json"))["event_id_cnty"]
    assert row["event_id_cnty"] != export.acled_row(make_event(2).model_dump(mode="json"))["event_id_cnty"]
    assert len(row["event_id_cnty"]) == 15 and list(row) == export.ACLED_COLUMNS
    unknown = export.acled_row({**make_event(1).model_dump(mode="json"), "country": None, "sources": []})
    assert unknown["event_id_cnty"].startswith("XXX") and unknown["iso"] is None
    assert unknown["timestamp"] == int(datetime(2026, 1, 4, tzinfo=UTC).timestamp())  # no source: its day
    reviewed = [{**make_event(i).model_dump(mode="json"), "review_status": "confirmed"} for i in range(2)]
    text = "".join(export.acled_csv([reviewed[:1], [], reviewed[1:]]))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [*export.ACLED_COLUMNS, "review_status"]
    assert [r["review_status"] for r in rows] == ["confirmed", "confirmed"]
    assert date.fromisoformat(make_event(1).model_dump(mode="json")["event_date"]).year == 2026


def test_wirewatch_csv_and_geojson_keep_their_form(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/events", params={"format": "csv", "country": "PK"}).text)))
    assert list(rows[0]) == export.CSV_COLUMNS and rows[0]["sources"] == "Dawn; Geo News"
    features = client.get("/events", params={"format": "geojson", "country": "PK"}).json()["features"]
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [71.58, 34.01]}
    assert "evidence" not in features[0]["properties"]
