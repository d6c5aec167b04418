"""The store consumer: validate each event, write the batch in one transaction, then commit offsets."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime

from kafka.consumer.fetcher import ConsumerRecord
from pydantic import ValidationError

from services.common.contracts import EVENTS_TOPIC, STORIES_TOPIC, Story
from services.common.kafka import ConsumeLoop, PoisonMessage, Publisher, dead_letter

from .buckets import shard_of
from .metrics import StoreMetrics
from .prepare import PreparedReport, prepare
from .repository import EventRepository
from .writer import WriteResult

log = logging.getLogger(__name__)


class StoreHandler:
    """Validates each event as it is consumed and writes them a batch at a time.

    On PostgreSQL a batch is written by ``writers`` transactions at once, each taking the reports
    of its own lock slots (``buckets.shard_of``): merging is bound by the database's work per
    report, and two connections put the second core to use (bench/store_ingest.py). SQLite has
    one writer."""

    def __init__(self, repo: EventRepository, publisher: Publisher, metrics: StoreMetrics,
                 retry_s: float = 120.0, writers: int = 1) -> None:
        self.repo = repo
        self.publisher = publisher
        self.metrics = metrics
        self.retry_s = retry_s
        self.writers = repo.dialect.max_writers(writers)
        self._bad_row = repo.dialect.is_data_error
        self._shards = ThreadPoolExecutor(self.writers, thread_name_prefix="store-shard") if self.writers > 1 else None
        self._pending: list[tuple[ConsumerRecord, PreparedReport]] = []
        self._links: list[Story] = []
        self.totals = WriteResult()
        self.links = 0

    def __call__(self, record) -> None:
        if not record.value:
            raise PoisonMessage("empty message")
        if record.topic == STORIES_TOPIC:
            # only near-duplicates matter here: their outlets become sources of the original's events
            story = Story.from_bytes(record.value)
            if story.duplicate_of:
                self._links.append(story)
            return
        if record.topic != EVENTS_TOPIC:
            raise PoisonMessage(f"unexpected topic {record.topic}")
        try:
            prepared = prepare(record.value)
        except ValidationError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            # preparing is pure computation: what fails once fails every time (a number no JSON
            # writer or column holds), so it is dead-lettered at once, not retried
            raise PoisonMessage(f"{type(exc).__name__}: {exc}") from exc
        self._pending.append((record, prepared))

    def detach(self) -> Callable[[], None]:
        """Take what the batch collected (in the consuming thread) and return the job that writes it
        (run on the loop's writer thread, overlapping the next batch)."""
        pending, self._pending = self._pending, []
        links, self._links = self._links, []
        return lambda: self._write(pending, links)

    def _write(self, pending: list[tuple[ConsumerRecord, PreparedReport]], links: list[Story]) -> None:
        """Write one batch, waiting out a database that is unreachable for up to ``retry_s`` (the
        writes are idempotent, so a retried batch is harmless); after that the error propagates, the
        offsets stay uncommitted and a restarted consumer replays the batch."""
        delay, deadline = 0.5, time.monotonic() + self.retry_s
        dead: set[tuple] = set()  # dead-lettered by an earlier attempt: not sent twice
        while True:
            try:
                return self._write_once(pending, links, dead)
            except Exception as exc:
                if self._bad_row(exc) or time.monotonic() + delay > deadline:
                    raise
                log.warning("store: database unavailable (%s); retrying the batch of %d in %.1fs",
                            type(exc).__name__, len(pending), delay)
                self.metrics.write_retries.inc()
                time.sleep(delay)
                delay = min(delay * 2, 15.0)

    def _write_once(self, pending: list[tuple[ConsumerRecord, PreparedReport]], links: list[Story], dead: set[tuple]) -> None:
        """A batch the database refuses because of its data is retried row by row so that one bad
        event is dead-lettered instead of blocking its partition. Any other failure (connection,
        server, resources, a bug) is not the events' fault and is never dead-lettered."""
        if links:
            self.links += self.repo.link_duplicates(links)
        if not pending:
            return
        t0 = time.perf_counter()
        try:
            results = self._write_shards([r for _, r in pending])
        except Exception as exc:
            if not self._bad_row(exc):
                raise
            log.warning("store: batch of %d failed (%s); writing row by row", len(pending), exc)
            results = []
            for record, report in pending:
                where = (record.topic, record.partition, record.offset)
                if where in dead:
                    continue
                try:
                    results.append(self.repo.upsert_prepared([report]))
                except Exception as row_exc:
                    if not self._bad_row(row_exc):
                        raise  # the database went away mid-batch: the whole batch is retried
                    dead_letter(self.publisher, "store", record, row_exc, 1)
                    dead.add(where)
                    self.metrics.dead_lettered.labels(reason=type(row_exc).__name__).inc()
            self.publisher.flush()
        self.metrics.write_duration.observe(time.perf_counter() - t0)
        self._observe_stored(pending, results)
        for r in results:
            self.totals.inserted += r.inserted
            self.totals.updated += r.updated
            self.totals.unchanged += r.unchanged
            self.metrics.events.labels(result="inserted").inc(r.inserted)
            self.metrics.events.labels(result="updated").inc(r.updated)
            self.metrics.events.labels(result="unchanged").inc(r.unchanged)

    def _observe_stored(self, pending: list[tuple[object, PreparedReport]], results: list[WriteResult]) -> None:
        """The store's freshness and end-to-end latency: the time of the last insert or update, and
        for each report stored for the first time, how long since ingest first saw its item."""
        if not any(r.inserted or r.updated for r in results):
            return
        now = time.time()
        self.metrics.newest_event.set(now)
        first_seen = {report.event_id: report.data.get("first_seen_at") for _, report in pending}
        for eid in (eid for r in results for eid in r.inserted_ids):
            seen = first_seen.get(eid)
            if seen:
                self.metrics.end_to_end.observe(max(0.0, now - datetime.fromisoformat(seen).timestamp()))

    def _write_shards(self, reports: list[PreparedReport]) -> list[WriteResult]:
        if self._shards is None:
            return [self.repo.upsert_prepared(reports)]
        latest = {r.event_id: r for r in reports}  # a report's last version, in one shard only
        shards: list[list[PreparedReport]] = [[] for _ in range(self.writers)]
        for report in latest.values():
            shards[shard_of(report.slot, self.writers)].append(report)
        futures = [self._shards.submit(self.repo.upsert_prepared, shard) for shard in shards if shard]
        wait(futures)  # every shard has finished, committed or not, before anything is retried
        failed = [e for f in futures if (e := f.exception()) is not None]
        if failed:
            # a connection error outranks a data error: the batch is retried whole, not row by row
            raise next((e for e in failed if not self._bad_row(e)), failed[0])
        return [f.result() for f in futures]

    def close(self) -> None:
        if self._shards is not None:
            self._shards.shutdown(wait=True)


STORE_TOPICS = (EVENTS_TOPIC, STORIES_TOPIC)


def make_loop(consumer, publisher: Publisher, repo: EventRepository, metrics: StoreMetrics, health,
              max_attempts: int, retry_s: float = 120.0, writers: int = 1) -> tuple[ConsumeLoop, StoreHandler]:
    handler = StoreHandler(repo, publisher, metrics, retry_s, writers)
    loop = ConsumeLoop(stage="store", consumer=consumer, publisher=publisher, handle=handler,
                       write_behind=handler.detach,
                       on_progress=(lambda: health.beat("store")) if health else None,
                       max_attempts=max_attempts, metrics=metrics)
    return loop, handler
