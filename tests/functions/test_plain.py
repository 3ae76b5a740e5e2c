"""The plain-data codec: what crosses the sandbox boundary keeps its Python types exactly, and
anything else (objects, huge or deep values, non-finite floats, forged tags) is refused."""

from __future__ import annotations

import json

import pytest

from logicdistill.functions import plain
from logicdistill.functions.plain import PlainDataError


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -3,
        2**63 - 1,
        1.5,
        "",
        "évader",
        [1, [2, (3, 4)]],
        (1, "a", None),
        {1: (2, 3), "k": [4]},
        {(1, 2): frozenset({3})},
        {4, 5},
        frozenset(),
        {"plan": {0: {"target": 1, "goal": (3, 4)}}},
    ],
)
def test_values_round_trip_with_their_types(value):
    back = plain.loads(plain.dumps(value))
    assert back == value and type(back) is type(value)


def nested(depth: int) -> list:
    value: list = [1]
    for _ in range(depth):
        value = [value]
    return value


class Sneaky(int):
    pass


@pytest.mark.parametrize(
    "value, reason",
    [
        (object(), "not plain data"),
        (Sneaky(3), "not plain data"),  # a subclass could run methods on the other side
        (2**64, "bits"),
        (float("nan"), "non-finite"),
        (float("inf"), "non-finite"),
        (nested(plain.MAX_DEPTH + 2), "deeper"),
        ([0] * (plain.MAX_ITEMS + 1), "items"),
        (lambda: 1, "not plain data"),
    ],
)
def test_non_plain_values_are_refused(value, reason):
    with pytest.raises(PlainDataError, match=reason):
        plain.dumps(value)


@pytest.mark.parametrize(
    "raw",
    [
        b"NaN",
        b'{"x": [1]}',
        b'{"t": 1}',
        b'{"d": [[1]]}',
        b'{"s": [[1]]}',
        b'{"d": [[[1], 2]]}',
        b"[" * 5000 + b"]" * 5000,
        b"\xff",
        b"1" * 5000,
        b'{"t": [1], "s": [2]}',
    ],
)
def test_what_a_worker_sends_is_decoded_strictly(raw):
    with pytest.raises(PlainDataError):
        plain.loads(raw)


def test_the_encoding_is_json():
    assert json.loads(plain.dumps((1, {2: "x"}))) == {"t": [1, {"d": [[2, "x"]]}]}
