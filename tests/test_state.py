"""The ingest database, on SQLite and PostgreSQL: feed registry, leases, poll outcomes, seen stories."""

from __future__ import annotations

import pytest

from services.ingest import dedup
from services.ingest.feeds import Feed
from services.ingest.state import FeedValidators, IngestState, PollFailed, PollSucceeded, PublishedStory

NOW = 1_700_000_000.0


@pytest.fixture
def state(database_url):
    st = IngestState(database_url)
    st.sync_feeds([Feed(id="a", url="http://a.test/feed", outlet="A"),
                   Feed(id="b", url="http://b.test/feed", outlet="B")])
    yield st
    st.close()


def _claim(state: IngestState, owner: str, now: float = NOW, **kw) -> list[str]:
    return state.claim_due(owner, 60, kw.pop("limit", 10), now, **kw)


def _succeeded(**kw) -> PollSucceeded:
    return PollSucceeded(**{"polled_at": NOW, "interval_s": 600.0, "next_poll_at": NOW + 600, **kw})


def test_a_feed_is_leased_to_one_owner_until_released_or_expired(state):
    assert _claim(state, "r1") == ["a", "b"]
    assert _claim(state, "r2") == []
    assert sorted(_claim(state, "r2", now=NOW + 61)) == ["a", "b"]  # r1's leases expired


def test_a_claim_takes_at_most_limit_feeds_and_only_those_asked_for(state):
    first = _claim(state, "r1", limit=1)
    assert len(first) == 1
    other = ({"a", "b"} - set(first)).pop()
    assert _claim(state, "r2", feed_ids=first) == []  # r1 holds it
    assert _claim(state, "r2", feed_ids=["zzz", other]) == [other]


def test_release_schedules_the_next_poll_and_only_force_claims_before_it(state):
    _claim(state, "r1", feed_ids=["a"])
    state.release("a", "r1", _succeeded(validators=FeedValidators('"v1"', "Mon", "h1")))
    assert _claim(state, "r1", feed_ids=["a"]) == []
    assert _claim(state, "r1", feed_ids=["a"], force=True) == ["a"]
    st = state.feed("a")
    assert (st.etag, st.last_modified, st.body_hash, st.interval_s) == ('"v1"', "Mon", "h1", 600.0)
    assert st.next_poll_at == NOW + 600 and st.last_success_at == NOW


def test_a_success_without_validators_keeps_the_stored_ones(state):
    _claim(state, "r1")
    state.release("a", "r1", _succeeded(validators=FeedValidators('"v1"', "Mon", "h1")))
    _claim(state, "r1", now=NOW + 700)
    state.release("a", "r1", _succeeded(polled_at=NOW + 700, validators=None))
    st = state.feed("a")
    assert (st.etag, st.body_hash, st.last_polled_at) == ('"v1"', "h1", NOW + 700)
    _claim(state, "r1", now=NOW + 1400)
    state.release("a", "r1", _succeeded(validators=FeedValidators('"v2"', None)))  # 200, same body
    st = state.feed("a")
    assert (st.etag, st.last_modified, st.body_hash) == ('"v2"', None, "h1")


def test_a_failure_counts_errors_keeps_the_message_and_a_success_clears_them(state):
    _claim(state, "r1")
    state.release("a", "r1", PollFailed(polled_at=NOW, next_poll_at=NOW + 30, consecutive_errors=3,
                                        error="x" * 900, parked_reason="gone", parse_failures=2))
    st = state.feed("a")
    assert (st.consecutive_errors, st.last_error, st.parked_reason, st.parse_failures) == (3, "x" * 500, "gone", 2)
    _claim(state, "r1", now=NOW + 31)
    state.release("a", "r1", PollFailed(polled_at=NOW, next_poll_at=NOW + 60, consecutive_errors=4, error="y"))
    assert state.feed("a").parse_failures == 2  # not a parse failure: the count is kept
    _claim(state, "r1", now=NOW + 61)
    state.release("a", "r1", _succeeded())
    st = state.feed("a")
    assert (st.consecutive_errors, st.last_error, st.parked_reason, st.parse_failures) == (0, None, None, 0)


def test_a_release_by_a_replica_that_lost_its_lease_changes_nothing(state):
    _claim(state, "r1", feed_ids=["a"])
    _claim(state, "r2", now=NOW + 61, feed_ids=["a"])
    state.release("a", "r1", _succeeded(interval_s=1.0))
    assert state.feed("a").interval_s is None
    assert _claim(state, "r3", now=NOW + 62, feed_ids=["a"]) == []  # r2 still holds it


def test_a_permanent_redirect_is_kept_until_the_registry_changes_the_url(state):
    _claim(state, "r1", feed_ids=["a"])
    state.release("a", "r1", _succeeded(moved_to="http://a.test/new", validators=FeedValidators('"v"', None)))
    state.sync_feeds([Feed(id="a", url="http://a.test/feed", outlet="A")])
    assert state.feed("a").url == "http://a.test/new"
    state.sync_feeds([Feed(id="a", url="http://a.test/other", outlet="A")])
    st = state.feed("a")
    assert (st.url, st.etag, st.next_poll_at) == ("http://a.test/other", None, 0)


def test_published_stories_are_remembered_and_near_duplicates_not_indexed(state):
    fp = dedup.fingerprint("Nine soldiers were killed when their post in Kunduz came under attack on Sunday " * 3)
    state.record_published([
        PublishedStory(canonical_url="http://a.test/1", story_id="s1", content_hash="h1", fingerprint=fp,
                       guid_key="a:g1"),
        PublishedStory(canonical_url="http://b.test/1", story_id="s2", content_hash="h2", fingerprint=fp,
                       duplicate_of="s1"),
    ])
    assert (state.seen_url("http://a.test/1"), state.seen_url("http://b.test/1")) == ("s1", "s2")
    assert (state.seen_guid("a:g1"), state.seen_guid("a:g2")) == ("s1", None)
    assert (state.story_for_hash("h1"), state.story_for_hash("h2")) == ("s1", None)
    assert [sid for sid, _ in state.near_duplicates(fp)] == ["s1"]
    assert state.counts() == {"feeds": 2, "seen_urls": 2, "fingerprints": 1}
    state.record_published([PublishedStory(canonical_url="http://a.test/1", story_id="s1", content_hash="h1",
                                           fingerprint=fp)])  # replayed after a crash: no error, no copy
    assert state.counts()["seen_urls"] == 2


def test_seen_many_answers_as_the_one_by_one_lookups_over_many_keys(state):
    fp = dedup.fingerprint("Nine soldiers were killed when their post in Kunduz came under attack on Sunday " * 3)
    state.record_published([PublishedStory(canonical_url=f"http://a.test/{i}", story_id=f"s{i}",
                                           content_hash=f"h{i}", fingerprint=fp, guid_key=f"a:g{i}")
                            for i in range(0, 1200, 3)])  # more keys than one IN list takes
    urls = [f"http://a.test/{i}" for i in range(1200)] + ["http://a.test/0"]  # a repeat is answered once
    guids = [f"a:g{i}" for i in range(1, 1200, 2)]
    seen_urls, seen_guids = state.seen_many(urls, guids)
    assert seen_urls == {u for u in urls if state.seen_url(u)} and len(seen_urls) == 400
    assert seen_guids == {g for g in guids if state.seen_guid(g)} and "a:g3" in seen_guids
    assert state.seen_many([], []) == (set(), set())


def test_dedup_reads_answer_as_the_one_by_one_lookups_over_one_connection(state):
    from sqlalchemy import event

    fp = dedup.fingerprint("Nine soldiers were killed when their post in Kunduz came under attack on Sunday " * 3)
    other = dedup.fingerprint("An unrelated text about the weather in spring and the price of bread " * 3)
    state.record_published([PublishedStory(canonical_url=f"http://a.test/{i}", story_id=f"s{i}",
                                           content_hash=f"h{i}", fingerprint=fp if i == 0 else other)
                            for i in range(0, 1200, 3)])  # more hashes than one IN list takes
    hashes = [f"h{i}" for i in range(1200)] + ["h0"]
    checkouts: list[object] = []

    def count(*_args) -> None:
        checkouts.append(1)

    event.listen(state.engine, "checkout", count)
    try:
        with state.dedup_reads(hashes) as reads:
            answers = [reads.story_for_hash(h) for h in hashes]
            near = [reads.near_duplicates(f) for f in (fp, other, dedup.fingerprint("short"))]
    finally:
        event.remove(state.engine, "checkout", count)
    assert len(checkouts) == 1  # one pooled connection for every lookup
    assert answers == [state.story_for_hash(h) for h in hashes] and answers.count(None) == 800
    assert near == [state.near_duplicates(f) for f in (fp, other, dedup.fingerprint("short"))]
    assert [sid for sid, _ in near[0]] == ["s0"] and len(near[1]) == 399 and near[2] == []


def test_a_batch_of_published_stories_is_one_statement_a_table(state):
    from sqlalchemy import event

    statements: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            statements.append(statement)

    fp = dedup.fingerprint("Nine soldiers were killed when their post in Kunduz came under attack on Sunday " * 3)
    batch = [PublishedStory(canonical_url=f"http://a.test/{i}", story_id=f"s{i}", content_hash=f"h{i}",
                            fingerprint=fp, guid_key=f"a:g{i}", duplicate_of="s0" if i % 2 else None)
             for i in range(20)]
    event.listen(state.engine, "before_cursor_execute", count)
    try:
        state.record_published(batch)
    finally:
        event.remove(state.engine, "before_cursor_execute", count)
    assert len(statements) == 4  # seen_urls, seen_guids, text_hashes, near_index
    assert state.counts() == {"feeds": 2, "seen_urls": 20, "fingerprints": 10}
    assert all(state.seen_guid(f"a:g{i}") == f"s{i}" for i in range(20))
    assert state.story_for_hash("h2") == "s2" and state.story_for_hash("h3") is None


def test_the_next_due_feed_is_the_earliest_no_live_lease_holds(state):
    assert _claim(state, "r1", limit=2) == ["a", "b"]
    state.release("a", "r1", _succeeded(next_poll_at=NOW + 30))
    state.release("b", "r1", _succeeded(next_poll_at=NOW + 10))
    assert state.next_due_at(["a", "b"], NOW) == NOW + 10
    assert state.next_due_at(["a"], NOW) == NOW + 30  # only the feeds asked about
    assert _claim(state, "r2", now=NOW + 10) == ["b"]  # b leased (for 60 s) by another replica
    assert state.next_due_at(["a", "b"], NOW + 10) == NOW + 30
    assert state.next_due_at(["a", "b"], NOW + 71) == NOW + 10  # its lease expired: b is due again
    assert state.next_due_at(["c"], NOW) is None
