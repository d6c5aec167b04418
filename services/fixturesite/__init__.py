"""A local news site serving real or demo articles as feeds and pages, for `wirewatch run` and tests."""

from .server import Article, ContentSet, FixtureSite, Outlet, QuietServer, load_demo

__all__ = ["Article", "ContentSet", "FixtureSite", "Outlet", "QuietServer", "load_demo"]
