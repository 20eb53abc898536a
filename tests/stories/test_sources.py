"""stories.sources: the source a link belongs to (its host or a parent domain, the longest name winning), a source
of its own for a host no source names, and names that only repeat a source."""

from __future__ import annotations

from feedsvc.model import Source
from feedsvc.stories.sources import SourceCatalog, derived_slug, names_source

DW = Source("dw", "德国之声", hosts=("dw.com",), aliases=("DW 中文", "Deutsche Welle"))
DW_ZH = Source("dw-zh", "德国之声中文", hosts=("zh.dw.com",))
CATALOG = SourceCatalog((DW, DW_ZH, Source("example-com", "Example", hosts=("other.example",))))


def test_a_host_and_its_subdomains_belong_to_the_longest_name() -> None:
    assert CATALOG.for_link("https://www.dw.com/zh/a-1") is DW
    assert CATALOG.for_link("https://dw.com/a") is DW
    assert CATALOG.for_link("https://news.zh.dw.com/a") is DW_ZH
    assert CATALOG.for_link("https://notdw.com/a").slug == "notdw-com"  # a suffix of the text is not a domain


def test_an_unknown_host_gets_a_source_of_its_own() -> None:
    source = CATALOG.for_link("https://www.bbc.co.uk/zhongwen/simp/x")
    assert (source.slug, source.name, source.homepage) == ("bbc-co-uk", "bbc.co.uk", "https://www.bbc.co.uk/")
    assert source.rules == DW.rules.__class__()  # no rules of its own


def test_a_derived_slug_never_takes_a_configured_one() -> None:
    assert CATALOG.for_link("https://example.com/a").slug == "example-com-site"


def test_derived_slug() -> None:
    assert derived_slug("www.example.co.uk") == "example-co-uk"
    assert derived_slug("M.Example.COM") == "example-com"
    assert derived_slug("www2.x.example") == "x-example"
    assert derived_slug("") == "unknown"


def test_names_that_only_repeat_the_source() -> None:
    assert names_source(DW, " 德国之声 ") and names_source(DW, "DW") and names_source(DW, "deutsche welle")
    assert not names_source(DW, "德国之声记者") and not names_source(DW, "")
