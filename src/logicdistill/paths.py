"""Where the toolkit keeps caches: ``$LOGICDISTILL_CACHE`` or ``~/.cache/logicdistill``."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("LOGICDISTILL_CACHE", Path.home() / ".cache" / "logicdistill"))
