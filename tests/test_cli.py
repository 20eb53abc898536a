"""The command line: help on every command, exit codes, the report formats, `python -m feedsvc`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.command import invoke
from tests.conftest import ROOT, SAMPLES


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"FEEDSVC_CONFIG": str(ROOT / "config" / "feedsvc.toml")}


def paths(tmp_path: Path, seeds: Path = SAMPLES) -> list[str]:
    return ["--seeds", str(seeds), "--output", str(tmp_path / "public"), "--state", str(tmp_path / "var")]


@pytest.mark.parametrize("command", [[], ["regenerate"], ["check"], ["serve"], ["rules"], ["rules", "suggest"],
                                     ["rules", "test"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = invoke([*command, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith("usage: feedsvc")
    first_line = result.output.split("\n\n")[1].strip()
    assert len(first_line) > 20, "each command explains itself"


def test_regenerate_help_says_what_it_writes_and_every_exit_status() -> None:
    text = " ".join(invoke(["regenerate", "--help"]).output.split())
    assert "Atom, RSS, JSON Feed" in text and "archives" in text and "a page per story" in text
    assert "0 done, 1 seeds skipped (with --strict), 2 bad usage or invalid configuration, 3 nothing published" in text


def test_a_command_group_alone_shows_its_commands() -> None:
    for group, commands in (([], ["regenerate", "check", "serve", "rules"]), (["rules"], ["suggest", "test"])):
        result = invoke(group)
        assert result.exit_code == 0 and result.output.startswith("usage: feedsvc")
        assert all(f"\n    {command} " in result.output for command in commands), result.output


def test_a_bad_option_value_names_the_option_and_exits_2() -> None:
    result = invoke(["rules", "suggest", "--min-share", "2"])
    assert result.exit_code == 2
    assert "argument --min-share: 2 is not between 0 and 1" in result.output
    assert "is not a number" in invoke(["rules", "suggest", "--min-share", "half"]).output


@pytest.mark.parametrize(("command", "usage"), [(["regenerate", "--bogus"], "feedsvc regenerate"),
                                              (["rules", "test", "--bogus"], "feedsvc rules test"),
                                              (["rules", "--bogus"], "feedsvc rules"), (["--bogus"], "feedsvc")])
def test_an_unknown_option_is_told_with_the_usage_of_its_command(command: list[str], usage: str) -> None:
    result = invoke(command)
    assert result.exit_code == 2
    assert result.output.startswith(f"usage: {usage} [-h]")
    assert f"{usage}: error: unrecognized arguments: --bogus" in result.output


def test_the_progress_line_shows_on_a_terminal_for_long_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from io import StringIO

    from feedsvc.cli import _Bar

    for enabled, total, expected in ((True, 1000, "\rcleaning 0/1000 0%\rcleaning 500/1000 50%\n"),
                                     (True, 100, ""), (False, 1000, "")):
        terminal = StringIO()
        monkeypatch.setattr("sys.stderr", terminal)
        bar = _Bar(enabled)
        for done in (0, 1, 500, 501):  # a line when the percentage changes, not at every seed
            bar(done, total)
        bar.close()
        assert terminal.getvalue() == expected


def test_regenerate_prints_the_summary_and_writes(tmp_path: Path, env: dict[str, str]) -> None:
    result = invoke(["regenerate", *paths(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("seeds 3 (new 3, changed 0, unchanged 0, skipped 0) · entries 3 · "
                                    "feeds written 12, unchanged 0 · ")  # four feeds, three formats each
    assert (tmp_path / "public" / "all.atom").is_file()


def test_skipped_seeds_are_listed_and_strict_fails(tmp_path: Path, env: dict[str, str]) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "good.txt").write_bytes((SAMPLES / "002_7e59d68a7c4f54af.txt").read_bytes())
    (seeds / "bad.md").write_text("no header here\n")
    result = invoke(["regenerate", *paths(tmp_path, seeds)], env=env)
    assert result.exit_code == 0
    assert "bad.md: not a seed: no `[title](url)` line followed by a dashes line" in result.output
    result = invoke(["regenerate", "--strict", *paths(tmp_path, seeds)], env=env)
    assert result.exit_code == 1


LFS = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"ab" * 32 + b"\nsize 8123\n"


def test_git_lfs_pointers_are_reported_in_one_line_with_the_remedy(tmp_path: Path, env: dict[str, str]) -> None:
    """An archive cloned without git-lfs: its articles are pointer files, said once with what to run."""
    seeds = tmp_path / "seeds"
    (seeds / "archived").mkdir(parents=True)
    (seeds / "good.txt").write_bytes((SAMPLES / "002_7e59d68a7c4f54af.txt").read_bytes())
    for number in range(5):
        (seeds / "archived" / f"2020-07-0{number}-story.md").write_bytes(LFS)
    (seeds / "bad.md").write_text("no header here\n")
    result = invoke(["regenerate", *paths(tmp_path, seeds)], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line for line in lines if "LFS" in line] == [
        "5 seeds are git LFS pointers, not articles (first: archived/2020-07-00-story.md): run "
        "`git lfs install && git lfs pull` in the seeds repository"]
    assert any(line.startswith("bad.md: not a seed") for line in lines)
    report = json.loads(invoke(["check", "--json", *paths(tmp_path, seeds)], env=env).output)
    assert report["lfs_pointers"] == 5


def test_json_report(tmp_path: Path, env: dict[str, str]) -> None:
    result = invoke(["regenerate", "--json", *paths(tmp_path)], env=env)
    report = json.loads(result.output)
    assert (report["seeds"], report["entries"], report["feeds_written"]) == (3, 3, 12)
    assert report["skipped"] == []


def test_invalid_config_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("max_entries = -1\n")
    result = invoke(["regenerate", "--config", str(config), *paths(tmp_path)])
    assert result.exit_code == 2
    assert f"{config}: max_entries: -1 must be greater than 0" in result.output


@pytest.mark.parametrize(("key", "bad"), [("drop_selectors", "p[["), ("drop_xpaths", "//p[("),
                                          ("drop_paragraphs", "^(未闭合"), ("title_affixes", "(未闭合")])
def test_a_bad_cleaning_rule_exits_2_before_anything_is_written(tmp_path: Path, key: str, bad: str) -> None:
    """`regenerate` compiles the sources' cleaning rules only when a run has work to do (`settings.check_rules`):
    a bad one still stops the first run, and the first run after the edit that brings it, naming the key. The edit
    changes one rule of a source and nothing else, so only the cleaning fingerprint tells the run it has work."""
    shipped = (ROOT / "config" / "feedsvc.toml").read_text(encoding="utf-8")
    config = tmp_path / "feedsvc.toml"
    config.write_text(shipped, encoding="utf-8")
    assert invoke(["regenerate", "--config", str(config), *paths(tmp_path)]).exit_code == 0
    before = sorted(p.name for p in (tmp_path / "public").iterdir())
    edited = shipped.replace(f"{key} = [", f'{key} = ["{bad}", ', 1)
    assert edited != shipped
    config.write_text(edited, encoding="utf-8")
    for attempt in ("warm", "fresh"):
        where = paths(tmp_path) if attempt == "warm" else paths(tmp_path / attempt)
        result = invoke(["regenerate", "--config", str(config), *where])
        assert result.exit_code == 2, result.output
        assert f"feedsvc: invalid configuration: {config}: sources." in result.output
        assert f".{key}: {bad!r} is not " in result.output
    assert sorted(p.name for p in (tmp_path / "public").iterdir()) == before
    assert not (tmp_path / "fresh" / "public").exists()


def test_bad_usage_exits_2() -> None:
    assert invoke(["regenerate", "--no-such-flag"]).exit_code == 2
    assert invoke(["regenerate", "--forc"]).exit_code == 2  # options are spelled out, never guessed


def test_unwritable_output_exits_3(tmp_path: Path, env: dict[str, str]) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a directory should be")
    result = invoke(["regenerate", "--seeds", str(SAMPLES), "--output", str(blocker / "out"),
                                       "--state", str(tmp_path / "var")], env=env)
    assert result.exit_code == 3
    assert "the previous files are left as they were" in result.output


def test_check_writes_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    result = invoke(["check", *paths(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "seeds 3" in result.output
    assert "feeds 12 (not written: check only)" in result.output  # four feeds (all, three sources) × three formats
    assert not (tmp_path / "public").exists() and not (tmp_path / "var").exists()


def test_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "feedsvc", "--version"], capture_output=True, text=True,
                            env={**os.environ}, check=False)
    assert result.returncode == 0 and result.stdout.startswith("feedsvc, version ")


@pytest.mark.parametrize(("ending", "status"), [(SystemExit(0), 0), (SystemExit(3), 3), (KeyboardInterrupt(), 1),
                                               (BrokenPipeError(), 1)])
def test_the_command_freezes_what_is_left_as_its_process_ends(ending: BaseException, status: int,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The installed `feedsvc` (and `python -m feedsvc`) is `cli.run`: the command, then
    `memory.skip_collection_at_exit`, however the command ends (Ctrl-C and a reader that went away end it with
    status 1, the first saying so in one line); its exit status is left as it was."""
    from feedsvc import cli

    calls: list[str] = []

    def command() -> None:
        calls.append("command")
        raise ending

    monkeypatch.setattr(cli, "main", command)
    monkeypatch.setattr("feedsvc.system.memory.skip_collection_at_exit", lambda: calls.append("frozen"))
    with pytest.raises(SystemExit) as raised:
        cli.run()
    assert raised.value.code == status and calls == ["command", "frozen"]
    said = capsys.readouterr().err
    assert said == ("\nfeedsvc: interrupted\n" if isinstance(ending, KeyboardInterrupt) else "")


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    """`feedsvc rules test | head`: the command stops with status 1 and says nothing of a broken pipe."""
    script = ("from feedsvc import cli\n"
              "cli.main = lambda: [print('行' * 100) for _ in range(100_000)]\n"
              "cli.run()\n")
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(300)  # the reader takes a little, then goes
        process.stdout.close()
        errors = process.stderr.read().decode()
        assert process.wait(timeout=60) == 1
    assert errors == ""


def test_a_terminal_that_cannot_show_chinese_gets_escapes() -> None:
    script = "from feedsvc import cli\ncli.main = lambda: cli.echo('标题 title')\ncli.run()\n"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=False,
                            env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert (result.returncode, result.stdout, result.stderr) == (0, b"\\u6807\\u9898 title\n", b"")


def test_the_installed_command_is_run() -> None:
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"feedsvc": "feedsvc.cli:run"}
    assert "from feedsvc.cli import run" in (ROOT / "feedsvc/__main__.py").read_text(encoding="utf-8")


def test_the_readme_shows_what_the_quick_start_prints(tmp_path: Path, env: dict[str, str]) -> None:
    """The README's quick start says what `feedsvc regenerate` prints on the shipped configuration and seeds: it
    must be that line (its seconds aside, which are the machine's)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    _, _, after = readme.partition("`regenerate` prints")
    block = after.split("```", 2)[1].strip()
    result = invoke(["regenerate", *paths(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    shown, printed = (re.sub(r"\d+\.\d\d s$", "<seconds> s", line.strip()) for line in (block, result.output))
    assert shown == printed


def test_the_readme_shows_the_entry_the_quick_start_writes(tmp_path: Path, env: dict[str, str]) -> None:
    """The README's example entry is what `feedsvc regenerate` writes into `all.atom` for its sample seed: each of
    its lines, up to where it is shortened (`…`), begins a line of the document, in the same order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.partition("```xml\n")[2].partition("```")[0]
    shown = [line.strip().partition("…")[0] for line in block.splitlines() if line.strip().partition("…")[0]]
    assert len(shown) >= 5, block
    assert invoke(["regenerate", *paths(tmp_path)], env=env).exit_code == 0
    document = iter(line.strip() for line in (tmp_path / "public" / "all.atom").read_text("utf-8").splitlines())
    missing = [line for line in shown if not any(written.startswith(line) for written in document)]
    assert missing == []
