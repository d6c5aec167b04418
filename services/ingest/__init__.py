"""Ingest: poll feeds, fetch articles, extract text, deduplicate, publish stories."""
