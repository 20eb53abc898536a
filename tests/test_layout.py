"""The tests mirror the packages: every module of `feedsvc` with logic has a test file of its own, beside the
others of its stage (`feedsvc/ingest/scan.py` -> `tests/ingest/test_scan.py`)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WITHOUT_LOGIC = {"__main__.py", "errors.py", "versions.py"}
"""Modules that only name things: the entry point, the exception types, the code versions."""


def test_every_module_with_logic_has_a_test_file_of_its_own() -> None:
    package = ROOT / "feedsvc"
    missing = []
    for module in sorted(package.rglob("*.py")):
        if module.name == "__init__.py" or module.name in WITHOUT_LOGIC:
            continue
        folder = module.parent.relative_to(package)
        expected = ROOT / "tests" / folder / f"test_{module.stem}.py"
        if not expected.is_file():
            missing.append(f"{module.relative_to(ROOT)} -> {expected.relative_to(ROOT)}")
    assert missing == []
