"""feedsvc: re-publish a directory of scraped news seeds as clean, valid Atom feeds."""

__version__ = "0.1.0"
