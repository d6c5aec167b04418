"""Store: events in, merged and queryable over HTTP."""
