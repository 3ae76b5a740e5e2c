"""Plain data across the sandbox boundary: a strict, type-preserving JSON encoding.

What a sandbox worker receives (a task's state snapshot, a stage's arguments) and what it sends
back (a function's result) is only ever this: ``None``, ``bool``, ``int``, finite ``float``,
``str``, and lists, tuples, dicts, sets and frozensets of those. Nothing a worker sends is
unpickled or evaluated; decoding builds builtin values and nothing else.

JSON alone would turn tuples into lists and integer dict keys into strings, so a function would
see ``plan[1]["goal"] == (3, 4)`` differently inside the sandbox than outside. Containers other
than lists are therefore tagged: ``{"t": [...]}`` a tuple, ``{"d": [[key, value], ...]}`` a dict,
``{"s": [...]}`` a set, ``{"f": [...]}`` a frozenset. A JSON list is a list.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32  # a stage result or a snapshot is a few levels deep; deeper is hostile or a bug
MAX_ITEMS = 200_000  # scalars and containers in one value (a large map's snapshot is ~10,000)
MAX_INT_BITS = 64  # results are indices, counts, cells: a huge int is a denial-of-service attempt


class PlainDataError(ValueError):
    """A value is not plain data, or is too deep or too large to cross the boundary."""


_TAGS = {tuple: "t", set: "s", frozenset: "f"}
_UNTAG = {"t": tuple, "s": set, "f": frozenset}


def encode(value: Any) -> Any:
    """``value`` as JSON-ready builtins (see the module docstring), or ``PlainDataError``."""
    return _encode(value, 0, [MAX_ITEMS])


def decode(data: Any) -> Any:
    """The value ``encode`` made ``data`` from; ``PlainDataError`` on anything else."""
    return _decode(data, 0, [MAX_ITEMS])


def _scalar(value: Any, kind: type) -> Any:
    """``value`` checked, if it is a plain scalar; ``_NOT_SCALAR`` if it is anything else."""
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if value.bit_length() > MAX_INT_BITS:
            raise PlainDataError(f"an integer of {value.bit_length()} bits")
        return value
    if kind is float:
        if not math.isfinite(value):  # json.loads accepts NaN and Infinity
            raise PlainDataError(f"a non-finite float {value!r}")
        return value
    return _NOT_SCALAR


_NOT_SCALAR = object()


def _enter(container: Any, depth: int, budget: list[int]) -> None:
    """Charge a container's items to the budget; items are counted where their container is, so
    scalars (most of a value) cost no bookkeeping of their own."""
    budget[0] -= len(container) + 1
    if budget[0] < 0:
        raise PlainDataError(f"more than {MAX_ITEMS} items")
    if depth >= MAX_DEPTH:
        raise PlainDataError(f"nested deeper than {MAX_DEPTH} levels")


def _encode(value: Any, depth: int, budget: list[int]) -> Any:
    kind = type(value)  # exact types: a subclass could carry methods that run on the other side
    if (out := _scalar(value, kind)) is not _NOT_SCALAR:
        return out
    if kind is list:
        _enter(value, depth, budget)
        return [_encode(v, depth + 1, budget) for v in value]
    if kind in _TAGS:
        _enter(value, depth, budget)
        return {_TAGS[kind]: [_encode(v, depth + 1, budget) for v in value]}
    if kind is dict:
        _enter(value, depth, budget)
        return {"d": [[_encode(k, depth + 1, budget), _encode(v, depth + 1, budget)] for k, v in value.items()]}
    raise PlainDataError(f"a {kind.__name__}, which is not plain data")


def _decode(data: Any, depth: int, budget: list[int]) -> Any:
    kind = type(data)
    if (out := _scalar(data, kind)) is not _NOT_SCALAR:
        return out
    if kind is list:
        _enter(data, depth, budget)
        return [_decode(v, depth + 1, budget) for v in data]
    if kind is dict and len(data) == 1:
        ((tag, items),) = data.items()
        if type(items) is list:
            _enter(items, depth, budget)
            try:
                if tag in _UNTAG:
                    return _UNTAG[tag](_decode(v, depth + 1, budget) for v in items)
                if tag == "d" and all(type(p) is list and len(p) == 2 for p in items):
                    return {_decode(k, depth + 1, budget): _decode(v, depth + 1, budget) for k, v in items}
            except TypeError as exc:  # an unhashable set member or key
                raise PlainDataError(str(exc)) from None
    raise PlainDataError(f"unexpected {kind.__name__} in plain data")


def dumps(value: Any) -> bytes:
    """One compact UTF-8 JSON document."""
    try:
        return json.dumps(encode(value), separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (ValueError, RecursionError) as exc:  # PlainDataError is a ValueError
        raise PlainDataError(str(exc)) from None


def loads(raw: bytes) -> Any:
    """The value in ``raw``; ``PlainDataError`` for anything that is not what ``dumps`` writes."""
    try:
        return decode(json.loads(raw.decode("utf-8")))
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise PlainDataError(f"not plain data: {type(exc).__name__}: {str(exc)[:200]}") from None
