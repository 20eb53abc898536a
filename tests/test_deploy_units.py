"""deploy/'s systemd units (as `systemd-analyze verify` reads them) and docker-compose.yml's two ways to get seeds:
a folder beside it, or a volume that git-sync keeps in step with an upstream archive repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
COMPOSE = shutil.which("docker-compose")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (CI installs Debian's systemd)")
def test_the_units_verify(tmp_path: Path) -> None:
    """Every unit in deploy/ loads without a warning, with its paths pointed at this machine's."""
    for unit in (ROOT / "deploy").glob("*.service"):
        text = unit.read_text(encoding="utf-8").replace("/srv/feedsvc/.venv/bin/feedsvc", shutil.which("true") or "")
        text = text.replace("/srv/feedsvc", str(tmp_path)).replace("User=feedsvc", "User=root")
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    for timer in (ROOT / "deploy").glob("*.timer"):
        shutil.copy(timer, tmp_path / timer.name)
    for name in ("public", "var", "seeds"):
        (tmp_path / name).mkdir()
    units = sorted(str(p) for p in tmp_path.glob("feedsvc*"))
    assert len(units) == 3
    result = subprocess.run([str(SYSTEMD_ANALYZE), "verify", *units], check=False, capture_output=True, text=True,
                            timeout=60, env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_timer_pulls_fast_forward_only() -> None:
    service = (ROOT / "deploy" / "feedsvc-seeds.service").read_text(encoding="utf-8")
    timer = (ROOT / "deploy" / "feedsvc-seeds.timer").read_text(encoding="utf-8")
    assert "ExecStart=/usr/bin/git pull --ff-only" in service and "Type=oneshot" in service
    assert "OnCalendar=" in timer and "Persistent=true" in timer  # feedsvc-seeds.timer starts feedsvc-seeds.service


@pytest.mark.skipif(COMPOSE is None, reason="docker-compose is not installed (CI installs Debian's docker-compose)")
@pytest.mark.parametrize(("env", "mount", "seeds_dir"), [
    ({}, f"{ROOT / 'seeds'}:/app/seeds:ro", "FEEDSVC_SEEDS_DIR: /app/seeds"),
    ({"COMPOSE_PROFILES": "sync", "FEEDSVC_SEEDS_REPO": "https://git.example.org/archive.git",
      "FEEDSVC_SEEDS_SOURCE": "seeds", "FEEDSVC_SEEDS_DIR": "/app/seeds/current"},
     "seeds:/app/seeds:ro", "FEEDSVC_SEEDS_DIR: /app/seeds/current"),
])
def test_compose_reads_seeds_from_the_folder_or_the_synced_volume(env: dict[str, str], mount: str,
                                                                   seeds_dir: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FEEDSVC_", "COMPOSE_"))}
    result = subprocess.run([str(COMPOSE), "-f", str(ROOT / "docker-compose.yml"), "config"], check=False,
                            capture_output=True, text=True, timeout=60, env={**clean, **env}, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert f"- {mount}" in result.stdout and seeds_dir in result.stdout
    if env:
        assert "GITSYNC_REPO: https://git.example.org/archive.git" in result.stdout
        assert "- seeds:/git:rw" in result.stdout
