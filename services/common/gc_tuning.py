"""Garbage-collector policy for the long-running service processes.

A consumer allocates a handful of container objects per message (the record, the validated model,
its dicts) and keeps almost none of them past its batch, and they are freed by reference counting;
reference cycles are rare in this code (a few thousand objects over 30,000 events in the store
consumer). CPython's cycle collector nevertheless runs every 700 net allocations and, in its
older generations, re-scans everything alive: with a batch of thousands of events in hand, that
cost the store consumer 10-15% of its CPU (bench/store_ingest.py, paired runs).

So the heap that exists when a service command starts (the imported modules and their
schemas) is frozen out of every scan, automatic collection is switched off, and one daemon thread
collects every ``COLLECT_EVERY_S`` seconds instead: cycles are still reclaimed, at a bounded,
small cost. Nothing here forks; a process that did would have to call ``tune_gc`` again in the
child, which gets neither the thread nor automatic collection.
"""

from __future__ import annotations

import gc
import threading
import time

COLLECT_EVERY_S = 10.0

_started = threading.Lock()
_collector: threading.Thread | None = None


def tune_gc(interval_s: float = COLLECT_EVERY_S) -> None:
    global _collector
    with _started:
        gc.collect()
        gc.freeze()
        gc.disable()
        if _collector is None:
            _collector = threading.Thread(target=_collect_every, args=(interval_s,), name="gc-collector",
                                          daemon=True)
            _collector.start()


def _collect_every(interval_s: float) -> None:
    while True:
        time.sleep(interval_s)
        gc.collect()
