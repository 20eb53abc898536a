"""What the output tests share: an archive of 240 stories over four and a half months."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from feedsvc.settings import Settings
from tests.conftest import START, write_seed

BASE = "https://f.example/"


@pytest.fixture
def archive_settings(make_settings: Callable[..., Settings]) -> Settings:
    settings = make_settings(base_url=BASE, max_entries=10, archive_split_entries=60)
    for number in range(240):  # one story every 14 hours: Jan to mid-May 2024, about 50 a month
        write_seed(settings.seeds_dir, number, START + timedelta(hours=14 * number))
    return settings
