"""feedsvc: re-publish a directory of scraped news seeds as clean, valid feeds and a site to read them in."""

__version__ = "0.1.0"
