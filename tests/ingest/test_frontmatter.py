"""ingest.frontmatter: Jekyll front matter read key by key, leniently (the invalid YAML real seeds hold), never
expanded (no anchors, aliases or tags)."""

from __future__ import annotations

from feedsvc.ingest.frontmatter import MAX_LINES, split_front_matter


def _values(block: str) -> dict[str, str | tuple[str, ...]]:
    found = split_front_matter(f"---\n{block}\n---\nrest\n")
    assert found is not None
    matter, rest = found
    assert rest == "rest\n"
    return dict(matter.values)


def test_strings_quoted_or_not_and_flow_lists() -> None:
    values = _values('layout: post\ntitle: "标题 \\"引号\\""\nauthor: 德国之声\nalias: \'it\'\'s\'\n'
                     "tags: [ 德国之声, \"a, b\", ]")
    assert values == {"layout": "post", "title": '标题 "引号"', "author": "德国之声", "alias": "it's",
                      "tags": ("德国之声", "a, b")}


def test_invalid_yaml_keeps_what_stands_between_the_outer_quotes() -> None:
    assert _values('title: "中国自研"鲲龙"AG600首飞"')["title"] == '中国自研"鲲龙"AG600首飞'


def test_block_lists_and_broken_lines() -> None:
    values = _values("categories:\n  - news\n  - \"航空\"\n  -  \nnot a key line\ndate: 2020-07-26")
    assert values == {"categories": ("news", "航空"), "date": "2020-07-26"}


def test_anchors_and_aliases_are_text_never_expanded() -> None:
    values = _values("a: &x [1, 2]\nb: *x\nc: !!python/object:os.system x")
    assert values == {"a": "&x [1, 2]", "b": "*x", "c": "!!python/object:os.system x"}


def test_text_and_items_read_either_shape() -> None:
    found = split_front_matter("---\ntags: [a, b]\ntitle: t\nempty: ''\n---\n")
    assert found is not None
    matter, rest = found
    assert rest == ""
    assert (matter.text("tags"), matter.items("tags")) == ("a, b", ("a", "b"))
    assert (matter.text("title"), matter.items("title")) == ("t", ("t",))
    assert matter.items("empty") == () and matter.text("missing") is None and matter.items("missing") == ()


def test_what_is_not_front_matter() -> None:
    assert split_front_matter("<!--1-->\n[t](u)\n") is None  # a feedx item
    assert split_front_matter("---\ntitle: t\nno closing line\n") is None
    assert split_front_matter("---\ntitle: t\n---text on the closing line") is None
    assert split_front_matter("---\n" + "k: v\n" * (MAX_LINES + 1) + "---\n") is None  # too long to be one


def test_a_closing_line_at_the_very_end() -> None:
    found = split_front_matter("---\ntitle: t\n---")
    assert found is not None and found[0].text("title") == "t" and found[1] == ""


def test_a_flow_list_splits_at_commas_outside_quotes_as_the_expression_did() -> None:
    """Split where an even number of `"` follows the comma (what `,(?=(?:[^"]*"[^"]*")*[^"]*$)` did, reading the
    rest of the line for every comma: quadratic in a list of many tags)."""
    import random
    import re

    from feedsvc.ingest.frontmatter import _outside_quotes

    pattern = re.compile(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")
    rng = random.Random(20261205)
    for _ in range(3000):
        inner = "".join(rng.choice([",", '"', "a", " ", "字", "'"]) for _ in range(rng.randint(0, 12)))
        assert _outside_quotes(inner) == pattern.split(inner), inner


def test_a_list_of_many_tags_keeps_them_all_in_order() -> None:
    tags = [f"标签{n}" for n in range(100_000)]
    assert _values("tags: [ " + ", ".join(tags) + " ]")["tags"] == tuple(tags)
