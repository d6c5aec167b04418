"""The feeds registry: which feeds to poll, read from a YAML file."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field, field_validator


class Feed(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="Stable id, used as a metric label")
    url: str
    outlet: str
    language: str = "en"
    interval_s: float | None = Field(None, description="Override of the default poll interval")

    @field_validator("url")
    @classmethod
    def _http_only(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"feed URL must be http(s): {v!r}")
        return v


class FeedsFileError(ValueError):
    pass


def load_feeds(path: Path) -> list[Feed]:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FeedsFileError(f"cannot read feeds file {path}: {exc}") from exc
    items = raw.get("feeds") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise FeedsFileError(f"{path}: expected a list under 'feeds'")
    feeds = []
    for i, item in enumerate(items):
        try:
            feeds.append(Feed.model_validate(item))
        except Exception as exc:
            raise FeedsFileError(f"{path}: feed #{i + 1} is invalid: {exc}") from exc
    ids = [f.id for f in feeds]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise FeedsFileError(f"{path}: duplicate feed ids {sorted(dupes)}")
    return feeds


def dump_feeds(feeds: list[Feed], path: Path) -> None:
    data = {"feeds": [f.model_dump(exclude_none=True) for f in feeds]}
    Path(path).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
