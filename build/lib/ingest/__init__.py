"""Markdown → validated records → SQLite ingest pipeline."""
