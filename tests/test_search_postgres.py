"""PostgreSQL's search index (``search_postgres``): the lexicon a prefix is expanded from follows every
write, a prefix is the lexemes it covers, and the month and type tokens narrow the GIN index's
matches without ever matching a word; the answers stay those ``q`` means."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from services.common.contracts import Evidence
from services.store import search, search_postgres
from services.store.queries import EventQuery
from services.store.repository import EventRepository
from tests.helpers import make_event


def _said(i: int, sentence: str, **kw):
    return make_event(i, evidence=[Evidence(text=sentence, start=0, end=len(sentence))], **kw)


SENTENCES = ["Gunmen killed two guards.", "A mine killing a farmer.", "Protesters gathered.",
             "Killers fled after the wedding attack.", "Drone strike on a wedding party."]


def _repo(url: str, analyze: bool = True) -> EventRepository:
    repo = EventRepository(url)
    repo.upsert_many([_said(i, SENTENCES[i % len(SENTENCES)]) for i in range(40)])
    if analyze:  # the lexemes' statistics the conditions read; without them every word is rare
        with repo.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE events")
    return repo


def _lexemes(conn) -> tuple[set[str], set[str]]:
    stored = set(conn.exec_driver_sql("SELECT lexeme FROM search_lexemes").scalars())
    written = set(conn.exec_driver_sql("SELECT DISTINCT unnest(tsvector_to_array(search_vector)) FROM events").scalars())
    return stored, written


def test_the_lexicon_holds_every_lexeme_written_and_revised(postgres_url):
    repo = _repo(postgres_url)
    with repo.engine.connect() as conn:
        stored, written = _lexemes(conn)
    assert stored == written and {"killed", "killing", "killers", "~2026-01", "^Battles"} <= stored
    repo.upsert_many([_said(2, "Looters torched the depot.")])  # a revision: an UPDATE of the row
    with repo.engine.connect() as conn:
        stored, written = _lexemes(conn)
    assert {"looters", "torched"} <= stored and written <= stored
    repo.close()


def test_a_common_prefix_is_the_lexemes_it_covers(postgres_url):
    repo = _repo(postgres_url)
    with repo.engine.connect() as conn:
        found = search_postgres.lexicon(conn, [], "kill")
        assert found.covered == ("killed", "killers", "killing") and found.prefixed > 0
        assert search_postgres.lexicon(conn, [], "zzz").covered == ()
        assert search.condition(conn, "kill").param == "('killed' | 'killers' | 'killing')"
        assert search.condition(conn, "gunmen kill").param == "'gunmen' & ('killed' | 'killers' | 'killing')"
    for q, expected in [("kill", 24), ("gunmen kill", 8), ("killi", 8), ("zzz", 0), ("wedding kil", 8)]:
        events, _ = repo.query(EventQuery(q=q, limit=100))
        assert len(events) == expected, q
    repo.close()


def test_last_terms_and_the_successor_of_a_prefix():
    assert search_postgres.last_term("kill", ("killed", "killing")) == "('killed' | 'killing')"
    assert search_postgres.last_term("kill", ("killed",)) == "'killed'"
    assert search_postgres.last_term("zzz", ()) == "'zzz'"  # no event has it: an empty GIN lookup
    assert search_postgres.last_term("kill", None) == "'kill':*"
    assert search_postgres._successor("kill") == "kilm"
    assert search_postgres._successor("a\U0010ffff") == "b"
    assert search_postgres._successor("\U0010ffff") is None
    assert search_postgres._successor("\ud7ff") == "\ue000"  # no surrogate


def test_month_and_type_tokens():
    assert search_postgres.month_tokens(date(2024, 11, 20), date(2025, 1, 3)) == \
        "('~2024-11' | '~2024-12' | '~2025-01')"
    assert search_postgres.month_tokens(date(2024, 11, 20), date(2024, 11, 21)) == "'~2024-11'"
    assert search_postgres.month_tokens(date(2024, 1, 1), date(2026, 1, 1), most=24) is None
    assert search_postgres.month_tokens(date(2024, 2, 1), date(2024, 1, 1)) is None
    fields = {"event_type": "Explosions/Remote violence", "since": "2026-01-05", "until": "2026-02-10"}
    assert search_postgres.filter_tokens(fields, dates=True) == \
        "'^Explosions/Remote violence' & ('~2026-01' | '~2026-02')"
    assert search_postgres.filter_tokens(fields, dates=False) == "'^Explosions/Remote violence'"
    assert search_postgres.filter_tokens({"since": "2026-01-05"}, dates=True) is None


def test_tokens_narrow_a_rare_word_and_never_match_a_word(postgres_url):
    repo = _repo(postgres_url, analyze=False)
    with repo.engine.connect() as conn:
        found = search.condition(conn, "protesters", {"event_type": "Battles", "since": "2026-01-01",
                                                      "until": "2026-02-28"})
        assert found.tokens == "'^Battles' & ('~2026-01' | '~2026-02')" and "fts_tokens" in found.sql
    with repo.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE events")
    with repo.engine.connect() as conn:  # a common word: the planner's walk, no tokens
        assert search.condition(conn, "protesters", {"event_type": "Battles"}).tokens is None
    # events 2, 7, 12, ... say "Protesters"; every third is an explosion; one every 3 days from 2026-01-01
    expected = [f"e{i:05d}" for i in range(2, 40, 5) if i % 3 and date(2026, 1, 1).toordinal() + 3 * i
                <= date(2026, 2, 28).toordinal()]
    events, _ = repo.query(EventQuery(q="protesters", event_type="Battles", since=date(2026, 1, 1),
                                      until=date(2026, 2, 28), sort="event_date", limit=100))
    assert [e["event_id"] for e in events] == expected and expected
    for q in ["2026", "battles", "b", "explosions"]:  # the tokens' text is no word of any event
        assert repo.query(EventQuery(q=q, limit=100))[0] == [], q
    with repo.engine.connect() as conn:
        tokens = conn.execute(text("SELECT count(*) FROM events WHERE search_vector @@ CAST(:t AS tsquery)"),
                              {"t": "'^Battles' & '~2026-01'"}).scalar_one()
    assert tokens == sum(1 for i in range(40) if i % 3 and 3 * i < 31)
    repo.close()
