"""Briefs: the document model, numbered sources, replication and plan briefs, Markdown/HTML/PDF/DOCX renderers."""
