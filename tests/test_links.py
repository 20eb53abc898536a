"""links: an article's canonical link, the key that merges copies, stable entry ids, any URL made absolute and
valid, and the image proxy unwrapped (`url_date` is tested with the dates, `ingest/test_dates.py`)."""

from __future__ import annotations

import pytest

from feedsvc.links import absolute, canonical_link, entry_id, host_of, link_key, unwrap_proxy


@pytest.mark.parametrize(("url", "canonical"), [
    ("HTTPS://WWW.DW.com:443/zh/a-1?utm_source=x&id=2&fbclid=y#top", "https://www.dw.com/zh/a-1?id=2"),
    ("http://www.rfi.fr//cn//x", "http://www.rfi.fr/cn/x"),
    ("http://example.com:8080", "http://example.com:8080/"),
    ("https://例子.测试/路径 空格", "https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84%20%E7%A9%BA%E6%A0%BC"),
    ("https://x.example/%e4%b8%ad", "https://x.example/%E4%B8%AD"),
    ("https://[::1]:8443/a", "https://[::1]:8443/a"),
    ("ftp://x.example/a", None),
    ("javascript:alert(1)", None),
    ("https://x.example/a\nb", None),
    ("https://bad host/a", None),
    ("", None),
])
def test_canonical_link(url: str, canonical: str | None) -> None:
    assert canonical_link(url) == canonical


def test_http_and_https_copies_are_one_story_with_one_stable_id() -> None:
    plain = canonical_link("http://www.voachinese.com/a/1.html")
    secure = canonical_link("https://www.voachinese.com/a/1.html")
    assert plain is not None and secure is not None
    assert link_key(plain) == link_key(secure) == "www.voachinese.com/a/1.html"
    assert entry_id(plain) == entry_id(secure) != entry_id("https://www.voachinese.com/a/2.html")
    # Published ids never change, on any machine: readers key their read state on them
    assert entry_id(secure) == "urn:uuid:77ec710a-8267-5f86-abf3-b8b084715235"


def test_host_of() -> None:
    assert host_of("https://WWW.DW.COM:443/x") == "www.dw.com"
    assert host_of("not a url") == ""


@pytest.mark.parametrize(("url", "target"), [
    ("https://images.weserv.nl/?url=https://www.dw.com/a.jpg", "https://www.dw.com/a.jpg"),
    ("https://images.weserv.nl?url=ssl:www.rfa.org/b.png&w=600", "https://www.rfa.org/b.png"),
    ("https://wsrv.nl/?url=//cdn.example/c.gif", "https://cdn.example/c.gif"),
    ("https://images.weserv.nl/?url=/host.example/d.jpg", "https://host.example/d.jpg"),
    ("https://images.weserv.nl/?w=600", "https://images.weserv.nl/?w=600"),  # nothing to unwrap
    ("https://other.example/?url=https://x.example/e.jpg", "https://other.example/?url=https://x.example/e.jpg"),
])
def test_unwrap_proxy(url: str, target: str) -> None:
    assert unwrap_proxy(url) == target


@pytest.mark.parametrize(("url", "base", "result"), [
    ("/zh/a-1", "https://www.dw.com/zh/", "https://www.dw.com/zh/a-1"),
    ("b.html", "https://x.example/dir/a.html", "https://x.example/dir/b.html"),
    ("https://x.example/a b/中", "", "https://x.example/a%20b/%E4%B8%AD"),
    ("https://例子.测试/a", "", "https://xn--fsqu00a.xn--0zwm56d/a"),
    ("https://x.example/?q=%E4%B8%AD&r=1#f", "", "https://x.example/?q=%E4%B8%AD&r=1#f"),  # a valid URI stays
    ("mailto:a@x.example", "", "mailto:a@x.example"),
    ("javascript:alert(1)", "https://x.example/", None),
    ("data:text/html,x", "", None),
    ("//evil.example/x", "", None),  # no scheme to take it from
    ("https://www.economist.comhttps://open.spotify.com/show/3a5n", "https://www.economist.com/a",
     "https://open.spotify.com/show/3a5n"),  # a link the publisher took for a relative one: glued to its address
    ("http://http://x.example/a", "", "http://x.example/a"),
    ("https://web.archive.org/web/2020/https://x.example/", "", "https://web.archive.org/web/2020/https://x.example/"),
    ("https://x.example/?u=https://y.example/", "", "https://x.example/?u=https://y.example/"),
])
def test_absolute(url: str, base: str, result: str | None) -> None:
    assert absolute(url, base) == result
