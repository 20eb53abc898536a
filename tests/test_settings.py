"""Settings: precedence, validation messages that name the file, the key and the value, the shipped config."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from feedsvc.errors import ConfigError
from feedsvc.settings import _RULE_KEYS, _SOURCE_KEYS, Settings, check_rules, embedded_config_text, load_settings
from tests.conftest import ROOT, corpus_files, needs_corpus

SHIPPED = ROOT / "config" / "feedsvc.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feedsvc.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_equals_the_embedded_default() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == embedded_config_text(), \
        "config/feedsvc.toml and feedsvc/default.toml must be the same file: copy one over the other"


def test_shipped_config_documents_every_setting() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    for name in Settings.__dataclass_fields__:
        if name not in ("sources", "filters", "topics", "image_referers", "config_path"):
            assert f"\n{name} = " in text, f"config/feedsvc.toml does not show {name}"
    assert "[image_referers]" in text
    defaults, shipped = Settings(), load_settings(SHIPPED, environ={})
    for name in Settings.__dataclass_fields__:
        if name not in ("sources", "filters", "config_path"):
            assert getattr(defaults, name) == getattr(shipped, name), f"{name}: the file shows another default"


def test_the_docs_describe_every_setting() -> None:
    """docs/configuration.md is where an operator looks a setting up: each one is in its table (or, for the tables
    of sources and filters, its sections), and so is every key of a source and of its cleaning rules."""
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    names = [n for n in Settings.__dataclass_fields__ if n not in ("sources", "filters", "topics", "image_referers",
                                                                    "config_path")]
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"docs/configuration.md does not describe {missing}"
    assert "[sources.<slug>]" in text and "[filters.<feed>]" in text and "[image_referers]" in text
    assert "[topics.<slug>]" in text
    for key in (*_SOURCE_KEYS, *_RULE_KEYS):
        assert f"`{key}`" in text, f"docs/configuration.md does not describe the source key {key}"


def test_precedence_defaults_file_environment_flags(tmp_path: Path) -> None:
    path = write(tmp_path, 'max_entries = 50\nbase_url = "https://file.example/"\ntitle = "from file"\n')
    settings = load_settings(path, overrides={"base_url": "https://flag.example/"},
                             environ={"FEEDSVC_MAX_ENTRIES": "500", "FEEDSVC_BASE_URL": "https://env.example/"})
    assert settings.max_entries == 500
    assert settings.base_url == "https://flag.example/"
    assert settings.title == "from file"
    assert settings.summary_chars == 300


def test_a_file_names_only_what_it_changes_and_the_shipped_sources_stay(tmp_path: Path) -> None:
    """A configuration file of a few lines keeps every shipped source, their names, languages and rules."""
    shipped = load_settings(SHIPPED, environ={}).sources
    assert len(shipped) == 20
    assert load_settings(write(tmp_path, "max_entries = 5\n"), environ={}).sources == shipped


def test_a_source_of_the_file_changes_the_shipped_one_of_its_slug_key_by_key(tmp_path: Path) -> None:
    """The values it gives replace the shipped ones (a list whole), in their place; what it does not give stays,
    cleaning rules included; a new source follows the shipped ones, and a host it names is its own."""
    from feedsvc.stories.sources import SourceCatalog

    shipped = load_settings(SHIPPED, environ={}).sources
    shipped_dw = next(s for s in shipped if s.slug == "dw")
    path = write(tmp_path, '[sources.dw]\nname = "DW"\n[sources.dw.clean]\ndrop_selectors = [".promo"]\n'
                           '[sources.voa-en]\nname = "VOA English"\nhosts = ["voanews.com"]\n')
    sources = load_settings(path, environ={}).sources
    slugs = [s.slug for s in sources]
    assert slugs == [s.slug for s in shipped] + ["voa-en"]
    dw = sources[slugs.index("dw")]
    assert shipped_dw.name != "DW" and shipped_dw.rules.drop_selectors != (".promo",)
    assert dw == replace(shipped_dw, name="DW", rules=replace(shipped_dw.rules, drop_selectors=(".promo",)))
    assert dw.rules.drop_paragraphs and dw.language == "zh-Hant"
    assert [s for s in sources if s.slug not in ("dw", "voa-en")] == [s for s in shipped if s.slug != "dw"]
    catalog = SourceCatalog(sources)
    assert catalog.for_link("https://www.voanews.com/a/1.html").slug == "voa-en"
    assert catalog.for_link("https://www.voachinese.com/a/1.html").slug == "voa"


def test_a_source_of_the_file_is_checked_as_the_file_gives_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sources\.dw\.clean\.drop_selectors: .* must be a list"):
        load_settings(write(tmp_path, '[sources.dw.clean]\ndrop_selectors = ".promo"\n'), environ={})
    with pytest.raises(ConfigError, match=r"sources\.new\.name"):
        load_settings(write(tmp_path, '[sources.new]\nhosts = ["new.example"]\n'), environ={})


def test_no_file_uses_the_embedded_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.config_path == "(embedded default config)"
    assert settings.source_by_slug("dw") is not None


@pytest.mark.parametrize(("text", "environ", "message"), [
    ("max_entries = 0\n", {}, "max_entries: 0 must be greater than 0"),
    ('max_entries = "ten"\n', {}, "max_entries: 'ten' is not a valid int"),
    ("colour = 1\n", {}, "colour: unknown key"),
    ('base_url = "ftp://x"\n', {}, "base_url: 'ftp://x' must be an absolute http(s) URL"),
    ("max_entries = [\n", {}, "not valid TOML"),
    ("", {"FEEDSVC_PORT": "http"}, "port: 'http' is not a valid int"),
    ("", {"FEEDSVC_NOPE": "1"}, "FEEDSVC_NOPE: unknown setting"),
    ('[sources.x]\nname = "X"\nhosts = "x.com"\n', {}, "sources.x.hosts: 'x.com' must be a list of strings"),
    ('[sources.x]\nname = "X"\n[sources.x.clean]\ndrop_selectors = ["p[["]\n', {}, "sources.x.clean.drop_selectors"),
    ('[sources.x]\nname = "X"\n[sources.x.clean]\ndrop_paragraphs = ["(unclosed"]\n', {}, "not a valid regular"),
    ('[sources.X]\nname = "X"\n', {}, "not a valid slug"),
    ('[sources.x]\nname = "X"\nlanguage = "chinese!"\n', {}, "must be a language tag"),
    ('base_url = "https://feeds.example.org/?x=1"\n', {}, "base_url: 'https://feeds.example.org/?x=1' must have no "
     "query or fragment"),
    ('base_url = "https://feeds.example.org/#top"\n', {}, "must have no query or fragment"),
    ('base_url = "https://feeds.example.org/?"\n', {}, "must have no query or fragment"),
    ('[sources.dw.clean]\ndrop_selector = ".ad"\n', {},
     "sources.dw.clean.drop_selector: unknown key; did you mean 'drop_selectors'?"),
    ('[sources.dw]\nname = "DW"\nhost = ["dw.com"]\n', {}, "sources.dw.host: unknown key; did you mean 'hosts'?"),
    ("max_entry = 5\n", {}, "max_entry: unknown key; did you mean 'max_entries'?"),
    ('[sources.x]\nname = "X"\n[sources.x.clean]\ndrop_selectors = ["a:contains(\'x\')"]\n', {},
     "is not valid: :contains() is not supported here; use drop_xpaths"),
    ('[filters.all]\nexclude_titel = ["x"]\n', {}, "did you mean 'exclude_title'?"),
    ("", {"FEEDSVC_MAX_ENTRY": "5"}, "FEEDSVC_MAX_ENTRY: unknown setting; did you mean FEEDSVC_MAX_ENTRIES?"),
])
def test_invalid_values_name_file_key_and_value(tmp_path: Path, text: str, environ: dict[str, str],
                                                 message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=environ)
    assert message in str(caught.value)
    origin = "environment" if environ and not text else str(path)
    assert str(caught.value).startswith(origin)


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings(tmp_path / "absent.toml", environ={})


@needs_corpus
def test_every_corpus_source_has_a_table_entry() -> None:
    from feedsvc.ingest.parse import split_link_line
    from feedsvc.links import canonical_link
    from feedsvc.stories.sources import SourceCatalog

    catalog = SourceCatalog(load_settings(SHIPPED, environ={}).sources)
    unknown = set()
    for path in corpus_files():
        text = path.read_text(encoding="utf-8")
        urls = [split_link_line(line) for line in text.splitlines()]
        found = next((u[1] for u in urls if u), None) or next(
            (line[5:].strip() for line in text.splitlines() if line.startswith("from:")), "")
        link = canonical_link(found)
        assert link, path.name
        source = catalog.for_link(link)
        if source.hosts == ():
            unknown.add(source.slug)
    assert unknown == set()


def test_every_setting_declares_what_it_affects() -> None:
    """A new setting must say whether it changes cleaning (cache fingerprint), output (run signature) or neither;
    otherwise changing it could leave stale cached entries or stale published files."""
    from dataclasses import fields

    from feedsvc.settings import AFFECTS

    undeclared = [f.name for f in fields(Settings) if f.metadata.get("affects") not in AFFECTS]
    assert not undeclared, f"declare what these settings affect (CLEANING, OUTPUT or RUNTIME): {undeclared}"


def test_fingerprint_and_signature_follow_the_declarations(make_settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from feedsvc.images.policy import ImagePolicy
    from feedsvc.ingest.scan import ScanResult
    from feedsvc.pipeline import fingerprint, signature

    settings: Settings = make_settings()
    prints, files = fingerprint(settings), ScanResult({}, ())
    assert fingerprint(replace(settings, summary_chars=99)) != prints  # cleaning
    assert fingerprint(replace(settings, max_entries=7)) == prints  # output only
    origin = ImagePolicy()
    assert signature(replace(settings, max_entries=7), prints, files, origin) != \
        signature(settings, prints, files, origin)
    assert signature(replace(settings, port=1), prints, files, origin) == \
        signature(settings, prints, files, origin)  # runtime
    keyed = ImagePolicy("self", prefix=settings.base_url, key=b"k" * 32)
    assert signature(settings, prints, files, keyed) != signature(settings, prints, files, origin)
    assert signature(settings, prints, files, ImagePolicy("self", prefix=settings.base_url, key=b"j" * 32)) != \
        signature(settings, prints, files, keyed)  # another key: other URLs


@pytest.mark.parametrize(("key", "bad"), [("drop_paragraphs", "(未闭合"), ("strip_text", "[a"),
                                          ("drop_selectors", "p[["), ("drop_xpaths", "//p[(")])
def test_cleaning_rules_are_compiled_when_asked_and_named_when_bad(tmp_path: Path, key: str, bad: str) -> None:
    path = write(tmp_path, f'[sources.ex]\nname = "Ex"\n[sources.ex.clean]\n{key} = ["{bad}"]\n')
    settings = load_settings(path, environ={}, rules=False)  # a run with nothing to do never compiles them
    source = settings.source_by_slug("ex")
    assert source is not None and getattr(source.rules, key) == (bad,)
    for failing in (lambda: check_rules(settings), lambda: load_settings(path, environ={})):
        with pytest.raises(ConfigError, match=rf"sources\.ex\.clean\.{key}: .* is not"):
            failing()


def test_title_affixes_are_compiled_with_the_cleaning_rules(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources.ex]\nname = "Ex"\ntitle_affixes = ["\\\\s+-\\\\s+RFI$", "(未闭合"]\n')
    settings = load_settings(path, environ={}, rules=False)
    source = settings.source_by_slug("ex")
    assert source is not None and source.title_affixes[1] == "(未闭合"
    for failing in (lambda: check_rules(settings), lambda: load_settings(path, environ={})):
        with pytest.raises(ConfigError, match=r"sources\.ex\.title_affixes: '\(未闭合' is not a valid regular"):
            failing()
