"""The search benchmark (bench/store_search.py) in its small form: it loads real ACLED rows in bulk
on both databases, measures every kind of query with the index and the LIKE baseline, and checks every
page against the one-query reference's, so that neither the loader nor the report nor the check can
rot between the (long, not in CI) million-event runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]
KINDS = ["place", "actor", "typing a place", "actor + place", "common word", "q + month", "q + province",
         "q + type", "q + country, year", "all"]


def test_the_benchmark_loads_both_databases_and_measures_every_kind(postgres_admin_url):
    shared_path("data", "acled")  # skips (or fails in CI) without the real rows
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "store_search.py"), "--events", "3000",
                           "--requests", "90", "--baseline-requests", "90", "--postgres", postgres_admin_url],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for name in ("PostgreSQL", "SQLite"):
        assert f"{name}: loaded 3,000 events in bulk" in out, out
        assert f"{name}: 3,000 events\n" in out, out
        table = out[out.index(f"\n{name}: query"):]
        for kind in KINDS:
            # index p50, p95, then the baseline's p50, p95 and the ratio
            assert re.search(rf"\n\s+{re.escape(kind)}\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+ ms\s+\d+x",
                             table), (kind, table)
        assert re.search(rf"{name}: index p95 [\d.]+ ms over all queries", out), out
        assert f"{name}: pages identical to the one-query reference's for 90 of 90 queries" in out, out
