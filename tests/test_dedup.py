import itertools

from services.fixturesite import load_demo
from services.ingest import dedup


def _texts():
    return {a.slug: "\n".join(a.body) for a in load_demo().articles}


def test_republished_wire_copy_is_near_duplicate_and_other_stories_are_not():
    texts = _texts()
    fps = {k: dedup.simhash(v) for k, v in texts.items()}
    pair = {"nw-kunduz-attack", "soldiers-dead-northern-posts"}
    assert dedup.hamming(*(fps[k] for k in pair)) <= dedup.MAX_DISTANCE
    for a, b in itertools.combinations(fps, 2):
        if {a, b} != pair:
            assert dedup.hamming(fps[a], fps[b]) > dedup.MAX_DISTANCE + 5, (a, b)


def test_banded_lookup_finds_everything_within_the_guaranteed_distance():
    import random

    rng = random.Random(7)
    for _ in range(200):
        fp = rng.getrandbits(64)
        flipped = fp
        for bit in rng.sample(range(64), dedup.MAX_DISTANCE):
            flipped ^= 1 << bit
        assert any(x == y for x, y in zip(dedup.bands(fp), dedup.bands(flipped), strict=True))


def test_content_hash_ignores_case_punctuation_and_spacing():
    assert dedup.content_hash("Nine soldiers  were KILLED, officials said.") == \
        dedup.content_hash("nine soldiers were killed officials said")


def test_signed_round_trip():
    for v in (0, 1, 2**63 - 1, 2**63, 2**64 - 1):
        assert dedup.from_signed(dedup.to_signed(v)) == v
        assert -(2**63) <= dedup.to_signed(v) < 2**63
