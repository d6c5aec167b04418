"""Buckets, lock slots and shards: the partition merging never crosses, the same in every process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

from services.store import merge
from services.store.buckets import LOCK_SLOTS, STORE_LOCK_KEY, Bucket, shard_of, slot_lock_key
from tests.conftest import ROOT
from tests.helpers import make_event


def test_a_bucket_is_country_province_and_event_type():
    report = make_event(2).model_dump(mode="json")
    assert Bucket.of(report) == Bucket("AF", "Helmand", "Battles")
    assert Bucket.of({**report, "country": None, "admin1": None}) == Bucket(None, None, "Battles")


def test_reports_in_different_buckets_are_never_the_same_event():
    a = make_event(1, story_id="a").model_dump(mode="json")
    b = make_event(1, event_id="other", story_id="b").model_dump(mode="json")
    assert Bucket.of(a) == Bucket.of(b) and merge.same_event(a, b)
    for change in ({"country": "PK"}, {"admin1": "Takhar"}, {"event_type": "Protests"}):
        moved = {**b, **change}
        assert Bucket.of(moved) != Bucket.of(a) and not merge.same_event(a, moved)


def test_lock_slots_are_the_same_in_every_process():
    """Replicas must agree on a bucket's slot: it may not depend on Python's per-process hash seed."""
    buckets = [Bucket("AF", "Kunduz", "Battles"), Bucket(None, None, "Protests"), Bucket("PK", "Sindh", "Riots")]
    here = [b.slot for b in buckets]
    assert all(0 <= s < LOCK_SLOTS for s in here) and len(set(here)) > 1
    code = ("from services.store.buckets import Bucket; print([b.slot for b in [Bucket('AF', 'Kunduz', 'Battles'), "
            "Bucket(None, None, 'Protests'), Bucket('PK', 'Sindh', 'Riots')]])")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed})
        assert out.stdout.strip() == str(here)


def test_each_slot_has_one_shard_and_the_shards_share_the_slots_evenly():
    for writers in (1, 2, 3):
        per_shard = Counter(shard_of(slot, writers) for slot in range(LOCK_SLOTS))
        assert set(per_shard) == set(range(writers))
        assert max(per_shard.values()) - min(per_shard.values()) <= 1


def test_slot_lock_keys_are_distinct_from_each_other_and_the_store_key():
    keys = {slot_lock_key(s) for s in range(LOCK_SLOTS)}
    assert len(keys) == LOCK_SLOTS and STORE_LOCK_KEY not in keys
