"""The versions of what the cache and the published files were made by: a change of one makes the affected seeds
be parsed and cleaned again (`pipeline.fingerprint`) or the documents rendered again (`output.plan`). Here, not in
the stages, so that a run that finds nothing to do never imports them."""

PARSER_VERSION = "4"
"""Bump when parsing gives other results for the same seed, so cached entries are parsed again."""
CLEANER_VERSION = "21"
"""Bump when the cleaner's output changes, so cached entries are cleaned again."""
