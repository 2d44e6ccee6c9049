"""Where the real public data lives: ../shared/data beside the repository, as CI has it."""

from __future__ import annotations

import os
from pathlib import Path

from . import PROJECT_ROOT


def shared_data_dir() -> Path:
    """The folder with ofsted/ and the authority and children-looked-after CSVs (or $ADVOCACY_SHARED_DATA)."""
    for candidate in (
        os.environ.get("ADVOCACY_SHARED_DATA"),
        PROJECT_ROOT.parent / "shared" / "data",
        Path("/work/shared/data"),
    ):
        if candidate and (Path(candidate) / "ofsted").is_dir():
            return Path(candidate)
    raise RuntimeError("the real data folder ../shared/data is missing (set ADVOCACY_SHARED_DATA)")
