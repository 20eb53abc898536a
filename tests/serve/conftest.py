"""The daemon the serving tests share, one per test module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.conftest import SAMPLES
from tests.daemon import Daemon, start, stop


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    root = tmp_path_factory.mktemp("serve")
    shutil.copytree(SAMPLES, root / "seeds")
    running = start(root)
    yield running
    stop(running)
