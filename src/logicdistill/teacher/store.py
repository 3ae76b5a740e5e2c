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
from logicdistill.userfiles import MiB, read_user_text

FORMAT = "logicdistill-teacher-exchange/1"
MAX_EXCHANGE_BYTES = 16 * MiB  # a request with its prompt and a reply: tens of KiB


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
        text = read_user_text(path, MAX_EXCHANGE_BYTES, "teacher exchange")
        try:
            exchange = Exchange.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise UserInputError(
                f"{path} is not a readable teacher exchange: {first['msg']} at "
                f"{'.'.join(map(str, first['loc'])) or 'the top'}"
            ) from None
        if exchange.format != FORMAT or exchange.key != key:
            raise UserInputError(f"{path} does not hold a {FORMAT} exchange for key {key}")
        return exchange

    def put(self, request: dict[str, Any], reply: Reply) -> Exchange:
        exchange = Exchange(key=request_key(request), request=request, reply=reply)
        atomic_write_text(self.path(exchange.key), exchange.model_dump_json(indent=2) + "\n")
        return exchange
