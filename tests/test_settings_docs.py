"""Like datasette's documentation tests: every setting is in the README's table, and every
variable in the table is a real setting."""

import re

from services.common.settings import CommonSettings
from services.extract.settings import ExtractSettings
from services.ingest.settings import IngestSettings
from services.store.settings import StoreSettings
from tests.conftest import ROOT

SETTINGS = (CommonSettings, IngestSettings, ExtractSettings, StoreSettings)


def _documented() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `(WIREWATCH_[A-Z0-9_]+)` \|", readme, re.MULTILINE))


def _defined() -> set[str]:
    return {f"WIREWATCH_{name.upper()}" for cls in SETTINGS for name in cls.model_fields}


def test_every_setting_is_documented():
    missing = _defined() - _documented()
    assert not missing, f"settings missing from the README table: {sorted(missing)}"


def test_every_documented_setting_exists():
    stale = _documented() - _defined()
    assert not stale, f"README documents settings that do not exist: {sorted(stale)}"


def test_only_settings_read_the_environment():
    offenders = []
    for path in (ROOT / "services").rglob("*.py"):
        src = path.read_text(encoding="utf-8")
        if re.search(r"os\.environ|os\.getenv", src):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"only the settings classes may read the environment: {offenders}"
