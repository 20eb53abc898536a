"""Checks every published feed must pass: the RFC 4287 schema (jing), the W3C Feed Validation Service's validator
(0 errors, 0 warnings but the documented ones), feedparser without bozo, the JSON Feed 1.1 schema; and archive
chains that hold every story exactly once. Each check that needs a tool absent here is skipped with the reason."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import urllib.request  # noqa: F401  # the validator's URL mode expects it imported first
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import feedparser
import html5lib
import jsonschema
import lxml.etree
import pytest

from tests.conftest import ATOM_RNC, SHARED

JING = shutil.which("jing")
VALIDATOR = SHARED / "w3c-feedvalidator"
JSON_SCHEMA = json.loads((Path(__file__).parent / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
ATOM_NS = "{http://www.w3.org/2005/Atom}"
HISTORY_NS_TAG = "{http://purl.org/syndication/history/1.0}archive"
EXPECTED_WARNINGS = frozenset({"DuplicateUpdated", "ArchiveIncomplete"})
"""`DuplicateUpdated`: two stories that honestly share one instant (a magazine's whole edition, stamped at once,
with no better time in the seed); feedsvc does not invent times to silence it. `ArchiveIncomplete`: a feed whose
history is one archive document has no other archive to link to; RFC 5005 asks for no link there, the validator
expects one."""

needs_validator = pytest.mark.skipif(
    not (VALIDATOR / "feedvalidator").is_dir(),
    reason=f"the W3C feed validator is not beside this clone ({VALIDATOR}); it is there in CI")


@contextmanager
def _loopback_only() -> Iterator[None]:
    """The validator resolves e-mail domains and lets expat fetch external entities: no name resolves here."""
    real = socket.getaddrinfo, socket.gethostbyname

    def refuse(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("localhost", "127.0.0.1", "::1"):
            return real[0](host, *args, **kwargs)
        raise socket.gaierror(f"{host}: no network in tests")

    socket.getaddrinfo = refuse
    socket.gethostbyname = refuse
    try:
        yield
    finally:
        socket.getaddrinfo, socket.gethostbyname = real


def w3c_problems(path: Path, url: str, excused: frozenset[str] = EXPECTED_WARNINGS) -> list[str]:
    """The validator's errors and warnings for the feed at `path` (published at `url`), as `kind: name` lines,
    without the `excused` warnings."""
    if str(VALIDATOR) not in sys.path:
        sys.path.insert(0, str(VALIDATOR))
    import feedvalidator
    from feedvalidator import logging as events

    with _loopback_only(), path.open("rb") as handle:
        logged = feedvalidator.validateStream(handle, firstOccurrenceOnly=1, base=url)["loggedEvents"]
    problems = []
    for event in logged:
        name = type(event).__name__
        if isinstance(event, events.Error):
            problems.append(f"error: {name} {event.params}")
        elif isinstance(event, events.Warning) and name not in excused:
            problems.append(f"warning: {name} {event.params}")
    return problems


def feed_files(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*") if p.suffix in (".atom", ".rss", ".json") and p.is_file())


def assert_valid(output: Path, base_url: str, *, w3c: bool = True) -> None:
    """Every feed file below `output` passes every check available here."""
    files = feed_files(output)
    atoms = [p for p in files if p.suffix == ".atom"]
    if JING and atoms:
        result = subprocess.run([JING, "-c", str(ATOM_RNC), *map(str, atoms)], capture_output=True, text=True,
                                check=False)
        assert result.returncode == 0, result.stdout + result.stderr
    for path in files:
        if path.suffix == ".json":
            document = json.loads(path.read_bytes())
            jsonschema.validate(document, JSON_SCHEMA)
            ids = [item["id"] for item in document["items"]]
        else:
            parsed = feedparser.parse(path.read_bytes())
            assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
            ids = [e.id for e in parsed.entries]
        assert len(ids) == len(set(ids)), f"{path}: duplicate ids"
        if w3c and path.suffix != ".json" and (VALIDATOR / "feedvalidator").is_dir():
            url = base_url + str(path.relative_to(output))
            assert w3c_problems(path, url) == [], path


def chain(output: Path, base_url: str, stem: str, extension: str) -> list[Path]:
    """The documents of one feed, from its subscription document along `prev-archive` (RFC 5005)."""
    documents, seen = [], set()
    path: Path | None = output / (stem + extension)
    while path is not None:
        assert path not in seen, f"{path}: the archive chain loops"
        seen.add(path)
        documents.append(path)
        path = _prev(path, output, base_url)
    return documents


def _prev(path: Path, output: Path, base_url: str) -> Path | None:
    if path.suffix == ".json":
        url = json.loads(path.read_bytes()).get("next_url")
    elif path.suffix == ".atom":
        links = lxml.etree.parse(str(path)).getroot().findall(f"{ATOM_NS}link[@rel='prev-archive']")
        url = links[0].get("href") if links else None
    else:
        links = lxml.etree.parse(str(path)).getroot().findall(f"channel/{ATOM_NS}link[@rel='prev-archive']")
        url = links[0].get("href") if links else None
    if url is None:
        return None
    assert isinstance(url, str) and url.startswith(base_url), url
    return output / url[len(base_url):]


def entry_ids(path: Path) -> list[str]:
    if path.suffix == ".json":
        return [item["id"] for item in json.loads(path.read_bytes())["items"]]
    return [e.id for e in feedparser.parse(path.read_bytes()).entries]


SCRIPTABLE = {"script", "iframe", "object", "embed", "frame", "frameset", "applet", "svg", "math", "style",
               "meta", "base", "link", "form", "input", "button", "textarea", "select", "template", "noscript",
               "xml", "import", "portal", "video", "audio", "source", "set", "animate", "handler"}
BAD_URL = re.compile(r"^\s*(javascript|vbscript|data|livescript|mocha|jar):", re.IGNORECASE)


def hostile_findings(html: str) -> list[str]:
    """What in `html` could run script or leave the page: scriptable elements, event handlers, styles, script URLs."""
    findings = []
    for element in html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False).iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        local = tag.rsplit("}", 1)[-1].lower()
        if local in SCRIPTABLE:
            findings.append(f"<{local}>")
        for raw_name, value in element.attrib.items():
            name = str(raw_name).rsplit("}", 1)[-1].lower()
            if name.startswith("on") or name in ("style", "srcdoc", "formaction", "xlink:href"):
                findings.append(f"attribute {name}")
            if name in ("href", "src", "action", "poster", "background", "lowsrc", "dynsrc") and \
                    BAD_URL.match(re.sub(r"[\x00-\x20]", "", str(value))):
                findings.append(f"{name}={value[:30]}")
    return findings
