"""Settings of the store service."""

from __future__ import annotations

from pydantic import Field, SecretStr

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
        None, description="Bearer token for admin endpoints (POST /admin/rebuild); unset: admin disabled"
    )

    def admin_token(self) -> str | None:
        return self.store_admin_token.get_secret_value() if self.store_admin_token else None
