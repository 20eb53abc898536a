"""One validated settings object: built-in defaults < config file < FEEDSVC_* environment < command-line flags."""

from __future__ import annotations

import functools
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feedsvc.errors import ConfigError
from feedsvc.model import FILTER_FIELDS, CleanRules, Source, StoryFilter, Topic

DEFAULT_CONFIG_PATH = Path("config/feedsvc.toml")
ENV_PREFIX = "FEEDSVC_"


CLEANING = "cleaning"
"""Changes what parsing or cleaning gives: part of the cache fingerprint, so a change re-cleans every seed."""
OUTPUT = "output"
"""Changes the published files but not what is cached: part of the run signature, so a change re-renders."""
RUNTIME = "runtime"
"""Changes neither: where and how feedsvc runs."""
AFFECTS = (CLEANING, OUTPUT, RUNTIME)


def _setting(default: Any, affects: str) -> Any:
    return field(default=default, metadata={"affects": affects})


@dataclass(frozen=True)
class Settings:
    """Every setting feedsvc reads. `config/feedsvc.toml` documents each one. Each field says what it affects
    (`CLEANING`, `OUTPUT` or `RUNTIME`), so the cache and the published files can never go stale."""

    seeds_dir: Path = _setting(Path("seeds"), RUNTIME)
    output_dir: Path = _setting(Path("public"), RUNTIME)
    state_dir: Path = _setting(Path("var"), RUNTIME)
    base_url: str = _setting("http://127.0.0.1:8080/", OUTPUT)
    title: str = _setting("feedsvc: all sources", OUTPUT)
    subtitle: str = _setting("Articles from every source, cleaned and de-duplicated", OUTPUT)
    max_entries: int = _setting(100, OUTPUT)
    max_seed_bytes: int = _setting(5_000_000, CLEANING)
    unwrap_image_proxy: bool = _setting(True, CLEANING)
    summary_chars: int = _setting(300, CLEANING)
    ignore_categories: tuple[str, ...] = _setting(("news",), CLEANING)
    future_tolerance_hours: int = _setting(48, CLEANING)
    url_date_tolerance_days: int = _setting(3, CLEANING)
    learned_rules: bool = _setting(True, OUTPUT)
    learned_rules_share: float = _setting(0.1, OUTPUT)
    learned_rules_min_stories: int = _setting(5, OUTPUT)
    min_seed_ratio: float = _setting(0.5, RUNTIME)
    workers: int = _setting(0, RUNTIME)
    host: str = _setting("127.0.0.1", RUNTIME)
    port: int = _setting(8080, RUNTIME)
    watch: str = _setting("auto", RUNTIME)
    poll_seconds: float = _setting(1.0, RUNTIME)
    settle_seconds: float = _setting(0.5, RUNTIME)
    rescan_minutes: float = _setting(60.0, RUNTIME)
    health_max_age_minutes: float = _setting(1440.0, RUNTIME)
    cache_max_age: int = _setting(60, RUNTIME)
    formats: tuple[str, ...] = _setting(("atom", "rss", "json"), OUTPUT)
    archives: bool = _setting(True, OUTPUT)
    archive_split_entries: int = _setting(500, OUTPUT)
    chinese_variants: tuple[str, ...] = _setting((), OUTPUT)
    websub_hubs: tuple[str, ...] = _setting((), OUTPUT)
    sources: tuple[Source, ...] = _setting((), CLEANING)
    """Cleaning, except each source's `SOURCE_OUTPUT_KEYS` (see `cleaning_values`)."""
    filters: tuple[StoryFilter, ...] = _setting((), OUTPUT)
    topics: tuple[Topic, ...] = _setting((), OUTPUT)
    image_mode: str = _setting("origin", OUTPUT)
    image_url_template: str = _setting("", OUTPUT)
    image_proxy_key: str = _setting("", OUTPUT)
    image_cache_mb: int = _setting(1024, RUNTIME)
    image_max_bytes: int = _setting(10_000_000, RUNTIME)
    image_timeout_seconds: float = _setting(10.0, RUNTIME)
    image_retry_minutes: float = _setting(10.0, RUNTIME)
    image_host_fetches: int = _setting(4, RUNTIME)
    image_private_networks: bool = _setting(False, RUNTIME)
    image_prefetch: bool = _setting(False, RUNTIME)
    image_referers: tuple[tuple[str, str], ...] = _setting((), RUNTIME)
    """(host, Referer) pairs: the image proxy sends that Referer to that host (and its subdomains)."""
    search: bool = _setting(True, RUNTIME)
    request_timeout_seconds: float = _setting(5.0, RUNTIME)
    max_connections: int = _setting(1000, RUNTIME)
    config_path: str = _setting("(built-in defaults)", RUNTIME)

    def source_by_slug(self, slug: str) -> Source | None:
        return next((s for s in self.sources if s.slug == slug), None)


def affecting(kind: str) -> tuple[str, ...]:
    """The names of the settings that affect `kind` (`CLEANING`, `OUTPUT` or `RUNTIME`), in declaration order."""
    return tuple(f.name for f in fields(Settings) if f.metadata.get("affects") == kind)


SOURCE_OUTPUT_KEYS = ("language",)
"""Keys of a source that change only the published files (the feed's language, and so which Chinese variants it
gets): a change re-renders, never re-cleans."""


def cleaning_values(settings: Settings) -> tuple[object, ...]:
    """What the cache fingerprint covers: every CLEANING setting, sources without their output keys."""
    blank: dict[str, Any] = dict.fromkeys(SOURCE_OUTPUT_KEYS)
    return tuple(tuple(replace(s, **blank) for s in settings.sources) if name == "sources"
                 else getattr(settings, name) for name in affecting(CLEANING))


def output_values(settings: Settings) -> tuple[object, ...]:
    """What the run signature covers besides the fingerprint: every OUTPUT setting and the sources' output keys."""
    sources = tuple((s.slug, *(getattr(s, key) for key in SOURCE_OUTPUT_KEYS)) for s in settings.sources)
    return (*(getattr(settings, name) for name in affecting(OUTPUT)), sources)


_TABLES = ("sources", "filters", "topics", "image_referers")
_SCALARS = frozenset(f.name for f in fields(Settings) if f.name not in (*_TABLES, "config_path"))
FORMAT_NAMES = ("atom", "rss", "json")
VARIANT_TAGS = ("zh-Hans", "zh-Hant")


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _non_negative(value: float) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an absolute http(s) URL"
    return None


def _base_url(value: str) -> str | None:
    """Every published URL is `base_url` and a path: a query or a fragment would end up in the middle of them."""
    problem = _http_url(value)
    if problem is None and (urlsplit(value).query or urlsplit(value).fragment or "?" in value or "#" in value):
        return "must have no query or fragment (feed URLs are made by appending paths to it)"
    return problem


def _nearest(key: str, known: Iterable[str]) -> str | None:
    """The known name closest to a misspelt `key` (`drop_selector` → `drop_selectors`), if one is close."""
    import difflib  # only for a message

    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
    return close[0] if close else None


def _unknown(key: str, known: Iterable[str], what: str = "unknown key") -> str:
    """`what`, and the nearest known name when one is close."""
    nearest = _nearest(key, known)
    return f"{what}; did you mean {nearest!r}?" if nearest else what


IMAGE_MODES = ("origin", "keep", "template", "self")


def _image_template(template: str) -> str | None:
    if "{url}" not in template:
        return "must contain {url}, where the image's URL goes"
    parts = urlsplit(template.replace("{url}", "x"))
    return None if parts.scheme in ("http", "https") and parts.hostname else "must be an absolute http(s) URL"


def _referers(value: Any, origin: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(origin, "image_referers", 'must be a table of "host" = "Referer URL"')
    pairs = []
    for host, referer in value.items():
        if not isinstance(referer, str) or _http_url(referer):
            raise ConfigError(origin, f"image_referers.{host}", f"{referer!r} must be an absolute http(s) URL")
        pairs.append((host.lower().strip("."), referer))
    return tuple(sorted(pairs))


def _ratio(value: float) -> str | None:
    return None if 0 <= value <= 1 else "must be between 0 and 1"


def _port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else "must be a port number (0-65535)"


_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "base_url": _base_url,
    "max_entries": _positive,
    "max_seed_bytes": _positive,
    "summary_chars": _positive,
    "future_tolerance_hours": _non_negative,
    "url_date_tolerance_days": _non_negative,
    "min_seed_ratio": _ratio,
    "learned_rules_share": _ratio,
    "learned_rules_min_stories": _positive,
    "workers": _non_negative,
    "port": _port,
    "poll_seconds": _positive,
    "settle_seconds": _non_negative,
    "rescan_minutes": _positive,
    "health_max_age_minutes": _positive,
    "cache_max_age": _non_negative,
    "archive_split_entries": _positive,
    "image_cache_mb": _positive,
    "image_max_bytes": _positive,
    "image_timeout_seconds": _positive,
    "image_retry_minutes": _non_negative,
    "image_host_fetches": _positive,
    "request_timeout_seconds": _positive,
    "max_connections": _positive,
}

_KIND = {
    "seeds_dir": "path",
    "output_dir": "path",
    "state_dir": "path",
    "ignore_categories": "list",
    "formats": "list",
    "chinese_variants": "list",
    "websub_hubs": "list",
}


def _choices(allowed: tuple[str, ...], *, empty: bool) -> Callable[[tuple[str, ...]], str | None]:
    def check(values: tuple[str, ...]) -> str | None:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            return f"has {', '.join(map(repr, unknown))}: each must be one of {', '.join(allowed)}"
        if len(set(values)) != len(values):
            return "names a value twice"
        return None if values or empty else "must name at least one"

    return check


_CHECKS["formats"] = _choices(FORMAT_NAMES, empty=False)
_CHECKS["watch"] = lambda mode: None if mode in ("auto", "events", "poll") else "must be auto, events or poll"
_CHECKS["chinese_variants"] = _choices(VARIANT_TAGS, empty=True)
_CHECKS["image_mode"] = lambda mode: None if mode in IMAGE_MODES else "must be " + ", ".join(IMAGE_MODES[:-1]) + \
    f" or {IMAGE_MODES[-1]}"
_CHECKS["image_url_template"] = lambda template: _image_template(template) if template else None
_CHECKS["image_proxy_key"] = lambda key: None if not key or len(key) >= 16 else \
    "is too short: use 16 characters or more (or leave it empty: a key is generated in state_dir)"
_CHECKS["websub_hubs"] = lambda hubs: next((f"has {hub!r}: {problem}" for hub in hubs
                                           if (problem := _http_url(hub))), None)


def _kind(name: str) -> str:
    if name in _KIND:
        return _KIND[name]
    default = getattr(Settings(), name)
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    return "str"


def _coerce(name: str, value: Any, origin: str, *, from_text: bool) -> Any:
    """Convert one raw value to the setting's type, or raise a ConfigError naming origin, key and value."""
    kind = _kind(name)
    bad = f"{value!r} is not a valid {kind}"
    try:
        if kind == "bool":
            if from_text:
                lowered = str(value).strip().lower()
                if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError
                value = lowered in ("1", "true", "yes", "on")
            elif not isinstance(value, bool):
                raise ValueError
        elif kind == "int":
            if isinstance(value, bool) or (not from_text and not isinstance(value, int)):
                raise ValueError
            value = int(value)
        elif kind == "float":
            if isinstance(value, bool) or (not from_text and not isinstance(value, (int, float))):
                raise ValueError
            value = float(value)
        elif kind == "list":
            if from_text:
                value = tuple(part.strip() for part in str(value).split(",") if part.strip())
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                value = tuple(value)
            else:
                raise ValueError
        elif kind == "path":
            if not isinstance(value, (str, Path)) or not str(value).strip():
                raise ValueError
            value = Path(value)
        elif not isinstance(value, str):
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(origin, name, bad) from None
    check = _CHECKS.get(name)
    problem = check(value) if check else None
    if problem:
        raise ConfigError(origin, name, f"{value!r} {problem}")
    return value


_SOURCE_KEYS = {"name", "hosts", "homepage", "language", "aliases", "title_affixes", "clean"}
_RULE_FIELDS = tuple(f.name for f in fields(CleanRules))
_RULE_KEYS = set(_RULE_FIELDS)


def _str_list(value: Any, origin: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(origin, key, f"{value!r} must be a list of strings")
    return tuple(value)


def _regexes(value: Any, origin: str, key: str) -> tuple[str, ...]:
    return _compiled(_str_list(value, origin, key), origin, key)


def _compiled(patterns: tuple[str, ...], origin: str, key: str) -> tuple[str, ...]:
    """`patterns`, once each is known to compile."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(origin, key, f"{pattern!r} is not a valid regular expression: {exc}") from None
    return patterns


def _check_selectors(selectors: Sequence[str], origin: str, key: str) -> None:
    from feedsvc.clean.selectors import check_selector  # the cleaner owns the selector dialect

    for selector in selectors:
        problem = check_selector(selector, is_xpath=key.endswith("drop_xpaths"))
        if problem:
            raise ConfigError(origin, key, f"{selector!r} is not valid: {problem}")


_SELECTOR_KEYS = ("drop_selectors", "drop_xpaths")


def check_rules(settings: Settings) -> None:
    """Raise ConfigError naming the file, the key and the rule when a source's cleaning rules hold one that does
    not compile: a selector of `drop_selectors` or `drop_xpaths`, or a pattern (of its rules or its
    `title_affixes`). `load_settings` calls it unless told not to: compiling the selectors imports lxml, and the
    patterns took half of reading the shipped configuration (4-5 ms), which a run that finds nothing to clean
    never needs (`pipeline` checks them before any run that does)."""
    for source in settings.sources:
        _compiled(source.title_affixes, settings.config_path, f"sources.{source.slug}.title_affixes")
        for key in _RULE_FIELDS:
            value = getattr(source.rules, key)
            where = f"sources.{source.slug}.clean.{key}"
            if key in _SELECTOR_KEYS:
                _check_selectors(value, settings.config_path, where)
            elif isinstance(value, tuple):
                _compiled(value, settings.config_path, where)


def check_rule(key: str, pattern: str, origin: str) -> None:
    """Raise ConfigError when `pattern` is not a valid cleaning rule of kind `key`."""
    if key in _SELECTOR_KEYS:
        _check_selectors(_str_list([pattern], origin, key), origin, key)
    else:
        _regexes([pattern], origin, key)


def _rules(table: Any, origin: str, prefix: str) -> CleanRules:
    if not isinstance(table, dict):
        raise ConfigError(origin, prefix, "must be a table")
    for key in table:
        if key not in _RULE_KEYS:
            raise ConfigError(origin, f"{prefix}.{key}", _unknown(key, _RULE_KEYS))
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if key == "unwrap_image_proxy":
            if not isinstance(value, bool):
                raise ConfigError(origin, name, f"{value!r} must be true or false")
            kwargs[key] = value
        else:
            kwargs[key] = _str_list(value, origin, name)  # compiled by `check_rules`
    return CleanRules(**kwargs)


_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _source(slug: str, table: Any, origin: str) -> Source:
    prefix = f"sources.{slug}"
    if not _SLUG.match(slug):
        raise ConfigError(origin, prefix, f"{slug!r} is not a valid slug (lower-case letters, digits, dashes)")
    if not isinstance(table, dict):
        raise ConfigError(origin, prefix, "must be a table")
    for key in table:
        if key not in _SOURCE_KEYS:
            raise ConfigError(origin, f"{prefix}.{key}", _unknown(key, _SOURCE_KEYS))
    rules = _rules(table.get("clean", {}), origin, f"{prefix}.clean")  # a typo there says so before a missing name
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(origin, f"{prefix}.name", f"{name!r} must be a non-empty string")
    homepage = table.get("homepage")
    if homepage is not None and (not isinstance(homepage, str) or _http_url(homepage)):
        raise ConfigError(origin, f"{prefix}.homepage", f"{homepage!r} must be an absolute http(s) URL")
    language = table.get("language")
    if language is not None and (not isinstance(language, str) or not _LANGUAGE.match(language)):
        raise ConfigError(origin, f"{prefix}.language", f"{language!r} must be a language tag such as zh-Hant")
    hosts = tuple(h.lower().strip(".") for h in _str_list(table.get("hosts", []), origin, f"{prefix}.hosts"))
    return Source(
        slug=slug,
        name=name.strip(),
        hosts=hosts,
        homepage=homepage,
        language=language,
        aliases=_str_list(table.get("aliases", []), origin, f"{prefix}.aliases"),
        title_affixes=_str_list(table.get("title_affixes", []), origin, f"{prefix}.title_affixes"),  # `check_rules`
        rules=rules,
    )


def _filter(feed: str, table: Any, origin: str, prefix: str = "") -> StoryFilter:
    prefix = prefix or f"filters.{feed}"
    if feed != "all" and not _SLUG.match(feed):
        raise ConfigError(origin, prefix, f"{feed!r} is not `all` or a source slug")
    if not isinstance(table, dict):
        raise ConfigError(origin, prefix, "must be a table")
    rules: dict[str, list[tuple[str, str]]] = {"include": [], "exclude": []}
    for key, value in table.items():
        kind, _, field_name = key.partition("_")
        if kind not in rules or field_name not in FILTER_FIELDS:
            keys = [f"{k}_{f}" for k in rules for f in FILTER_FIELDS]
            raise ConfigError(origin, f"{prefix}.{key}", _unknown(key, keys, "unknown key (include_<field> or "
                              "exclude_<field>, fields: " + ", ".join(FILTER_FIELDS) + ")"))
        for pattern in _str_list(value, origin, f"{prefix}.{key}"):
            if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
                _regexes([pattern[1:-1]], origin, f"{prefix}.{key}")
            elif not pattern.strip():
                raise ConfigError(origin, f"{prefix}.{key}", "an empty pattern would match every story")
            rules[kind].append((field_name, pattern))
    return StoryFilter(feed, tuple(rules["include"]), tuple(rules["exclude"]))


def _topic(slug: str, table: Any, origin: str) -> Topic:
    prefix = f"topics.{slug}"
    if not _SLUG.match(slug):
        raise ConfigError(origin, prefix, f"{slug!r} is not a valid slug (lower-case letters, digits, dashes)")
    if not isinstance(table, dict):
        raise ConfigError(origin, prefix, "must be a table")
    rules = {key: value for key, value in table.items() if key != "title"}
    title = table.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ConfigError(origin, f"{prefix}.title", f"{title!r} must be a non-empty string")
    parsed = _filter("all", rules, origin, prefix)
    if not parsed.include:
        raise ConfigError(origin, prefix, "needs an include_<field> rule (else it is every story: the unified feed)")
    return Topic(slug, title.strip(), replace(parsed, feed=f"topics/{slug}"))


def _from_table(data: Mapping[str, Any], origin: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "filters":
            if not isinstance(value, dict):
                raise ConfigError(origin, key, "must be a table of [filters.<feed>] tables")
            values["filters"] = tuple(_filter(feed, table, origin) for feed, table in value.items())
        elif key == "topics":
            if not isinstance(value, dict):
                raise ConfigError(origin, key, "must be a table of [topics.<slug>] tables")
            values["topics"] = tuple(_topic(slug, table, origin) for slug, table in sorted(value.items()))
        elif key == "image_referers":
            values[key] = _referers(value, origin)
        elif key == "sources":
            if not isinstance(value, dict):
                raise ConfigError(origin, key, "must be a table of [sources.<slug>] tables")
            values["sources"] = tuple(_source(slug, table, origin) for slug, table in value.items())
        elif key in _SCALARS:
            values[key] = _coerce(key, value, origin, from_text=False)
        else:
            raise ConfigError(origin, key, _unknown(key, [*_SCALARS, *_TABLES]))
    return values


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, text in environ.items():
        if not key.startswith(ENV_PREFIX) or key == f"{ENV_PREFIX}CONFIG":
            continue
        name = key[len(ENV_PREFIX):].lower()
        if name not in _SCALARS:
            nearest = _nearest(name, _SCALARS)
            hint = f"; did you mean {ENV_PREFIX}{nearest.upper()}?" if nearest else ""
            raise ConfigError("environment", key, f"unknown setting{hint}")
        values[name] = _coerce(name, text, "environment", from_text=True)
    return values


@functools.cache
def embedded_config_text() -> str:
    """The configuration shipped inside the package (a copy of the repository's config/feedsvc.toml), read once:
    every load compares a config file with it, and a file other than it is laid over its sources."""
    return resources.files("feedsvc").joinpath("default.toml").read_text(encoding="utf-8")


EMBEDDED = "(embedded default config)"
"""The origin named for the configuration built into the package."""


def parse_config(text: str, origin: str, *, over_shipped: bool = False) -> dict[str, Any]:
    """The settings a configuration file's `text` holds; `over_shipped`: with the shipped source table under its
    own (`over_shipped_sources`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(origin, "", f"not valid TOML: {exc}") from None
    if over_shipped:
        data["sources"] = over_shipped_sources(data.get("sources", {}))
    return _from_table(data, origin)


def over_shipped_sources(own: object) -> object:
    """A configuration file's `[sources]` laid over the shipped table, as the file gives them (checked after): a
    file names only what it changes. A source of the file adds to the shipped source of its slug, key by key
    (its `clean` table too), replacing the values it gives (a list whole); a new slug adds a source, after the
    shipped ones (so that a host it names is its own)."""
    if not isinstance(own, dict):
        return own  # `_from_table` says what is wrong with it
    merged: dict[str, Any] = tomllib.loads(embedded_config_text())["sources"]
    for slug, table in own.items():
        shipped = merged.get(slug)
        if isinstance(shipped, dict) and isinstance(table, dict):
            laid = {**shipped, **table}
            if isinstance(table.get("clean"), dict) and isinstance(shipped.get("clean"), dict):
                laid["clean"] = {**shipped["clean"], **table["clean"]}
            merged[slug] = laid
        else:
            merged[slug] = table
    return merged


def load_settings(
    config_path: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    rules: bool = True,
) -> Settings:
    """Build the settings: defaults, then the config file, then FEEDSVC_* variables, then `overrides` (flags).

    With no path, `FEEDSVC_CONFIG` or `config/feedsvc.toml` is read when it exists, the embedded default otherwise.
    `rules=False` leaves the sources' cleaning rules to `check_rules` (which `regenerate` calls when a run has
    work to do: a run with nothing to do cleans nothing, under the very rules the last run checked).
    """
    env = dict(os.environ if environ is None else environ)
    explicit = config_path is not None or f"{ENV_PREFIX}CONFIG" in env
    path = config_path or Path(env.get(f"{ENV_PREFIX}CONFIG", DEFAULT_CONFIG_PATH))
    if path.exists() or explicit:
        origin = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(origin, "", f"cannot be read: {exc}") from None
    else:
        origin, text = EMBEDDED, embedded_config_text()
    values = parse_config(text, origin, over_shipped=text != embedded_config_text())  # (the shipped text is whole)
    values.update(_from_env(env))
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _coerce(key, value, f"--{key.replace('_', '-')}", from_text=isinstance(value, str))
    values["config_path"] = origin
    settings = replace(Settings(), **values)
    if settings.image_mode == "template" and not settings.image_url_template:
        raise ConfigError("configuration", "image_url_template", 'must be set when image_mode = "template"')
    if rules:
        check_rules(settings)
    return settings
