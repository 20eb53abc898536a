"""The OPML subscription list and the human index page. Pure: built from the feeds, escaped, deterministic."""

from __future__ import annotations

from html import escape

from feedsvc import __version__
from feedsvc.model import Feed
from feedsvc.text import collapse_space, strip_xml_illegal


def _x(value: str) -> str:
    return escape(collapse_space(strip_xml_illegal(value)), quote=True)


def render_opml(title: str, feeds: list[Feed]) -> bytes:
    """OPML 2.0 listing every feed, for one-click subscription in a feed reader."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_x(title)}</title>",
        "  </head>",
        "  <body>",
    ]
    for feed in feeds:
        lines.append(
            f'    <outline type="rss" text="{_x(feed.title)}" title="{_x(feed.title)}" '
            f'xmlUrl="{_x(feed.self_url)}" htmlUrl="{_x(feed.alternate_url)}"'
            + (f' language="{_x(feed.language)}"' if feed.language else "") + "/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def render_index(title: str, subtitle: str, opml_url: str, feeds: list[Feed]) -> bytes:
    """A plain page listing the feeds (title, entry count, newest entry), with autodiscovery links for each."""
    discovery = "\n".join(
        f'<link rel="alternate" type="application/atom+xml" title="{_x(f.title)}" href="{_x(f.self_url)}">'
        for f in feeds)
    rows = []
    for feed in feeds:
        newest = feed.newest.strftime("%Y-%m-%d %H:%M UTC") if feed.newest else "—"
        rows.append(
            f'<tr><td><a href="{_x(feed.self_url)}">{_x(feed.title)}</a></td>'
            f'<td class="n">{feed.entry_count}</td><td>{newest}</td>'
            f'<td><code>{_x(feed.self_url)}</code></td></tr>')
    body = "\n".join(rows)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="feedsvc {__version__}">
<title>{_x(title)}</title>
{discovery}
<link rel="alternate" type="text/x-opml" title="All feeds (OPML)" href="{_x(opml_url)}">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }}
td.n {{ text-align: right; }}
code {{ font-size: .85em; word-break: break-all; }}
</style>
</head>
<body>
<h1>{_x(title)}</h1>
<p>{_x(subtitle)}</p>
<p>Paste a feed's address into your feed reader, or import <a href="{_x(opml_url)}">every feed as OPML</a>.</p>
<table>
<thead><tr><th>Feed</th><th>Entries</th><th>Newest entry</th><th>Address</th></tr></thead>
<tbody>
{body}
</tbody>
</table>
</body>
</html>
"""
    return page.encode("utf-8")
