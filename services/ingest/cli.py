"""`wirewatch feeds`: the registry joined with each feed's polling health from the state database."""

from __future__ import annotations

import time
from pathlib import Path

from .feeds import load_feeds
from .settings import IngestSettings
from .state import IngestState


def _ago(ts: float | None) -> str:
    if not ts:
        return "never"
    secs = max(0, time.time() - ts)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs / size:.0f}{unit} ago"
    return f"{secs:.0f}s ago"


def list_feeds(path: Path | None = None) -> int:
    s = IngestSettings()
    feeds = load_feeds(path or s.ingest_feeds_file)
    state = IngestState(s.ingest_database_url or s.sqlite_url("ingest"))
    try:
        known = {f.feed_id: f for f in state.all_feeds()}
    finally:
        state.close()
    print(f"{'feed':<24} {'outlet':<24} {'status':<8} {'last success':<14} {'errors':>6}  detail")
    for feed in feeds:
        st = known.get(feed.id)
        if st is None:
            status, last, errors, detail = "new", "never", 0, feed.url
        else:
            status = "parked" if st.parked_reason else ("failing" if st.consecutive_errors else "ok")
            last, errors = _ago(st.last_success_at), st.consecutive_errors
            detail = st.parked_reason or st.last_error or st.url
        print(f"{feed.id:<24} {feed.outlet[:24]:<24} {status:<8} {last:<14} {errors:>6}  {detail}")
    return 0
