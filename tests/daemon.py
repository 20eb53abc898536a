"""A `feedsvc serve` process on a free loopback port over a temporary directory, for the tests that run one."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT


@dataclass
class Daemon:
    process: subprocess.Popen[bytes]
    port: int
    root: Path
    log: Path

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None,
                ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll `condition` until it holds; fail after `seconds` (a bound, not a sleep the test relies on)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def start(root: Path, *extra: str, env_extra: dict[str, str] | None = None) -> Daemon:
    log = root / "daemon.log"
    env = {**os.environ, "FEEDSVC_CONFIG": str(ROOT / "config" / "feedsvc.toml"), **(env_extra or {})}
    command = [sys.executable, "-m", "feedsvc", "serve", "--port", "0", "--seeds", str(root / "seeds"),
               "--output", str(root / "public"), "--state", str(root / "var"), *extra]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    holder: dict[str, int] = {}

    def listening() -> bool:
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", log.read_text(errors="replace"))
        if match:
            holder["port"] = int(match.group(1))
        assert process.poll() is None, log.read_text(errors="replace")
        return bool(match)

    wait_for(listening, 20, "the daemon to listen")
    daemon = Daemon(process, holder["port"], root, log)
    wait_for(lambda: daemon.request("/all.atom")[0] == 200, 20, "the first regeneration")
    return daemon


def stop(daemon: Daemon) -> int:
    if daemon.process.poll() is None:
        daemon.process.send_signal(signal.SIGTERM)
    return daemon.process.wait(timeout=10)


def seed_text(number: int, body: str = "<p>正文</p>") -> str:
    return (f"<!--{1_700_000_000_000 + number * 1000}-->\n[测试稿件第{number}号](https://www.dw.com/zh/test/a-{number})\n"
            f"------\n\n{body}\n")
