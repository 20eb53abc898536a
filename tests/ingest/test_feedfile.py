"""RSS and Atom files as seeds (`ingest.feedfile`): told by their first bytes, read with feedparser, refused before
it sees them when they declare entities."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedsvc.errors import FeedFileError
from feedsvc.ingest.feedfile import FeedItem, _without_doctype, looks_like_feed, parse_feed

RDF = """<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://a.example/"><title>c</title><link>https://a.example/</link><description>d</description>
  </channel><item rdf:about="https://a.example/1"><title>RSS 1.0</title><link>https://a.example/1</link>
  <dc:date>2023-11-07T10:00:00Z</dc:date><dc:creator>记者</dc:creator><dc:subject>国际</dc:subject></item></rdf:RDF>""".encode()


@pytest.mark.parametrize(("head", "feed"), [
    (b'<?xml version="1.0"?>\n<rss version="2.0">', True), (b"  <feed xmlns='http://www.w3.org/2005/Atom'>", True),
    (b"<?xml version='1.0'?><!-- made by x --><!DOCTYPE rss><rss>", True), (RDF[:200], True),
    (b"<!--1699422424000-->\n[t](https://a.example/)", False), (b"---\ntitle: x\n---\n<rss>", False),
    (b"<html><body><rss>", False),
    # a prolog in any order: a comment after the doctype, a style sheet's processing instruction
    (b"<?xml version='1.0'?>\n<!DOCTYPE rss>\n<!-- generator -->\n<rss>", True),
    (b'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="s.xsl"?><feed>', True),
    (b"<!-- a --> not a comment --> <rss>", False),  # what ends a comment ends it
    (b"<!-- -->" * 512 + b"x", False),  # matched in linear time (nothing to backtrack into)
])
def test_a_feed_is_told_by_its_first_bytes(head: bytes, feed: bool) -> None:
    assert looks_like_feed(head) is feed


@pytest.mark.parametrize(("document", "without"), [
    (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//x//EN" "x.dtd"><rss/>', b'<?xml version="1.0"?><rss/>'),
    (b"<!DOCTYPE feed [ <!ELEMENT feed ANY> ]>\n<feed/>", b"\n<feed/>"),  # with its internal subset
    (b"<!DOCTYPE [" * 3 + b"<rss/>", b"<!DOCTYPE [" * 3 + b"<rss/>"),  # never closed: left as it is
])
def test_the_document_type_declaration_goes_before_feedparser_reads(document: bytes, without: bytes) -> None:
    assert _without_doctype(document) == without


def test_rss_1_items_with_their_date_author_and_subjects() -> None:
    (item,) = parse_feed(RDF)  # `dc:date` is an update date to feedparser (the parser takes either)
    assert item == FeedItem("RSS 1.0", "https://a.example/1", "", None, datetime(2023, 11, 7, 10, tzinfo=UTC),
                            "记者", ("国际",))


def test_an_item_without_its_own_update_date_has_none() -> None:
    rss = """<rss version="2.0"><channel><title>x</title><item><title>t</title><link>https://a.example/1</link>
      <pubDate>Mon, 06 Nov 2023 23:58:26 GMT</pubDate><description>&lt;p&gt;b&lt;/p&gt;</description>
      <category>政治</category><category></category></item></channel></rss>""".encode()
    (item,) = parse_feed(rss)
    assert item.published == datetime(2023, 11, 6, 23, 58, 26, tzinfo=UTC) and item.updated is None
    assert item.html == "<p>b</p>" and item.categories == ("政治",) and item.author is None


@pytest.mark.parametrize(("document", "reason"), [
    (b'<!DOCTYPE r [<!ENTITY a "x">]><rss version="2.0"><channel><item><title>&a;</title></item></channel></rss>',
     "declares XML entities"),
    (b'<rss version="2.0"><channel><title>empty</title></channel></rss>', "feed has no items"),
    (b"<rss version='2.0'>\x00\x01", "feed has no items"),
])
def test_a_refused_or_unreadable_feed_says_why(document: bytes, reason: str) -> None:
    with pytest.raises(FeedFileError, match=reason):
        parse_feed(document)
