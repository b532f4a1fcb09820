"""Search: hybrid FTS5 + dense retrieval with facets and snippets, the query glossary, any document collection."""
