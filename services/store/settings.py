"""Settings of the store service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from services.common.addresses import AllowedHost
from services.common.settings import CommonSettings


class StoreSettings(CommonSettings):
    store_database_url: str | None = Field(
        None, description="Events database URL (default: SQLite `store.db` in the data directory; "
                          "postgresql://... in production)"
    )
    store_group_id: str = Field("wirewatch-store", description="Consumer group of the store service")
    store_api_host: str = Field("127.0.0.1", description="Address the HTTP API binds")
    store_api_port: int = Field(8000, description="Port of the HTTP API (0: pick a free one)")
    store_api_max_limit: int = Field(1000, description="Largest page size the API returns")
    store_write_retry_s: float = Field(
        120.0, description="How long a batch write is retried while the database is unreachable before the "
                           "store exits (the batch is uncommitted and replayed on restart)"
    )
    store_writers: int = Field(
        2, ge=1, le=4, description="PostgreSQL transactions that write a batch at once, each for its own "
                                    "provinces and event types, 1-4 (SQLite: always one)"
    )
    store_live_max_streams: int = Field(
        20, ge=1, description="Live update streams (GET /events/stream) one API process keeps open at once"
    )
    store_live_poll_ms: int = Field(
        1000, ge=100, description="How often each live stream looks for new or changed events, in ms"
    )
    store_admin_token: SecretStr | None = Field(
        None, description="Bearer token for admin endpoints (POST /admin/rebuild, reviews); unset: admin disabled"
    )
    store_admin_token_file: Path | None = Field(
        None, description="File holding the admin token (a mounted Secret), read at start; a trailing newline is "
                          "not part of it; wins over store_admin_token"
    )

    store_webhook_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Comma-separated `host` or `host:port` webhook targets that may be loopback or private; "
                        "link-local and cloud metadata addresses are never called"
    )
    store_webhook_max_attempts: int = Field(5, ge=1, le=20, description="Attempts per webhook delivery")
    store_webhook_backoff_s: float = Field(
        1.0, gt=0, description="First retry delay of a delivery; doubles per attempt (full jitter, at most 300 s)"
    )
    store_webhook_disable_after: int = Field(
        5, ge=1, description="Failed deliveries in a row after which a saved search is disabled"
    )
    store_webhook_timeout_s: float = Field(10.0, gt=0, description="Timeout of one webhook request")
    store_webhook_concurrency: int = Field(4, ge=1, le=64, description="Saved searches delivered to at once")
    store_webhook_poll_s: float = Field(1.0, gt=0, description="How often the dispatcher reads the change feed")

    @field_validator("store_webhook_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        """A comma-separated string (as in the environment) or a sequence; each entry must parse."""
        if isinstance(value, str):
            entries = [e.strip() for e in value.split(",") if e.strip()]
        elif isinstance(value, list | tuple):
            entries = [str(e) for e in value]
        else:
            return value
        for entry in entries:
            AllowedHost.parse(entry)
        return tuple(entries)

    def admin_token(self) -> str | None:
        """The admin token, from its file if one is set; ``AdminTokenError`` for a file that cannot
        be read or holds no token (a misconfiguration, not "admin disabled")."""
        path = self.store_admin_token_file
        if path is not None:
            try:
                token = path.read_text(encoding="utf-8").rstrip("\r\n")
            except (OSError, UnicodeDecodeError) as exc:
                raise AdminTokenError(f"store_admin_token_file {path} cannot be read: {exc}") from exc
            if not token.strip():
                raise AdminTokenError(f"store_admin_token_file {path} is empty")
            return token
        return self.store_admin_token.get_secret_value() if self.store_admin_token else None


class AdminTokenError(ValueError):
    """The admin token file is set but unusable: the store refuses to start."""

    kind = "admin_token"
