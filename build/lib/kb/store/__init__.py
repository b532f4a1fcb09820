"""Storage: engine, every SQLModel table, numbered migrations, the SQLite FTS5 layer, reads, writes, backup."""
