"""Search: what a story's text and a query become for the index (`terms`), and the index itself, SQLite FTS5 in
the state directory, updated by each regeneration from what changed and read by `feedsvc serve` (`index`)."""
