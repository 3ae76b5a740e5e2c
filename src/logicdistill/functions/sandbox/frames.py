"""The wire between a sandbox worker and its parent: length-prefixed UTF-8 JSON messages.

Each message is an 8-byte big-endian length and a JSON object. The parent reads the worker's
messages with a deadline and a size cap (``pool.py``); the worker blocks on its parent's.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

HEADER = struct.Struct("!Q")


def pack(message: dict[str, Any]) -> bytes:
    payload = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return HEADER.pack(len(payload)) + payload


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_exact(fd: int, size: int) -> bytes | None:
    """``size`` bytes from ``fd``, or None at end of file (the other side is gone)."""
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
