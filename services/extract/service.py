"""The extract consumer: stories -> extractor -> events, committed only after the events are acknowledged."""

from __future__ import annotations

import importlib
import logging
import time

from services.common.contracts import EVENTS_TOPIC, Event, Story
from services.common.deadline import DeadlineExceeded, DeadlineWorker
from services.common.kafka import ConsumeLoop, PoisonMessage, Publisher
from services.common.language import detect_language, language_label

from .bounds import bound_event
from .extractor import Extractor, RuleExtractor
from .metrics import ExtractMetrics

log = logging.getLogger(__name__)


def load_extractor(spec: str) -> Extractor:
    if spec == "rules":
        return RuleExtractor()
    module, _, factory = spec.partition(":")
    if not factory:
        raise ValueError(f"extractor must be 'rules' or 'module:factory', got {spec!r}")
    return getattr(importlib.import_module(module), factory)()


class CountedExtract:
    """What the extract worker process runs: a story -> its events and the reasons of what was discarded
    (``bounds.REASONS``). An extractor with ``extract_counted`` reports its own; any other reports none here
    (the handler still bounds its events). Picklable, for the worker's ``spawn``."""

    def __init__(self, extractor: Extractor) -> None:
        self.extractor = extractor

    def warm(self) -> None:
        """Load what the extractor loads lazily (``warm()``, if it has one): run by the worker at start."""
        warm = getattr(self.extractor, "warm", None)
        if callable(warm):
            warm()

    def __call__(self, story: Story) -> tuple[list[Event], list[str]]:
        counted = getattr(self.extractor, "extract_counted", None)
        if counted is not None:
            events, discards = counted(story)
            return list(events), list(discards)
        return self.extractor.extract(story), []


DEFAULT_STORY_TIMEOUT_S = 30.0  # ExtractSettings.extract_story_timeout_s


class ExtractionTimeout(PoisonMessage):
    """A story's extraction ran over its budget: dead-lettered at once (a retry would run over again)."""

    kind = "timeout"


class ExtractHandler:
    """Extracts each story's events and sends them. Extraction runs in a worker process with a
    deadline (``services.common.deadline``): a story over ``story_timeout_s`` is stopped for real
    and dead-lettered with kind ``timeout``, and the next story gets a fresh worker. With ``warm``
    the worker starts at once and loads the extractor's data before its first story."""

    def __init__(self, extractor: Extractor, publisher: Publisher, metrics: ExtractMetrics,
                 story_timeout_s: float = DEFAULT_STORY_TIMEOUT_S, warm: bool = False) -> None:
        self.extractor = extractor
        self.publisher = publisher
        self.metrics = metrics
        self.events_published = 0
        self.worker = DeadlineWorker(CountedExtract(extractor), story_timeout_s, name="extract-worker", warm=warm)
        if warm:
            # started now, so that the extractor's data (the world gazetteer: seconds to load) is
            # loaded while the consumer joins its group, not while the first story that needs it waits
            self.worker.start()

    def __call__(self, record) -> None:
        if not record.value:
            raise PoisonMessage("empty message")
        story = Story.from_bytes(record.value)
        if story.duplicate_of:
            # the original's events stand for it; the store credits this outlet through duplicate_of
            self.metrics.stories.labels(result="duplicate_skipped").inc()
            return
        if not self._reads(story):
            return
        t0 = time.perf_counter()
        try:
            events, discards = self.worker.call(story)
        except DeadlineExceeded as exc:
            self.metrics.stories.labels(result="timeout").inc()
            raise ExtractionTimeout(f"extraction of story {story.story_id}: {exc}") from exc
        finally:
            self.metrics.duration.observe(time.perf_counter() - t0)
        for event in events:
            event, more = bound_event(event)  # any extractor's output: no figure downstream cannot hold
            discards = discards + more
            event.first_seen_at = event.first_seen_at or story.first_seen_at  # for the end-to-end latency
            self.publisher.send(EVENTS_TOPIC, event.event_id, event.to_bytes())
            self.metrics.events.labels(event_type=event.event_type).inc()
        for reason in discards:
            self.metrics.discarded.labels(reason=reason).inc()
        if discards:
            log.warning("story %s: discarded %s", story.story_id, ", ".join(sorted(set(discards))))
        self.events_published += len(events)
        self.metrics.stories.labels(result="with_events" if events else "no_events").inc()

    def close(self) -> None:
        self.worker.close()

    def _reads(self, story: Story) -> bool:
        """Whether the extractor reads the story's language. A story it cannot read yields no events, and says so:
        counted by language and logged, never silently empty."""
        languages = getattr(self.extractor, "languages", None)
        if not languages:
            return True  # an extractor that declares no languages reads them all
        text = story.text or story.summary or ""
        lang = story.language or detect_language(f"{story.title}. {text}")
        if lang is None or lang in languages:
            return True
        self.metrics.stories.labels(result="unsupported_language").inc()
        self.metrics.unsupported_language.labels(language=language_label(lang)).inc()
        log.info("story %s (%s) is in %r, which extractor %s does not read: no events", story.story_id,
                 story.outlet, lang, getattr(self.extractor, "name", "?"))
        return False


def make_loop(consumer, publisher: Publisher, extractor: Extractor, metrics: ExtractMetrics, health,
              max_attempts: int, story_timeout_s: float = DEFAULT_STORY_TIMEOUT_S,
              warm: bool = False) -> tuple[ConsumeLoop, ExtractHandler]:
    handler = ExtractHandler(extractor, publisher, metrics, story_timeout_s, warm)
    loop = ConsumeLoop(stage="extract", consumer=consumer, publisher=publisher, handle=handler,
                       on_progress=(lambda: health.beat("extract")) if health else None,
                       max_attempts=max_attempts, metrics=metrics)
    return loop, handler
