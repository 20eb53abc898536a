"""The command line: a thin layer that loads settings, calls one library function, prints the report.

Exit codes: 0 done (skipped seeds are reported, not fatal); 1 with --strict when a seed was skipped; 2 bad usage or
invalid configuration; 3 nothing was published (output not writable, seeds directory missing or suddenly emptied).

The standard library's `argparse` reads the arguments: a warm `feedsvc regenerate` at 10,000 seeds takes about
0.2 s, and Click, which it used before, took 12 ms of that to import where `argparse` takes 2 ms.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from feedsvc import __version__
from feedsvc.errors import ConfigError, FeedsvcError
from feedsvc.report import Report
from feedsvc.settings import Settings, load_settings

EXIT_SKIPPED, EXIT_CONFIG, EXIT_OUTPUT = 1, 2, 3


def echo(text: str = "", *, err: bool = False) -> None:
    """A line of the command's output (`err`: on standard error)."""
    print(text, file=sys.stderr if err else sys.stdout, flush=err)


def _paths(args: argparse.Namespace) -> dict[str, Any]:
    """The options every command shares that override settings."""
    return {"seeds_dir": args.seeds_dir, "output_dir": args.output_dir, "state_dir": args.state_dir,
            "base_url": args.base_url}


def configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else (logging.WARNING if quiet else logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr,
                        force=True)


def settings_from(config_path: Path | None, *, rules: bool = True, **flags: Any) -> Settings:
    """Load settings or exit with status 2 and a message naming the file, the key and the value (the sources'
    rules left to the run when not `rules`: `settings.check_rules`)."""
    try:
        return load_settings(config_path, overrides=flags, rules=rules)
    except ConfigError as exc:
        _invalid(exc)


def _invalid(exc: ConfigError) -> NoReturn:
    echo(f"feedsvc: invalid configuration: {exc}", err=True)
    sys.exit(EXIT_CONFIG)


def _print_report(report: Report, as_json: bool, quiet: bool) -> None:
    if as_json:
        echo(json.dumps(report.to_json(), ensure_ascii=False, sort_keys=True))
        return
    if not quiet:
        echo(report.summary_line())
    for line in report.skipped_lines():
        echo(line)
    if report.dry_run:  # `check` says which story each filter rule leaves out
        for line in report.filtered_lines():
            echo(line)


class _Bar:
    """A progress line on a terminal for long runs (`cleaning 1234/10000 12%`); silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < 200:
            return
        percent = 100 * done // total
        if percent != self.shown:
            self.shown = percent
            sys.stderr.write(f"\rcleaning {done}/{total} {percent}%")
            sys.stderr.flush()

    def close(self) -> None:
        if self.shown >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()


def run() -> None:
    """The `feedsvc` command (and `python -m feedsvc`): `main`, in a process that ends with it. A reader that goes
    away (`feedsvc rules test | head`) ends the command quietly, Ctrl-C with one line; both with status 1."""
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show Chinese gets escapes, not a crash
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        main()
    except BrokenPipeError:
        _drop_stdout()
        sys.exit(1)
    except KeyboardInterrupt:
        echo("\nfeedsvc: interrupted", err=True)
        sys.exit(1)
    finally:  # whatever the command, and however it ends (`sys.exit` included), the process is over
        from feedsvc.system.memory import skip_collection_at_exit

        skip_collection_at_exit()


def _drop_stdout() -> None:
    """Send what is left of standard output nowhere, so that the interpreter's own flush at exit finds no broken
    pipe to complain about."""
    with suppress(OSError, ValueError):  # ValueError: no file descriptor behind it (captured), nothing to flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command `argv` (the process's arguments if None); exits with the command's status unless 0."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # told with the usage of the command it was given to (argparse's own names the top level's)
        getattr(args, "help_of", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    command: Callable[[argparse.Namespace], None] | None = getattr(args, "command", None)
    if command is None:  # `feedsvc` or `feedsvc rules` alone: what there is to run
        args.help_of.print_help()
        return
    command(args)


def _run(settings: Settings, *, dry_run: bool, force: bool, as_json: bool, quiet: bool, strict: bool) -> None:
    """One regeneration (or check): print its report, exit with the status the README promises."""
    from feedsvc.pipeline import RunOptions, regenerate

    bar = _Bar(sys.stderr.isatty() and not quiet and not as_json)
    try:
        report = regenerate(settings, datetime.now(UTC), RunOptions(force=force, dry_run=dry_run, progress=bar))
    except ConfigError as exc:  # a source's selector, checked when the run has seeds to clean
        _invalid(exc)
    except FeedsvcError as exc:  # output not writable, seeds missing or shrunk: nothing was published
        echo(f"feedsvc: {exc}", err=True)
        sys.exit(EXIT_OUTPUT)
    finally:
        bar.close()
    if dry_run and not as_json and not quiet:
        echo(f"config: {settings.config_path}: valid ({len(settings.sources)} sources)")
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


def regenerate(args: argparse.Namespace) -> None:
    """Publish the feeds once: parse new and changed seeds, clean them, write every feed that changed.

    Writes the unified feed and one per source (Atom, RSS, JSON Feed, as configured), their archives, the OPML
    lists and the pages for people (a page per story, listings, the index) to the output directory. Exit status: 0
    done, 1 seeds skipped (with --strict), 2 bad usage or invalid configuration, 3 nothing published.
    """
    configure_logging(args.verbose, args.quiet)
    settings = settings_from(args.config_path, rules=False, **_paths(args))
    _run(settings, dry_run=False, force=args.force, as_json=args.as_json, quiet=args.quiet, strict=args.strict)


def check(args: argparse.Namespace) -> None:
    """Validate the configuration and every seed without writing anything; print what would be skipped and why."""
    configure_logging(args.verbose, args.quiet)
    settings = settings_from(args.config_path, **_paths(args))
    _run(settings, dry_run=True, force=True, as_json=args.as_json, quiet=args.quiet, strict=args.strict)


def serve(args: argparse.Namespace) -> None:
    """Run as a daemon: regenerate at start and whenever the seeds change, and serve the feeds over HTTP.

    SIGTERM or SIGINT stops it (exit status 0); SIGHUP reloads the configuration.
    """
    from feedsvc.serve.daemon import run_daemon

    configure_logging(args.verbose, args.quiet)
    flags: dict[str, Any] = {**_paths(args), "host": args.host, "port": args.port}
    settings = settings_from(args.config_path, **flags)
    sys.exit(run_daemon(settings, lambda: load_settings(args.config_path, overrides=flags), http=not args.no_http))


@contextmanager
def _exit_on_error(config_prefix: str = "") -> Iterator[None]:
    """Invalid configuration exits with status 2, any other feedsvc error with 3, each with its message."""
    try:
        yield
    except ConfigError as exc:
        echo(f"feedsvc: {config_prefix}{exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except FeedsvcError as exc:
        echo(f"feedsvc: {exc}", err=True)
        sys.exit(EXIT_OUTPUT)


RULES_DESCRIPTION = ("Find each source's boilerplate and show what every cleaning rule removes (reads the cache; "
                     "writes nothing).")


def _toml_string(value: str) -> str:
    """A TOML literal string where possible (patterns keep their backslashes as written), a basic one otherwise."""
    return f"'{value}'" if "'" not in value and "\n" not in value else json.dumps(value, ensure_ascii=False)


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def suggest(args: argparse.Namespace) -> None:
    """Find blocks that repeat across a source's articles and print them as ready-to-paste TOML rules.

    Paragraphs come from the cleaned articles in the cache (what today's rules leave), classes from the seeds'
    HTML; each candidate shows the share of the source's articles that carry it.
    """
    from feedsvc.rules.commands import sources, suggestions

    configure_logging(args.verbose, args.quiet)
    settings = settings_from(args.config_path, **_paths(args))
    slug, min_share = args.slug, args.min_share
    with _exit_on_error():
        chosen = {s.slug: s for s in sources(settings, slug)}
        found = {s.slug: suggestions(settings, s, datetime.now(UTC), min_share=min_share) for s in chosen.values()}
    if args.as_json:
        echo(json.dumps({slug_: [{"key": s.key, "pattern": s.pattern, "articles": s.articles,
                                  "share": round(s.share, 4), "where": s.where, "example": s.example}
                                 for s in items] for slug_, items in found.items()},
                        ensure_ascii=False, sort_keys=True))
        return
    for slug_, items in found.items():
        if not items:
            if slug is not None:
                echo(f"# {slug_}: nothing repeats in {min_share:.0%} of its articles or more")
            continue
        # whole lists, today's rules first: a list a config file gives replaces the shipped one
        echo(f"# {slug_}: the lists of [sources.{slug_}.clean], today's rules and then the suggestions")
        for key in ("drop_paragraphs", "drop_selectors"):
            chosen_items = [s for s in items if s.key == key]
            if not chosen_items:
                continue
            echo(f"{key} = [")
            for rule in getattr(chosen[slug_].rules, key):
                echo(f"    {_toml_string(rule)},  # today's")
            for item in chosen_items:
                echo(f"    {_toml_string(item.pattern)},  # {item.share:.1%} of articles ({item.articles}), "
                     f"{item.where}: {_short(item.example)}")
            echo("]")
        echo()


def test_rules(args: argparse.Namespace) -> None:
    """Show, for each cleaning rule, how many articles it changes and samples of what it removed; flag rules that
    match nothing, rules that remove most of an article and selectors generic enough to hit articles; then the
    blocks each source learned (`learned_rules`), with how many of its stories they are cut from."""
    from feedsvc.rules.commands import RULE_KEYS, learned_blocks, rule_reports, sources

    configure_logging(args.verbose, args.quiet)
    settings = settings_from(args.config_path, **_paths(args))
    slug = args.slug
    parsed: list[tuple[str, str]] = []
    for candidate in args.candidates:
        key, _, pattern = candidate.partition("=")
        if key not in RULE_KEYS or not pattern:
            echo(f"feedsvc: --rule {candidate!r}: expected KEY=PATTERN with KEY one of {', '.join(RULE_KEYS)}",
                 err=True)
            sys.exit(EXIT_CONFIG)
        parsed.append((key, pattern))
    if parsed and slug is None:
        echo("feedsvc: --rule needs --source (a rule belongs to one source)", err=True)
        sys.exit(EXIT_CONFIG)
    with _exit_on_error("invalid rule: "):
        from feedsvc.settings import check_rule

        for key, pattern in parsed:
            check_rule(key, pattern, "--rule")
        chosen = sources(settings, slug)
        reports = {s.slug: rule_reports(settings, s, datetime.now(UTC), parsed) for s in chosen}
        learned = learned_blocks(settings, chosen)
    if args.as_json:
        echo(json.dumps({s: {"from_cache": cached, "rules": [
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
        echo(f"{slug_}: {_count(total, 'article')} ({'from the cache' if cached else 'seeds cleaned again'})")
        for report in items:
            share = f"{report.articles / total:.1%}" if total else "—"
            flags = "".join(f"  ⚠ {flag}" for flag in report.flags)
            echo(f"  {report.key} {_toml_string(report.pattern)}: {_count(report.articles, 'article')} "
                 f"({share}), {_count(report.removed_chars, 'character')}{flags}")
            for sample in report.samples:
                echo(f"      − {_short(sample, 100)}")
        for block in learned[slug_]:
            echo(f"  learned: {_count(block.articles, 'article')} ({block.articles / block.total:.1%}): "
                 f"{_short(block.text, 100)}  (veto: keep_paragraphs)")


MAIN_HELP = """feedsvc turns a directory of scraped news seeds into clean, valid feeds and a site to read them in.

Run `feedsvc regenerate` in the project directory to publish the feeds once, or `feedsvc serve` to keep them up to
date and serve them over HTTP."""


def _described(text: str) -> str:
    """A docstring as help: its paragraphs, each filled to the terminal's width (at most 100 columns)."""
    width = min(shutil.get_terminal_size().columns, 100) - 2
    return "\n\n".join(textwrap.fill(" ".join(paragraph.split()), width)
                       for paragraph in textwrap.dedent(text).strip().split("\n\n"))


def _share(value: str) -> float:
    """`--min-share`: a number from 0 to 1."""
    try:
        share = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0 <= share <= 1:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return share


def _parser() -> argparse.ArgumentParser:
    """Every command, its options and its help."""
    def formatter(prog: str) -> argparse.HelpFormatter:
        return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30)

    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    where = common.add_argument_group("where and how much to say")
    where.add_argument("--config", dest="config_path", type=Path, metavar="PATH",
                       help="config file (default: $FEEDSVC_CONFIG, else config/feedsvc.toml, else the built-in one)")
    where.add_argument("--seeds", dest="seeds_dir", type=Path, metavar="DIR", help="seeds directory")
    where.add_argument("--output", dest="output_dir", type=Path, metavar="DIR", help="output directory")
    where.add_argument("--state", dest="state_dir", type=Path, metavar="DIR", help="state (cache) directory")
    where.add_argument("--base-url", metavar="URL", help="public URL of the output directory")
    where.add_argument("-v", "--verbose", action="store_true", help="say more (debug logging)")
    where.add_argument("-q", "--quiet", action="store_true", help="say only what went wrong")

    parser = argparse.ArgumentParser(prog="feedsvc", description=_described(MAIN_HELP), formatter_class=formatter,
                                     allow_abbrev=False)  # an option is spelled out: a typo is an error, not a guess
    parser.add_argument("--version", action="version", version=f"feedsvc, version {__version__}")
    parser.set_defaults(help_of=parser)
    commands = parser.add_subparsers(title="commands")

    def command(group: Any, name: str, function: Callable[[argparse.Namespace], None],
                summary: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(name, parents=[common], help=summary, allow_abbrev=False,
                                                        description=_described(function.__doc__ or summary),
                                                        formatter_class=formatter)
        sub.set_defaults(command=function, help_of=sub)
        return sub

    sub = command(commands, "regenerate", regenerate, "publish the feeds once")
    sub.add_argument("--json", dest="as_json", action="store_true", help="print the report as one JSON object")
    sub.add_argument("--strict", action="store_true", help="exit with status 1 when any seed was skipped")
    sub.add_argument("--force", action="store_true",
                     help="publish even when the seeds directory holds far fewer seeds than before")

    sub = command(commands, "check", check, "check the configuration and every seed, writing nothing")
    sub.add_argument("--json", dest="as_json", action="store_true", help="print the report as one JSON object")
    sub.add_argument("--strict", action="store_true", help="exit with status 1 when any seed would be skipped")

    sub = command(commands, "serve", serve, "run as a daemon: publish whenever the seeds change, serve over HTTP")
    sub.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    sub.add_argument("--port", type=int, help="port to listen on (default 8080; 0 picks a free one)")
    sub.add_argument("--no-http", action="store_true", help="only watch and regenerate; serve nothing")

    rules = commands.add_parser("rules", help="find boilerplate, test cleaning rules", allow_abbrev=False,
                                description=_described(RULES_DESCRIPTION),
                                formatter_class=formatter)
    rules.set_defaults(help_of=rules)
    rule_commands = rules.add_subparsers(title="commands")
    sub = command(rule_commands, "suggest", suggest, "print the blocks that repeat across a source's articles as rules")
    sub.add_argument("--source", dest="slug", help="only this source (a slug of the configuration)")
    sub.add_argument("--min-share", type=_share, default=0.05, metavar="SHARE",
                     help="smallest share of a source's articles a candidate must appear in (default 0.05)")
    sub.add_argument("--json", dest="as_json", action="store_true", help="print one JSON object")
    sub = command(rule_commands, "test", test_rules, "show what each cleaning rule removes")
    sub.add_argument("--source", dest="slug", help="only this source (a slug of the configuration)")
    sub.add_argument("--rule", dest="candidates", action="append", default=[], metavar="KEY=PATTERN",
                     help="a candidate rule to try beside the configured ones, e.g. 'drop_selectors=.promo' "
                          "(repeatable; the source's seeds are cleaned again in memory)")
    sub.add_argument("--json", dest="as_json", action="store_true", help="print one JSON object")
    return parser
