"""The store's settings: where the admin token comes from."""

from __future__ import annotations

import pytest

from services.store.settings import AdminTokenError, StoreSettings


def test_the_admin_token_comes_from_its_file_first(tmp_path, monkeypatch):
    assert StoreSettings().admin_token() is None  # unset: admin endpoints disabled
    monkeypatch.setenv("WIREWATCH_STORE_ADMIN_TOKEN", "from-env")
    assert StoreSettings().admin_token() == "from-env"
    secret = tmp_path / "token"
    secret.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("WIREWATCH_STORE_ADMIN_TOKEN_FILE", str(secret))
    assert StoreSettings().admin_token() == "from-file"


@pytest.mark.parametrize("content", [None, "\n", "   "])
def test_an_unusable_token_file_stops_the_store(tmp_path, monkeypatch, content):
    secret = tmp_path / "token"
    if content is not None:
        secret.write_text(content, encoding="utf-8")
    monkeypatch.setenv("WIREWATCH_STORE_ADMIN_TOKEN_FILE", str(secret))
    with pytest.raises(AdminTokenError, match="store_admin_token_file"):
        StoreSettings().admin_token()


def test_webhook_allowed_hosts_come_comma_separated_and_each_must_parse(monkeypatch):
    monkeypatch.setenv("WIREWATCH_STORE_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1:9, hooks.internal")
    assert StoreSettings().store_webhook_allowed_hosts == ("127.0.0.1:9", "hooks.internal")
    monkeypatch.setenv("WIREWATCH_STORE_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1:notaport")
    with pytest.raises(ValueError):
        StoreSettings()
