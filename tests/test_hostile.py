"""Hostile and broken seeds: each is reported with its file and reason, everything else is published intact,
and the published feeds stay well-formed and safe whatever the seeds hold."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import feedparser
import html5lib
import lxml.etree
import pytest

from feedsvc.pipeline import regenerate
from feedsvc.settings import Settings
from tests.conftest import NOW, SAMPLES, XSS, needs_xss
from tests.feedcheck import hostile_findings

GOOD = (SAMPLES / "002_7e59d68a7c4f54af.txt").read_bytes()
ATOM = "{http://www.w3.org/2005/Atom}"


def seed(title: str, link: str, body: str, header: str = "1699315145000") -> bytes:
    return f"<!--{header}-->\n[{title}]({link})\n------\n\n{body}\n".encode("utf-8", "surrogatepass")


BAD_SEEDS: dict[str, tuple[bytes, str]] = {
    "empty.md": (b"", "empty file"),
    "blank.md": (b"  \n\t \n", "whitespace only"),
    "binary.md": (b"\x7fELF\x02\x01\x01\x00\x00\x00" * 50, "binary file"),
    "undecodable.md": (b"<!--1-->\n[t](https://x.example/a)\n------\n\n" + b"\xff\xfe\x80" * 200,
                       "neither UTF-8, GB18030 nor Big5"),
    "header-only.md": (b"<!--1699315145000-->\n", "header comment without a body"),
    "body-only.md": (b"<p>an article body without any header</p>\n", "not a seed"),
    "yaml-bomb.md": (b'---\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a]\n'
                     b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n---\n<p>x</p>\n",
                     "front matter without a `from:` link"),
    "huge.md": (b"<!--1-->\n[t](https://x.example/a)\n------\n\n" + b"x" * 6_000_000, "size limit"),
    "js-link.md": (seed("t", "javascript:alert(document.cookie)", "<p>x</p>"), "no absolute http(s) link"),
    "data-link.md": (seed("t", "data:text/html,<script>alert(1)</script>", "<p>x</p>"), "no absolute http(s) link"),
}


@pytest.fixture
def hostile_dir(make_settings) -> Settings:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings()
    (settings.seeds_dir / "good.txt").write_bytes(GOOD)
    for name, (data, _) in BAD_SEEDS.items():
        (settings.seeds_dir / name).write_bytes(data)
    return settings


def test_each_bad_seed_is_reported_and_the_good_one_published(hostile_dir: Settings) -> None:
    report = regenerate(hostile_dir, NOW)
    reasons = {p.path: p.reason for p in report.skipped}
    for name, (_, reason) in BAD_SEEDS.items():
        assert reason in reasons.get(name, ""), (name, reasons.get(name))
    assert report.entries == 1
    assert report.seeds == len(BAD_SEEDS) + 1
    assert feedparser.parse((hostile_dir.output_dir / "all.atom").read_bytes()).entries[0].title.startswith("美中")


def test_python_tags_in_front_matter_are_only_text(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    marker = settings.seeds_dir.parent / "pwned"
    (settings.seeds_dir / "tag.md").write_text(
        f'---\ntitle: !!python/object/apply:os.system ["touch {marker}"]\nauthor: !!python/name:os.system\n'
        "from: https://www.voachinese.com/a/1.html\n---\n<!--1699315145000-->\n"
        "[](https://www.voachinese.com/a/1.html)\n------\n\n<p>x</p>\n", encoding="utf-8")
    report = regenerate(settings, NOW)
    assert report.entries == 1 and not marker.exists()
    title = feedparser.parse((settings.output_dir / "all.atom").read_bytes()).entries[0].title
    assert title == f'!!python/object/apply:os.system ["touch {marker}"]', "the tag is the title's text"


def test_special_files_are_never_opened(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    (settings.seeds_dir / "good.txt").write_bytes(GOOD)
    os.mkfifo(settings.seeds_dir / "fifo.md")
    outside = tmp_path / "outside.txt"
    outside.write_bytes(GOOD.replace(b"7343844", b"9999999"))
    (settings.seeds_dir / "escape.md").symlink_to(outside)
    (settings.seeds_dir / "inside.md").symlink_to(settings.seeds_dir / "good.txt")
    (settings.seeds_dir / "looks-like-a-seed.md").mkdir()
    (settings.seeds_dir / "looks-like-a-seed.md" / "real.txt").write_bytes(GOOD.replace(b"7343844", b"7777777"))
    (settings.seeds_dir / ".hidden.md").write_bytes(GOOD)
    (settings.seeds_dir / "draft.md.swp").write_bytes(b"\x00swap")
    (settings.seeds_dir / "upload.part").write_bytes(b"partial")
    report = regenerate(settings, NOW)  # would block forever if it opened the FIFO for reading
    reasons = {p.path: p.reason for p in report.skipped}
    assert "FIFO" in reasons["fifo.md"]
    assert "outside the seeds directory" in reasons["escape.md"]
    assert reasons[".hidden.md"] == "hidden file"
    assert reasons["draft.md.swp"] == reasons["upload.part"] == "editor or partial file"
    assert len(reasons) == 5
    assert report.entries == 2  # good.txt (also linked as inside.md) and the seed inside the odd directory


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    locked = settings.seeds_dir / "locked.md"
    locked.write_bytes(GOOD)
    locked.chmod(0)
    report = regenerate(settings, NOW)
    assert "cannot be read" in {p.path: p.reason for p in report.skipped}["locked.md"]


def test_unreadable_file_as_any_user(make_settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The same path for root, whom permissions do not stop: the open itself is refused."""
    settings = make_settings()
    (settings.seeds_dir / "locked.md").write_bytes(GOOD)
    (settings.seeds_dir / "open.md").write_bytes(GOOD.replace(b"7343844", b"1"))
    real_open = os.open

    def refuse(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith("locked.md"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("feedsvc.ingest.scan.os.open", refuse)
    report = regenerate(settings, NOW)
    assert {p.path: p.reason for p in report.skipped} == {"locked.md": "cannot be read: Permission denied"}
    assert report.entries == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_device_file_is_never_opened(make_settings) -> None:  # type: ignore[no-untyped-def]
    import stat

    settings = make_settings()
    (settings.seeds_dir / "good.txt").write_bytes(GOOD)
    os.mknod(settings.seeds_dir / "zero.md", 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # like /dev/zero: endless
    report = regenerate(settings, NOW)
    assert "device" in {p.path: p.reason for p in report.skipped}["zero.md"]
    assert report.entries == 1


def test_odd_file_names(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    (settings.seeds_dir / "with\nnewline.md").write_bytes(GOOD)
    (settings.seeds_dir / "with spaces and 中文 .md").write_bytes(GOOD.replace(b"7343844", b"1"))
    bad_name = os.fsencode(settings.seeds_dir) + b"/bad-\xff\xfe.md"
    with open(bad_name, "wb") as handle:
        handle.write(GOOD.replace(b"7343844", b"2"))
    report = regenerate(settings, NOW)
    assert report.entries == 2
    (problem,) = report.skipped
    assert "not valid UTF-8" in problem.reason
    lines = report.skipped_lines()
    assert len(lines) == 1 and "\n" not in lines[0] and "\\udcff" not in lines[0]


HOSTILE_TITLES = [
    "]]></title><script>alert(1)</script>", "</title><script>alert(1)</script><title>", "a\x00b\x01c\x1bd",
    "lone \ud800 surrogate", "right\u202eto\u202dleft", "<![CDATA[x]]>", "&lt;b&gt;bold&lt;/b&gt; &amp;amp;",
    "\ufffe\uffff nonchar", "x" * 5000,
]


def _published_entries(settings: Settings) -> list[lxml.etree._Element]:
    entries = []
    for path in [settings.output_dir / "all.atom", *(settings.output_dir / "sources").glob("*.atom")]:
        tree = lxml.etree.parse(str(path), lxml.etree.XMLParser(resolve_entities=False, no_network=True))
        entries.extend(tree.getroot().iter(f"{ATOM}entry"))
    return entries


def _assert_safe(settings: Settings) -> None:
    entries = _published_entries(settings)
    assert entries
    for entry in entries:
        link = entry.find(f"{ATOM}link").get("href")
        assert re.match(r"^https?://", link), link
        content = entry.find(f"{ATOM}content")
        if content is not None:
            assert hostile_findings(content.text or "") == []
        title = entry.findtext(f"{ATOM}title") or ""
        assert "\u202e" not in title and "\x00" not in title


def test_hostile_titles_links_and_front_matter(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    for number, title in enumerate(HOSTILE_TITLES):
        data = seed(title.replace("\n", " "), f"https://www.voachinese.com/a/{number}.html?x=<script>",
                    f"<p>{title}</p>")
        (settings.seeds_dir / f"{number}.md").write_bytes(data)
    (settings.seeds_dir / "fm.md").write_text(
        '---\ntitle: "<script>alert(1)</script>"\nauthor: "</name><script>x</script>"\n'
        "tags: [ <img src=x onerror=alert(1)>, \"]]>\" ]\nfrom: https://www.rfa.org/a.html\n---\n"
        "<!--NaN-->\n[<svg onload=alert(1)>](https://www.rfa.org/a.html)\n------\n\n<p>x</p>\n", encoding="utf-8")
    # Its only date is the file's mtime: make it the run's `now`, or the test depends on the day it runs.
    os.utime(settings.seeds_dir / "fm.md", (NOW.timestamp(), NOW.timestamp()))
    report = regenerate(settings, NOW)
    assert [(p.path, p.reason) for p in report.skipped] == [("2.md", "binary file (NUL bytes), not a text seed")]
    assert report.entries == len(HOSTILE_TITLES)  # every other one, and the front-matter one
    _assert_safe(settings)
    assert feedparser.parse((settings.output_dir / "all.atom").read_bytes()).bozo == 0


@needs_xss
def test_every_xss_vector_in_bodies_and_titles(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(max_entries=1000)
    vectors = json.loads(XSS.read_text(encoding="utf-8"))
    for number, vector in enumerate(vectors):
        title = " ".join(vector.split())[:300] or "x"
        data = seed(title, f"https://www.rfa.org/mandarin/{number}.html", f"<div>{vector}</div><p>尾</p>")
        (settings.seeds_dir / f"{number}.txt").write_bytes(data)
    report = regenerate(settings, NOW)
    assert report.entries + len(report.skipped) == len(vectors)
    _assert_safe(settings)
    for path in [settings.output_dir / "all.atom", *(settings.output_dir / "sources").glob("*.atom")]:
        assert feedparser.parse(path.read_bytes()).bozo == 0
    index = (settings.output_dir / "index.html").read_text(encoding="utf-8")
    assert hostile_findings(html5lib.serialize(page_body(index))) == []


def _elements_in(text: str) -> list[str]:
    """The elements an HTML parser makes of `text` (none, for a field that holds plain text safely)."""
    fragment = html5lib.parseFragment(text, treebuilder="etree", namespaceHTMLElements=False)
    return [str(element.tag) for element in fragment.iter() if isinstance(element.tag, str)][1:]


@needs_xss
def test_every_format_is_safe_read_as_its_readers_read_it(make_settings) -> None:  # type: ignore[no-untyped-def]
    """Each vector as a title, as article markup, and as article text (so that the summary quotes it), and each
    field of each format read the way readers of that format read it: RSS readers read `description` as HTML and
    many read `title` and `dc:creator` as HTML; Atom's text constructs and JSON Feed's `title` and `summary` are
    plain text by their specifications, and must be the story's text exactly; HTML fields must be safe."""
    settings = make_settings(max_entries=2000, formats=("atom", "rss", "json"))
    vectors = json.loads(XSS.read_text(encoding="utf-8"))
    for number, vector in enumerate(vectors):
        title = " ".join(vector.split())[:300] or "x"
        quoted = html.escape(vector.replace("\x00", ""), quote=False)
        (settings.seeds_dir / f"{number}.txt").write_bytes(seed(
            title, f"https://www.rfa.org/mandarin/{number}.html", f"<div>{vector}</div><p>尾</p>"))
        (settings.seeds_dir / f"{number}-text.txt").write_bytes(seed(
            "引 " + title, f"https://www.rfa.org/mandarin/t{number}.html", f"<p>正文引用：{quoted}</p>"))
    regenerate(settings, NOW)
    rss = lxml.etree.parse(str(settings.output_dir / "all.rss"), lxml.etree.XMLParser(resolve_entities=False))
    items = rss.getroot().findall("channel/item")
    assert len(items) > len(vectors)
    markup_in_summaries = 0
    for item in items:
        for field in ("title", "{http://purl.org/dc/elements/1.1/}creator"):
            assert _elements_in(item.findtext(field) or "") == [], (field, item.findtext(field))
        description = item.findtext("description") or ""
        assert hostile_findings(description) == [], description
        markup_in_summaries += "&lt;" in description
    assert markup_in_summaries > 100, "the quoted vectors reach the summaries, escaped"
    atom = {e.findtext(f"{ATOM}id"): e for e in _published_entries(settings)}
    document = json.loads((settings.output_dir / "all.json").read_bytes())
    for item in document["items"]:
        assert hostile_findings(item.get("content_html", "")) == []
        entry = atom[item["id"]]
        atom_title = entry.find(f"{ATOM}title")
        text = html.unescape(atom_title.text or "") if atom_title.get("type") == "html" else atom_title.text
        assert item["title"] == text  # the same words, whatever form Atom carries them in
        assert item.get("summary", "") == (entry.findtext(f"{ATOM}summary") or "")
    opml = lxml.etree.parse(str(settings.output_dir / "feeds.opml"))
    assert all(_elements_in(o.get("text", "")) == [] for o in opml.getroot().iter("outline"))
    pages = list(settings.output_dir.rglob("*.html"))
    assert any(p.is_relative_to(settings.output_dir / "stories") for p in pages)
    for page in pages:  # the listings, the archive's pages and every story page
        assert hostile_findings(html5lib.serialize(page_body(page.read_bytes()))) == [], page


def page_body(page: str | bytes) -> object:
    """A page's body without the search box every page carries (a form of feedsvc's own, not a seed's)."""
    body = html5lib.parse(page).find("{http://www.w3.org/1999/xhtml}body")
    for form in body.findall("{http://www.w3.org/1999/xhtml}form"):
        if form.get("class") == "search" and form.get("action", "").endswith("search"):
            body.remove(form)
    return body
