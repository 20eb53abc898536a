"""The output side: what each feed holds (`plan`, `archive`), what an entry shows (`body`), one renderer per
format (`syndication` for Atom and RSS, `jsonfeed`), the pages for people (`pages`), and `publish`."""
