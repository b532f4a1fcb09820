"""Hour-by-hour profiles, dispatch and PED classification (8,760 hours)."""
