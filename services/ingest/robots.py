"""robots.txt for article pages (RFC 9309), fetched through the same careful fetcher and cached per
origin. A 4xx means no rules; a 5xx or a network failure means "disallow everything" for a short
while, as the RFC asks, and the story is then published from the feed's own text."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from .fetch import Fetcher, FetchError, HttpStatusError

OK_TTL_S = 24 * 3600.0
ERROR_TTL_S = 600.0
MAX_ROBOTS_BYTES = 512_000


class RobotsCache:
    def __init__(self, fetcher: Fetcher, user_agent: str) -> None:
        self.fetcher = fetcher
        self.user_agent = user_agent
        self._cache: dict[str, tuple[RobotFileParser | None, bool, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:  # one robots.txt request per origin, however many articles wait for it
            entry = self._cache.get(origin)
            if entry is None or entry[2] < time.monotonic():
                entry = await self._load(origin)
                self._cache[origin] = entry
        parser, allow_all, _ = entry
        if parser is None:
            return allow_all
        return parser.can_fetch(self.user_agent, url)

    async def _load(self, origin: str) -> tuple[RobotFileParser | None, bool, float]:
        now = time.monotonic()
        try:
            res = await self.fetcher.get(f"{origin}/robots.txt", max_bytes=MAX_ROBOTS_BYTES)
        except HttpStatusError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return None, True, now + OK_TTL_S  # no robots.txt: no rules
            return None, False, now + ERROR_TTL_S
        except FetchError:
            return None, False, now + ERROR_TTL_S
        parser = RobotFileParser()
        parser.parse(res.body.decode("utf-8", "replace").splitlines())
        return parser, True, now + OK_TTL_S
