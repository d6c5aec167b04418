import itertools

from services.fixturesite import load_demo
from services.ingest import dedup


def _texts():
    return {a.slug: "\n".join(a.body) for a in load_demo().articles}


def test_republished_wire_copy_is_near_duplicate_and_other_stories_are_not():
    fps = {k: dedup.fingerprint(v) for k, v in _texts().items()}
    pair = {"nw-kunduz-attack", "soldiers-dead-northern-posts"}
    assert dedup.near_similarity(*(fps[k] for k in pair)) is not None
    for a, b in itertools.combinations(fps, 2):
        if {a, b} != pair:
            assert dedup.near_similarity(fps[a], fps[b]) is None, (a, b)


def test_a_summary_cut_from_the_article_matches_by_its_lead():
    text = _texts()["lashkar-gah-roadside-bomb"]
    summary = " ".join(text.split()[:35])
    full, short = dedup.fingerprint(text), dedup.fingerprint(summary)
    assert dedup.jaccard_estimate(full.signature, short.signature) < dedup.DEFAULT_THRESHOLD
    assert full.lead == short.lead and dedup.near_similarity(full, short) is not None


def test_fingerprints_are_stable_and_bands_are_sql_bigints():
    fp = dedup.fingerprint("Nine soldiers were killed in an attack on Monday night, officials said.")
    assert fp.signature.tolist() == dedup.fingerprint(
        "NINE soldiers were killed -- in an attack on Monday night, officials said").signature.tolist()
    assert len(fp.bands()) == dedup.BANDS and all(0 <= b < 2**63 for b in fp.bands())
    restored = dedup.Fingerprint.signature_from_bytes(fp.to_bytes())
    assert restored.tolist() == fp.signature.tolist()
    assert fp.lead is None  # shorter than the lead window


def test_content_hash_ignores_case_punctuation_and_spacing():
    assert dedup.content_hash("Nine soldiers  were KILLED, officials said.") == \
        dedup.content_hash("nine soldiers were killed officials said")


def test_near_index_round_trip(database_url):
    from services.ingest.state import IngestState, PublishedStory

    state = IngestState(database_url)
    texts = _texts()
    state.record_published([PublishedStory(canonical_url=f"https://x/{k}", story_id=k, content_hash=k,
                             fingerprint=dedup.fingerprint(v)) for k, v in texts.items()
                            if k != "soldiers-dead-northern-posts"])
    found = state.near_duplicates(dedup.fingerprint(texts["soldiers-dead-northern-posts"]))
    assert [sid for sid, _ in found] == ["nw-kunduz-attack"]
    assert state.near_duplicates(dedup.fingerprint("An unrelated text about the weather in spring " * 3)) == []
    state.close()
