"""Wirewatch: news feeds in, ACLED-style conflict events out."""

__version__ = "0.1.0"
