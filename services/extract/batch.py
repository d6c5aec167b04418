"""Batch mode: `wirewatch extract --input stories.jsonl --output events.jsonl`, without Kafka.

Streams line by line (constant memory), writes events in the events-topic format, reports bad
lines on stderr with their line number and carries on, and shows progress with throughput when
stderr is a terminal. Extraction runs in a worker process with a per-story deadline, as in the
service: a story over ``story_timeout_s`` is reported as a bad line and the run goes on.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pydantic import ValidationError

from services.common.contracts import Story
from services.common.deadline import DeadlineExceeded, DeadlineWorker

from .extractor import Extractor, RuleExtractor


def run_batch(input_path: Path, output_path: Path | None, extractor: Extractor | None = None,
              story_timeout_s: float = 30.0) -> int:
    worker = DeadlineWorker((extractor or RuleExtractor()).extract, story_timeout_s, name="extract-batch-worker")
    out = open(output_path, "w", encoding="utf-8") if output_path else sys.stdout  # noqa: SIM115
    tty = sys.stderr.isatty()
    started = time.monotonic()
    stories = events = bad = 0
    try:
        with open(input_path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    story = Story.model_validate_json(line)
                except ValidationError as exc:
                    bad += 1
                    print(f"{input_path}:{lineno}: not a story: {exc.errors()[0]['msg']}", file=sys.stderr)
                    continue
                stories += 1
                if story.duplicate_of:
                    continue
                try:
                    extracted = worker.call(story)
                except DeadlineExceeded as exc:
                    bad += 1
                    print(f"{input_path}:{lineno}: story {story.story_id}: extraction {exc}", file=sys.stderr)
                    continue
                for event in extracted:
                    out.write(event.model_dump_json() + "\n")
                    events += 1
                if tty and stories % 200 == 0:
                    rate = stories / max(1e-9, time.monotonic() - started)
                    print(f"\r{stories} stories, {events} events, {rate:.0f} stories/s", end="", file=sys.stderr)
    finally:
        worker.close()
        if output_path:
            out.close()
    rate = stories / max(1e-9, time.monotonic() - started)
    prefix = "\r" if tty else ""
    print(f"{prefix}{stories} stories, {events} events, {bad} bad lines, {rate:.0f} stories/s",
          file=sys.stderr)
    return 0 if not bad else 2
