"""`rolewatch serve`: a small read-only web view of sources, events, posting history and feeds."""
