"""The `wirewatch` command: run the whole pipeline, or one service, or a tool."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_run(args) -> int:
    from services.common.gc_tuning import tune_gc
    from services.run import RunOptions, run

    tune_gc()
    content = None
    if args.seeds:
        from services.fixturesite.seeds import load_seeds

        content = load_seeds(Path(args.seeds))
    return run(RunOptions(once=args.once, feeds_file=Path(args.feeds) if args.feeds else None, content=content))


def _cmd_service(args) -> int:
    from services.common.gc_tuning import tune_gc
    from services.standalone import run_service

    tune_gc()
    return run_service(args.command, once=getattr(args, "once", False))


def _cmd_extract(args) -> int:
    if args.input:
        from services.extract.batch import run_batch

        return run_batch(Path(args.input), Path(args.output) if args.output else None)
    return _cmd_service(args)


def _cmd_schemas(args) -> int:
    from services.common import contracts
    from services.store.api import OPENAPI_PATH, openapi_document

    documents = {contracts.schema_path(t): contracts.render_schema(t) for t in contracts.CONTRACTS}
    documents[OPENAPI_PATH] = openapi_document()
    if args.write:
        contracts.SCHEMA_DIR.mkdir(exist_ok=True)
        for path, body in documents.items():
            path.write_text(body, encoding="utf-8")
            print(f"wrote {path}")
        return 0
    stale = [p for p, body in documents.items() if not p.exists() or p.read_text(encoding="utf-8") != body]
    for path in stale:
        print(f"out of date: {path} (run `wirewatch schemas --write`)")
    return 1 if stale else 0


def _cmd_feeds(args) -> int:
    from services.ingest.cli import list_feeds

    return list_feeds(Path(args.file) if args.file else None)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wirewatch", description="News feeds in, ACLED-style conflict events out.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run broker, fixture feeds, ingest, extract, store and API in one process")
    r.add_argument("--once", action="store_true", help="process everything available, print a summary, exit")
    r.add_argument("--feeds", help="poll the feeds in this YAML file instead of the bundled demo site")
    r.add_argument("--seeds", help="serve the real seed articles from this directory instead of the demo set")
    r.set_defaults(func=_cmd_run)

    i = sub.add_parser("ingest", help="run the ingest service (needs WIREWATCH_KAFKA_BOOTSTRAP)")
    i.add_argument("--once", action="store_true", help="poll every feed once and exit")
    i.set_defaults(func=_cmd_service)

    e = sub.add_parser("extract", help="run the extract service, or extract a file of stories (--input)")
    e.add_argument("--input", help="stories JSONL (stories-topic format); runs without Kafka")
    e.add_argument("--output", help="events JSONL to write (default: standard output)")
    e.set_defaults(func=_cmd_extract)

    s = sub.add_parser("store", help="run the store service and its HTTP API")
    s.set_defaults(func=_cmd_service)

    f = sub.add_parser("feeds", help="list the feeds with their polling health")
    f.add_argument("--file", help="feeds YAML (default: WIREWATCH_INGEST_FEEDS_FILE)")
    f.set_defaults(func=_cmd_feeds)

    sc = sub.add_parser("schemas", help="check (default) or --write the message JSON Schemas and the OpenAPI document")
    sc.add_argument("--write", action="store_true")
    sc.set_defaults(func=_cmd_schemas)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
