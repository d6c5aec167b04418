"""Settings of the extract service."""

from __future__ import annotations

from pydantic import Field

from services.common.settings import CommonSettings


class ExtractSettings(CommonSettings):
    extract_group_id: str = Field("wirewatch-extract", description="Consumer group of the extract service")
    extract_extractor: str = Field(
        "rules", description="Extractor plug-in: 'rules' or a 'module:factory' path returning an Extractor"
    )
