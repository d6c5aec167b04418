"""Garbage-collector settings for the long-running service processes.

A consumer allocates a handful of container objects per message (the record, the validated model,
its dicts) and keeps almost none of them past its batch, while the modules it imported (pydantic
schemas, SQLAlchemy, trafilatura, the gazetteer) stay for the life of the process. With CPython's
defaults the cycle collector runs every 700 net allocations and its older generations re-scan that
whole import-time heap. Freezing the heap that exists once the service is set up takes it out of
every later scan, and a larger first threshold makes the collector run once per few batches
instead of several times per batch: about 15% less CPU per event in the store consumer
(bench/store_ingest.py). Reference cycles are rare in this code, so memory is not held longer in
any way that matters.
"""

from __future__ import annotations

import gc

THRESHOLDS = (20_000, 50, 100)


def tune_gc() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
