"""Without Chromium the browser tests fail, saying why; they never skip (a skipped check would look like a pass)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]

NEEDS_THE_BROWSER = """
def test_needs_the_browser(browser):
    assert browser is not None
"""


def test_a_missing_chromium_fails_the_browser_tests_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "browser_check"
    folder.mkdir()
    (folder / "conftest.py").write_text("from tests.browser.conftest import browser  # noqa: F401\n")
    (folder / "test_needs_the_browser.py").write_text(NEEDS_THE_BROWSER)
    env = {
        **os.environ,
        "ADVOCACY_CHROMIUM": str(tmp_path / "no-chromium"),
        "ADVOCACY_CHROMEDRIVER": str(tmp_path / "no-chromedriver"),
        "PYTHONPATH": str(PROJECT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "--rootdir", str(folder), str(folder)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 1, done.stdout + done.stderr  # tests failed: not 0, not "no tests ran"
    assert re.search(r"\b1 error\b", summary), summary  # the fixture fails the test at set-up...
    assert "skipped" not in summary  # ...and nothing is skipped
    assert "need Debian's chromium and chromedriver" in done.stdout
    assert "no-chromium" in done.stdout  # it names what is missing
    assert "no-chromedriver" in done.stdout
