"""Settings of the extract service."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.common.settings import CommonSettings


class ExtractSettings(CommonSettings):
    extract_group_id: str = Field("wirewatch-extract", description="Consumer group of the extract service")
    extract_extractor: str = Field(
        "rules", description="Extractor plug-in: 'rules' or a 'module:factory' path returning an Extractor"
    )
    cache_dir: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "wirewatch",
        description="Directory for the world gazetteer's index, built on first use (~20 s) and read in 0.3 s after; "
                    "an unwritable one keeps it in memory")
    extract_story_timeout_s: float = Field(
        30.0, gt=0, description="Longest extraction of one story; a story over it is dead-lettered (kind "
                                "'timeout') and the worker process running it is replaced")
    extract_warm_at_start: bool = Field(
        True, description="Start the extraction worker at once and load the extractor's data (the world gazetteer) "
                          "before the first story, instead of on the first story that needs it")
