"""The command line: a thin layer that loads settings, calls one library function, prints the report.

Exit codes: 0 done (skipped seeds are reported, not fatal); 1 with --strict when a seed was skipped; 2 bad usage or
invalid configuration; 3 nothing was published (output not writable, seeds directory missing or suddenly emptied).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from feedsvc import __version__
from feedsvc.errors import ConfigError, FeedsvcError
from feedsvc.report import Report
from feedsvc.settings import Settings, load_settings

EXIT_SKIPPED, EXIT_CONFIG, EXIT_OUTPUT = 1, 2, 3
F = TypeVar("F", bound=Callable[..., Any])


def configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else (logging.WARNING if quiet else logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr,
                        force=True)


def common_options(function: F) -> F:
    """The options every command shares: where to read and write, and how much to say."""
    options = [
        click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
                     help="Config file (default: $FEEDSVC_CONFIG, else config/feedsvc.toml, else the built-in one)."),
        click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), help="Seeds directory."),
        click.option("--output", "output_dir", type=click.Path(path_type=Path), help="Output directory."),
        click.option("--state", "state_dir", type=click.Path(path_type=Path), help="State (cache) directory."),
        click.option("--base-url", "base_url", help="Public URL of the output directory."),
        click.option("-v", "--verbose", is_flag=True, help="Say more (debug logging)."),
        click.option("-q", "--quiet", is_flag=True, help="Say only what went wrong."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def settings_from(config_path: Path | None, *, rules: bool = True, **flags: Any) -> Settings:
    """Load settings or exit with status 2 and a message naming the file, the key and the value (the sources'
    rules left to the run when not `rules`: `settings.check_rules`)."""
    try:
        return load_settings(config_path, overrides=flags, rules=rules)
    except ConfigError as exc:
        _invalid(exc)


def _invalid(exc: ConfigError) -> NoReturn:
    click.echo(f"feedsvc: invalid configuration: {exc}", err=True)
    sys.exit(EXIT_CONFIG)


def _print_report(report: Report, as_json: bool, quiet: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, sort_keys=True))
        return
    if not quiet:
        click.echo(report.summary_line())
    for line in report.skipped_lines():
        click.echo(line)
    if report.dry_run:  # `check` says which story each filter rule leaves out
        for line in report.filtered_lines():
            click.echo(line)


class _Bar:
    """A progress bar on a terminal for long runs; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < 200:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="cleaning", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="feedsvc")
def main() -> None:
    """feedsvc turns a directory of scraped news seeds into clean, valid Atom feeds.

    Run `feedsvc regenerate` in the project directory to publish the feeds once, or `feedsvc serve` to keep them
    up to date and serve them over HTTP.
    """


def run() -> None:
    """The `feedsvc` command (and `python -m feedsvc`): `main`, in a process that ends with it."""
    try:
        main()
    finally:  # whatever the command, and however it ends (`sys.exit` included), the process is over
        from feedsvc.system.memory import skip_collection_at_exit

        skip_collection_at_exit()


def _run(settings: Settings, *, dry_run: bool, force: bool, as_json: bool, quiet: bool, strict: bool) -> None:
    """One regeneration (or check): print its report, exit with the status the README promises."""
    from feedsvc.pipeline import RunOptions, regenerate

    bar = _Bar(sys.stderr.isatty() and not quiet and not as_json)
    try:
        report = regenerate(settings, datetime.now(UTC), RunOptions(force=force, dry_run=dry_run, progress=bar))
    except ConfigError as exc:  # a source's selector, checked when the run has seeds to clean
        _invalid(exc)
    except FeedsvcError as exc:  # output not writable, seeds missing or shrunk: nothing was published
        click.echo(f"feedsvc: {exc}", err=True)
        sys.exit(EXIT_OUTPUT)
    finally:
        bar.close()
    if dry_run and not as_json and not quiet:
        click.echo(f"config: {settings.config_path}: valid ({len(settings.sources)} sources)")
    if not dry_run and settings.websub_hubs:
        _notify_hubs(settings, report)
    _print_report(report, as_json, quiet)
    if strict and report.skipped:
        sys.exit(EXIT_SKIPPED)


def _notify_hubs(settings: Settings, report: Report) -> None:
    """Tell the WebSub hubs which feeds changed: one attempt each (the next run tries again); a hub that fails
    is logged and never changes the exit status."""
    from feedsvc.serve.websub import changed_topics, notify

    for topic in changed_topics(settings, report):
        for hub in settings.websub_hubs:
            try:
                notify(hub, topic)
            except (OSError, ValueError) as exc:
                logging.getLogger("feedsvc.serve.websub").warning("WebSub: %s did not take %s (%s)", hub, topic, exc)


@main.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any seed was skipped.")
@click.option("--force", is_flag=True, help="Publish even when the seeds directory holds far fewer seeds than before.")
def regenerate(config_path: Path | None, seeds_dir: Path | None, output_dir: Path | None, state_dir: Path | None,
               base_url: str | None, verbose: bool, quiet: bool, as_json: bool, strict: bool, force: bool) -> None:
    """Publish the feeds once: parse new and changed seeds, clean them, write every feed that changed.

    Writes all.atom, sources/<slug>.atom, feeds.opml and index.html (each with a .gz sibling) to the output
    directory. Exit status: 0 done, 1 seeds skipped (with --strict), 2 invalid configuration, 3 nothing published.
    """
    configure_logging(verbose, quiet)
    settings = settings_from(config_path, rules=False, seeds_dir=seeds_dir, output_dir=output_dir,
                             state_dir=state_dir, base_url=base_url)
    _run(settings, dry_run=False, force=force, as_json=as_json, quiet=quiet, strict=strict)


@main.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any seed would be skipped.")
def check(config_path: Path | None, seeds_dir: Path | None, output_dir: Path | None, state_dir: Path | None,
          base_url: str | None, verbose: bool, quiet: bool, as_json: bool, strict: bool) -> None:
    """Validate the configuration and every seed without writing anything; print what would be skipped and why."""
    configure_logging(verbose, quiet)
    settings = settings_from(config_path, seeds_dir=seeds_dir, output_dir=output_dir, state_dir=state_dir,
                             base_url=base_url)
    _run(settings, dry_run=True, force=True, as_json=as_json, quiet=quiet, strict=strict)


@main.command()
@common_options
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8080; 0 picks a free one).")
@click.option("--no-http", is_flag=True, help="Only watch and regenerate; serve nothing.")
def serve(config_path: Path | None, seeds_dir: Path | None, output_dir: Path | None, state_dir: Path | None,
          base_url: str | None, verbose: bool, quiet: bool, host: str | None, port: int | None,
          no_http: bool) -> None:
    """Run as a daemon: regenerate at start and whenever the seeds change, and serve the feeds over HTTP.

    SIGTERM or SIGINT stops it (exit status 0); SIGHUP reloads the configuration.
    """
    from feedsvc.serve.daemon import run_daemon

    configure_logging(verbose, quiet)
    flags: dict[str, Any] = {"seeds_dir": seeds_dir, "output_dir": output_dir, "state_dir": state_dir,
                             "base_url": base_url, "host": host, "port": port}
    settings = settings_from(config_path, **flags)
    sys.exit(run_daemon(settings, lambda: load_settings(config_path, overrides=flags), http=not no_http))


@contextmanager
def _exit_on_error(config_prefix: str = "") -> Iterator[None]:
    """Invalid configuration exits with status 2, any other feedsvc error with 3, each with its message."""
    try:
        yield
    except ConfigError as exc:
        click.echo(f"feedsvc: {config_prefix}{exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except FeedsvcError as exc:
        click.echo(f"feedsvc: {exc}", err=True)
        sys.exit(EXIT_OUTPUT)


@main.group()
def rules() -> None:
    """Find each source's boilerplate and show what every cleaning rule removes (reads the cache; writes nothing)."""


def _toml_string(value: str) -> str:
    """A TOML literal string where possible (patterns keep their backslashes as written), a basic one otherwise."""
    return f"'{value}'" if "'" not in value and "\n" not in value else json.dumps(value, ensure_ascii=False)


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


@rules.command()
@common_options
@click.option("--source", "slug", help="Only this source (a slug of the configuration).")
@click.option("--min-share", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              help="Smallest share of a source's articles a candidate must appear in.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def suggest(config_path: Path | None, seeds_dir: Path | None, output_dir: Path | None, state_dir: Path | None,
            base_url: str | None, verbose: bool, quiet: bool, slug: str | None, min_share: float,
            as_json: bool) -> None:
    """Find blocks that repeat across a source's articles and print them as ready-to-paste TOML rules.

    Paragraphs come from the cleaned articles in the cache (what today's rules leave), classes from the seeds'
    HTML; each candidate shows the share of the source's articles that carry it.
    """
    from feedsvc.rules.commands import sources, suggestions

    configure_logging(verbose, quiet)
    settings = settings_from(config_path, seeds_dir=seeds_dir, output_dir=output_dir, state_dir=state_dir,
                             base_url=base_url)
    with _exit_on_error():
        chosen = sources(settings, slug)
        found = {s.slug: suggestions(settings, s, datetime.now(UTC), min_share=min_share) for s in chosen}
    if as_json:
        click.echo(json.dumps({slug_: [{"key": s.key, "pattern": s.pattern, "articles": s.articles,
                                        "share": round(s.share, 4), "where": s.where, "example": s.example}
                                       for s in items] for slug_, items in found.items()},
                              ensure_ascii=False, sort_keys=True))
        return
    for slug_, items in found.items():
        if not items:
            if slug is not None:
                click.echo(f"# {slug_}: nothing repeats in {min_share:.0%} of its articles or more")
            continue
        click.echo(f"# {slug_}: add to the lists of [sources.{slug_}.clean]")
        for key in ("drop_paragraphs", "drop_selectors"):
            chosen_items = [s for s in items if s.key == key]
            if not chosen_items:
                continue
            click.echo(f"{key} = [")
            for item in chosen_items:
                click.echo(f"    {_toml_string(item.pattern)},  # {item.share:.1%} of articles ({item.articles}), "
                           f"{item.where}: {_short(item.example)}")
            click.echo("]")
        click.echo()


@rules.command(name="test")
@common_options
@click.option("--source", "slug", help="Only this source (a slug of the configuration).")
@click.option("--rule", "candidates", multiple=True, metavar="KEY=PATTERN",
              help="A candidate rule to try beside the configured ones, e.g. 'drop_selectors=.promo' "
                   "(repeatable; the source's seeds are cleaned again in memory).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def test_rules(config_path: Path | None, seeds_dir: Path | None, output_dir: Path | None, state_dir: Path | None,
               base_url: str | None, verbose: bool, quiet: bool, slug: str | None, candidates: tuple[str, ...],
               as_json: bool) -> None:
    """Show, for each cleaning rule, how many articles it changes and samples of what it removed; flag rules that
    match nothing, rules that remove most of an article and selectors generic enough to hit articles; then the
    blocks each source learned (`learned_rules`), with how many of its stories they are cut from."""
    from feedsvc.rules.commands import RULE_KEYS, learned_blocks, rule_reports, sources

    configure_logging(verbose, quiet)
    settings = settings_from(config_path, seeds_dir=seeds_dir, output_dir=output_dir, state_dir=state_dir,
                             base_url=base_url)
    parsed: list[tuple[str, str]] = []
    for candidate in candidates:
        key, _, pattern = candidate.partition("=")
        if key not in RULE_KEYS or not pattern:
            click.echo(f"feedsvc: --rule {candidate!r}: expected KEY=PATTERN with KEY one of {', '.join(RULE_KEYS)}",
                       err=True)
            sys.exit(EXIT_CONFIG)
        parsed.append((key, pattern))
    if parsed and slug is None:
        click.echo("feedsvc: --rule needs --source (a rule belongs to one source)", err=True)
        sys.exit(EXIT_CONFIG)
    with _exit_on_error("invalid rule: "):
        from feedsvc.settings import check_rule

        for key, pattern in parsed:
            check_rule(key, pattern, "--rule")
        chosen = sources(settings, slug)
        reports = {s.slug: rule_reports(settings, s, datetime.now(UTC), parsed) for s in chosen}
        learned = learned_blocks(settings, chosen)
    if as_json:
        click.echo(json.dumps({s: {"from_cache": cached, "rules": [
            {"key": r.key, "pattern": r.pattern, "articles": r.articles, "total": r.total,
             "removed_chars": r.removed_chars, "removes_most_of": r.most, "samples": list(r.samples),
             "flags": list(r.flags)} for r in items], "learned": [
            {"text": b.text, "articles": b.articles, "total": b.total} for b in learned[s]]}
            for s, (items, cached) in reports.items()}, ensure_ascii=False, sort_keys=True))
        return
    for slug_, (items, cached) in reports.items():
        if not items and not learned[slug_]:
            continue
        total = items[0].total if items else learned[slug_][0].total
        click.echo(f"{slug_}: {_count(total, 'article')} ({'from the cache' if cached else 'seeds cleaned again'})")
        for report in items:
            share = f"{report.articles / total:.1%}" if total else "—"
            flags = "".join(f"  ⚠ {flag}" for flag in report.flags)
            click.echo(f"  {report.key} {_toml_string(report.pattern)}: {_count(report.articles, 'article')} "
                       f"({share}), {_count(report.removed_chars, 'character')}{flags}")
            for sample in report.samples:
                click.echo(f"      − {_short(sample, 100)}")
        for block in learned[slug_]:
            click.echo(f"  learned: {_count(block.articles, 'article')} ({block.articles / block.total:.1%}): "
                       f"{_short(block.text, 100)}  (veto: keep_paragraphs)")
