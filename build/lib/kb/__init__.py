"""ATELIER PED knowledge base: records, storage, search, replication, lessons and briefs."""
