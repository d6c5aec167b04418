"""Analysts' reviews: what they make of a merged event, and that they survive replays, re-extraction
and re-merging, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import random
from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from services.common.contracts import Actor
from services.store import merge
from services.store.repository import EventRepository
from services.store.review import (
    Review,
    ReviewAction,
    ReviewRefused,
    ReviewRequest,
    ReviewStatus,
    apply,
    status_of,
)
from tests.helpers import dump, empty, make_event


def _review(action: str, at: str, rid: str = "r", **fields) -> Review:
    return Review(rid, "e", ReviewAction(action), "why", "ana", at, fields)


def _request(action: str, **fields) -> ReviewRequest:
    body: dict = {"action": action, "reason": "checked the sources", "reviewer": "ana"}
    if fields:
        body["fields"] = fields
    return ReviewRequest.model_validate(body)


def test_a_correction_wins_and_the_extracted_values_stay_visible():
    merged = merge.merge([make_event(1).model_dump(mode="json")])
    out = apply(merged, [_review("correct", "2026-12-01T10:00:00", fatalities=7, actor2="Police Forces of Afghanistan"),
                         _review("correct", "2026-12-01T11:00:00", "s", fatalities=9)])
    assert out["fatalities"] == 9 and out["actor2"]["name"] == "Police Forces of Afghanistan"
    assert out["review_status"] == "corrected" and out["review"]["corrected"] == {
        "actor2": "Police Forces of Afghanistan", "fatalities": 9}
    assert out["review"]["extracted"] == {"actor2": "Military Forces of Afghanistan", "fatalities": 1}
    assert out["review"]["review_ids"] == ["r", "s"] and merged["fatalities"] == 1  # the input is left alone
    assert apply(merged, []) is merged and merged["review_status"] == "unreviewed"


def test_the_queries_know_every_status():
    from services.store import queries
    assert set(queries._STATUSES) == set(ReviewStatus) and set(queries._SHOWN) == set(ReviewStatus) - {"rejected"}


def test_the_latest_decision_gives_the_status():
    assert status_of([]) is ReviewStatus.UNREVIEWED
    assert status_of([_review("confirm", "1")]) is ReviewStatus.CONFIRMED
    assert status_of([_review("reject", "2"), _review("confirm", "1", "s")]) is ReviewStatus.REJECTED
    assert status_of([_review("reject", "1"), _review("confirm", "2", "s")]) is ReviewStatus.CONFIRMED
    assert status_of([_review("correct", "1", fatalities=1), _review("confirm", "2", "s")]) is ReviewStatus.CORRECTED


@pytest.mark.parametrize("body, problem", [
    ({"action": "correct"}, "at least one field"),
    ({"action": "confirm", "fields": {"fatalities": 2}}, "fields go with action correct"),
    ({"action": "correct", "fields": {"latitude": 36.1}}, "together"),
    ({"action": "correct", "fields": {"fatalities": -1}}, "greater than or equal"),
    ({"action": "correct", "fields": {"event_type": "Skirmish"}}, "event_type must be one of"),
    ({"action": "correct", "fields": {"event_date": None}}, "cannot be cleared"),
    ({"action": "correct", "fields": {"confidence": 1}}, "Extra inputs"),
    ({"action": "confirm", "reason": "  "}, "must not be blank"),
])
def test_a_malformed_review_is_refused_with_the_reason(body, problem):
    with pytest.raises(ValidationError, match=problem):
        ReviewRequest.model_validate({"reason": "r", "reviewer": "ana", **body})


def _ids(repo: EventRepository, **filters) -> list[str]:
    from services.store.queries import EventQuery
    events, _ = repo.query(EventQuery(limit=1000, **filters))
    return [e["event_id"] for e in events]


def test_confirm_reject_correct_and_undo(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(i) for i in range(4)])
    confirm, event = repo.reviews.review("e00000", _request("confirm"))
    assert event["review_status"] == "confirmed" and event["review"]["reviewer"] == "ana"
    reject, _ = repo.reviews.review("e00001", _request("reject"))
    correct, event = repo.reviews.review("e00002", _request("correct", fatalities=40, admin2="Khanabad",
                                                            latitude=36.68, longitude=69.11))
    assert (event["fatalities"], event["admin2"], event["latitude"]) == (40, "Khanabad", 36.68)
    assert event["review"]["extracted"]["fatalities"] == 2
    assert repo.get("e00002")["fatalities"] == 40
    assert _ids(repo) == ["e00003", "e00002", "e00000"]  # rejected: left out unless asked for
    assert _ids(repo, review_status=("rejected",)) == ["e00001"]
    assert _ids(repo, reviewed=True) == ["e00002", "e00000"] and _ids(repo, reviewed=False) == ["e00003"]
    assert _ids(repo, min_fatalities=40) == ["e00002"]  # filters read the corrected values
    with repo.engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT event_id, review_status FROM events")).all())
    assert statuses == {"e00000": "confirmed", "e00001": "rejected", "e00002": "corrected", "e00003": "unreviewed"}
    plain = repo.get("e00003")
    for review, eid in ((confirm, "e00000"), (reject, "e00001"), (correct, "e00002")):
        back = repo.reviews.undo(eid, review.review_id, "bo", "mistaken")
        assert back["review_status"] == "unreviewed" and "review" not in back
    assert repo.get("e00002")["fatalities"] == 2 and _ids(repo) == ["e00003", "e00002", "e00001", "e00000"]
    assert plain == repo.get("e00003")
    with pytest.raises(ReviewRefused) as again:
        repo.reviews.undo("e00000", confirm.review_id, "bo", "twice")
    assert again.value.status == 409
    with pytest.raises(ReviewRefused) as elsewhere:
        repo.reviews.undo("e00003", correct.review_id, "bo", "not this event's")
    assert elsewhere.value.status == 404
    with pytest.raises(ReviewRefused) as missing:
        repo.reviews.review("nope", _request("confirm"))
    assert missing.value.kind == "no_event"
    with pytest.raises(ReviewRefused, match="is not one of"):
        repo.reviews.review("e00003", _request("correct", event_type="Protests"))  # sub-type stays Armed clash
    repo.close()


def test_every_change_is_in_the_audit_log(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(1)])
    made, _ = repo.reviews.review("e00001", _request("correct", fatalities=5))
    repo.reviews.undo("e00001", made.review_id, "bo", "the figure was right")
    entries, cursor = repo.audit.entries()
    assert cursor is None and [e.action for e in entries] == ["review.undo", "review.correct"]
    undo, correct = entries
    assert (correct.actor, correct.reason, correct.review_id) == ("ana", "checked the sources", made.review_id)
    assert correct.before["fatalities"] == 1 and correct.after == {**correct.before, "fatalities": 5,
                                                                    "review_status": "corrected"}
    assert (undo.actor, undo.reason, undo.before, undo.after) == ("bo", "the figure was right", correct.after,
                                                                  correct.before)
    repo.close()


def _pair() -> tuple:
    """Two stories' reports of one clash (they merge), and a third story's report of another."""
    a = make_event(1, event_id="a1", story_id="sa")
    b = make_event(1, event_id="b1", story_id="sb", fatalities=3)
    c = make_event(5, event_id="c1", story_id="sc")
    return a, b, c


def test_a_correction_survives_a_full_replay_in_another_order(database_url):
    repo = EventRepository(database_url)
    reports = [*_pair(), *(make_event(i) for i in range(6, 26))]
    repo.upsert_many(reports)
    repo.reviews.review("a1", _request("correct", fatalities=11, event_date="2026-01-02"))
    repo.reviews.review("c1", _request("reject"))
    repo.reviews.review("e00008", _request("confirm"))
    before = dump(repo)
    assert repo.get("b1")["fatalities"] == 11 and repo.get("a1")["reports"] == ["a1", "b1"]
    empty(repo)  # the topic replayed from offset 0 into a store that kept its reviews
    random.Random(7).shuffle(reports)
    for start in range(0, len(reports), 5):
        repo.upsert_many(reports[start:start + 5])
    assert dump(repo) == before
    repo.rebuild()
    assert dump(repo) == before
    repo.close()


def test_a_correction_wins_over_a_new_extractor_version(database_url):
    repo = EventRepository(database_url)
    a, b, c = _pair()
    repo.upsert_many([a, c])
    repo.reviews.review("a1", _request("correct", fatalities=11, actor2="Police Forces of Afghanistan"))
    repo.upsert_many([a.model_copy(update={"fatalities": 2, "actor2": Actor(name="Islamic State"),
                                           "location": "Archi town", "extractor": "test v2"})])
    event = repo.get("a1")
    assert (event["fatalities"], event["actor2"]["name"], event["location"]) == (11, "Police Forces of Afghanistan",
                                                                                 "Archi town")
    assert event["review"]["extracted"] == {"actor2": "Islamic State", "fatalities": 2}
    repo.close()


def test_reviews_follow_their_reports_through_a_split_and_a_join(database_url):
    repo = EventRepository(database_url)
    a, b, c = _pair()
    repo.upsert_many([a, b, c])
    assert repo.get("a1")["reports"] == ["a1", "b1"]
    repo.reviews.review("b1", _request("correct", fatalities=9))  # reviewed through either report's id
    repo.reviews.review("c1", _request("reject"))
    moved = b.model_copy(update={"admin2": "Dasht-e-Archi", "location": "Dasht-e-Archi", "latitude": 37.13,
                                 "longitude": 69.17})
    repo.upsert_many([moved])  # re-extracted elsewhere: the cluster splits, both halves keep the correction
    assert repo.get("a1")["reports"] == ["a1"] and repo.get("b1")["reports"] == ["b1"]
    assert repo.get("a1")["fatalities"] == repo.get("b1")["fatalities"] == 9
    repo.upsert_many([b])  # and joins again
    assert repo.get("b1")["event_id"] == "a1" and repo.get("a1")["fatalities"] == 9
    late = make_event(5, event_id="b5", story_id="sd", event_date=date(2026, 1, 17))
    repo.upsert_many([late])  # a new report joins the rejected event: it stays rejected
    assert repo.get("b5")["event_id"] == "b5" and repo.get("b5")["reports"] == ["b5", "c1"]
    assert repo.get("b5")["review_status"] == "rejected" and "b5" not in _ids(repo)
    repo.close()
