"""`feedsvc serve`: the daemon that watches the seeds, and what it serves over HTTP (feeds, metrics, WebSub)."""
