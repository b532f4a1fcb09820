"""The record format: typed records, Markdown parsing with line numbers, validation rules and vocabularies."""
