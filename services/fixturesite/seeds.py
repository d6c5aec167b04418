"""The five real seed articles as a content set, read at run time from ``shared/seeds``.

Outlets and publication dates come from the table in ``shared/seeds/README.md``; nothing from
the seeds is copied into the project.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from .server import Article, ContentSet, Outlet

_ROW = re.compile(r"^\|\s*(\d{3}_[0-9a-f]+\.txt)\s*\|\s*([^|]+?)\s*\|\s*(\d{4}-\d{2}-\d{2})\s*\|")


def _outlet_id(name: str) -> str:
    base = re.sub(r"\(.*?\)|,.*$", "", name).strip()
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")


def load_seeds(seeds_dir: Path) -> ContentSet:
    readme = (seeds_dir / "README.md").read_text(encoding="utf-8")
    outlets: dict[str, Outlet] = {}
    articles = []
    for line in readme.splitlines():
        m = _ROW.match(line)
        if not m:
            continue
        filename, outlet_name, published = m.groups()
        oid = _outlet_id(outlet_name)
        outlets.setdefault(oid, Outlet(id=oid, name=re.sub(r"\s*\(.*?\)|,.*$", "", outlet_name).strip()))
        raw = (seeds_dir / filename).read_text(encoding="utf-8")
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", raw) if p.strip()]
        title = paragraphs[0] if len(paragraphs[0]) < 120 and not paragraphs[0].endswith(".") else \
            paragraphs[0][:80].rsplit(" ", 1)[0]
        body = paragraphs[1:] if title == paragraphs[0] else paragraphs
        articles.append(Article(outlet=oid, slug=filename.removesuffix(".txt"), title=title,
                                published=datetime.fromisoformat(published).replace(hour=6, tzinfo=UTC),
                                body=body))
    if not articles:
        raise FileNotFoundError(f"no seed articles listed in {seeds_dir / 'README.md'}")
    return ContentSet(list(outlets.values()), articles)
