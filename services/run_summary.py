"""What `wirewatch run --once` did, as a value: the text printed at the end is rendered from it."""

from __future__ import annotations

from dataclasses import dataclass

from services.ingest.service import CycleStats


@dataclass(frozen=True)
class RunSummary:
    """Counts of one `run --once`: ingest's totals, what extract and store made of them, and the store after."""

    elapsed_s: float
    ingest: CycleStats
    events_extracted: int
    reports_inserted: int
    reports_updated: int
    reports_unchanged: int
    republications_credited: int
    events_before: int
    events_in_store: int
    reports_in_store: int
    dead_lettered: int
    api_url: str

    @property
    def nothing_new(self) -> bool:
        """No story was published and the store holds as many events as before."""
        return self.ingest.stories_published == 0 and self.events_in_store == self.events_before

    def render(self) -> str:
        t = self.ingest
        lines = [
            f"done in {self.elapsed_s:.1f}s",
            f"  feeds polled        {t.feeds_polled} ({t.feeds_failed} failed, "
            f"{t.feeds_not_modified + t.feeds_unchanged} unchanged since the last run)",
            f"  stories published   {t.stories_published} ({t.near_duplicates} marked as near-duplicates, "
            f"{t.feed_text_fallbacks} from feed text only)",
            f"  duplicates dropped  {t.duplicates_dropped} (already published)",
            f"  events extracted    {self.events_extracted}",
            f"  reports stored      {self.reports_inserted} new, {self.reports_updated} updated, "
            f"{self.reports_unchanged} unchanged ({self.republications_credited} republications credited)",
            f"  events in store     {self.events_in_store} after merging reports of the same event "
            f"({self.reports_in_store} reports)",
            f"  dead-lettered       {self.dead_lettered}",
            f"  API                 {self.api_url} (up while running; `wirewatch store` serves the same data)",
        ]
        if self.nothing_new:
            lines.append("  nothing new: no stories published and the store is unchanged")
        return "\n".join(lines)
