"""Teacher exchanges on disk, keyed by the content of the request, so builds replay exactly.

    STORE/<sha256>.json   {"format", "key", "request": {model, messages, parameters}, "reply": {...}}

The key is the sha256 of the request's canonical JSON (sorted keys, no whitespace): the same
model, messages and parameters always map to the same file, whichever server answered.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from logicdistill.errors import UserInputError
from logicdistill.functions.base import atomic_write_text

FORMAT = "logicdistill-teacher-exchange/1"


class Reply(BaseModel):
    content: str
    model: str | None = None  # as the server named itself
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None


class Exchange(BaseModel):
    format: str = FORMAT
    key: str
    request: dict[str, Any]
    reply: Reply


def request_key(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ExchangeStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def get(self, key: str) -> Exchange | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            exchange = Exchange.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValidationError) as exc:
            raise UserInputError(f"{path} is not a readable teacher exchange: {exc}") from None
        if exchange.format != FORMAT or exchange.key != key:
            raise UserInputError(f"{path} does not hold a {FORMAT} exchange for key {key}")
        return exchange

    def put(self, request: dict[str, Any], reply: Reply) -> Exchange:
        exchange = Exchange(key=request_key(request), request=request, reply=reply)
        atomic_write_text(self.path(exchange.key), exchange.model_dump_json(indent=2) + "\n")
        return exchange
