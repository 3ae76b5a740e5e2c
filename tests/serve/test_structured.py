"""Which JSON documents a ``response_format`` schema allows (``serve.structured``), and how a
structured reply is drawn from their probabilities (``serve.chat.pick``); no model, no server.
Through HTTP with the real student: tests/serve/test_serve_structured.py."""

from __future__ import annotations

from enum import Enum

import numpy as np
import pytest
import torch
from pydantic import BaseModel, ConfigDict

from logicdistill.agent.llm_teacher import response_format
from logicdistill.serve import ServeLimits
from logicdistill.serve.chat import pick
from logicdistill.serve.errors import APIError
from logicdistill.serve.schemas import ChatRequest
from logicdistill.serve.structured import allowed_replies, answers, render

ENFORCED = "This server enforces only JSON schemas with a finite set of at most"


def teacher_schema(names: list[str]) -> dict:
    return response_format(names)["json_schema"]["schema"]


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "enum": ["a", "b", "a"]}, ["a", "b"]),  # duplicates once, in order
        ({"enum": ["a", 1, None, True, {"k": [1]}]}, ["a", 1, None, True, {"k": [1]}]),  # any JSON value
        ({"type": "string", "enum": ["a", 1, None]}, ["a"]),  # the type filters the enum
        ({"type": ["string", "null"], "enum": ["a", 1, None]}, ["a", None]),
        ({"type": "integer", "enum": [1, True, 2.0, 2.5]}, [1, 2.0]),  # JSON's booleans are no integers
        ({"const": {"x": 1}}, [{"x": 1}]),
        ({"enum": [1, 2, 3], "const": 2}, [2]),  # both: what both allow
        ({"type": "boolean"}, [True, False]),
        ({"type": "null"}, [None]),
        ({"type": ["boolean", "null"]}, [True, False, None]),
        ({"type": "object", "properties": {}, "additionalProperties": False}, [{}]),
        (
            {"anyOf": [{"enum": ["a", "b"]}, {"const": "a"}, {"type": "null"}], "description": "annotations pass"},
            ["a", "b", None],
        ),
        ({"oneOf": [{"enum": ["a", "b"]}, {"enum": ["b", "c"]}]}, ["a", "c"]),  # b is in two: oneOf forbids it
        ({"$defs": {"Yes": {"const": "yes"}}, "$ref": "#/$defs/Yes"}, ["yes"]),
    ],
)
def test_each_finite_construct_lists_its_documents(schema, expected):
    assert answers(schema) == expected


def test_the_teachers_schema_allows_exactly_one_object_per_name():
    names = ["stand_on_17", "hit", "naïve"]
    assert answers(teacher_schema(names)) == [{"function": n} for n in names]


def test_an_object_is_every_combination_of_its_properties_in_the_order_given():
    schema = {
        "type": "object",
        "properties": {"b": {"enum": [1, 2]}, "a": {"type": "boolean"}, "c": {"const": "x"}},
        "required": ["a", "b", "c"],
        "additionalProperties": False,
    }
    found = answers(schema)
    assert found == [
        {"b": 1, "a": True, "c": "x"},
        {"b": 1, "a": False, "c": "x"},
        {"b": 2, "a": True, "c": "x"},
        {"b": 2, "a": False, "c": "x"},
    ]
    assert [render(d) for d in found][:1] == ['{"b":1,"a":true,"c":"x"}']  # key order kept


class Colour(str, Enum):
    red = "red"
    green = "green"
    blue = "blue"


class Choice(BaseModel):
    """What ``client.beta.chat.completions.parse(response_format=Choice)`` sends: $defs and $ref."""

    model_config = ConfigDict(extra="forbid")
    colour: Colour
    sure: bool
    note: None


def test_a_pydantic_models_schema_with_refs_lists_documents_the_model_accepts():
    found = answers(Choice.model_json_schema())
    assert len(found) == 6 and all(Choice.model_validate(d) for d in found)
    assert found[0] == {"colour": "red", "sure": True, "note": None}


def test_the_limit_bounds_the_answers_and_is_checked_before_combinations_are_built():
    limit = ServeLimits().max_schema_answers
    assert limit == 64
    assert len(answers({"enum": list(range(limit))})) == limit
    with pytest.raises(APIError, match=f"allows {limit + 1} answers, more than {limit}"):
        answers({"enum": list(range(limit + 1))})
    wide = {f"p{i}": {"type": "boolean"} for i in range(40)}  # 2**40 objects: refused, never built
    schema = {"type": "object", "properties": wide, "required": list(wide), "additionalProperties": False}
    with pytest.raises(APIError, match=f"the schema allows {2**40} answers, more than {limit}"):
        answers(schema)
    assert len(answers(teacher_schema(["a", "b", "c"]), limit=3)) == 3
    with pytest.raises(APIError, match="allows 3 answers, more than 2"):
        answers(teacher_schema(["a", "b", "c"]), limit=2)


def optional(schema: dict) -> dict:
    return schema | {"required": []}


OBJECT = teacher_schema(["a"])
UNSUPPORTED = {
    "a free string": ({"type": "string"}, "the schema allows any string, which cannot be listed"),
    "a number": ({"type": "number"}, "allows any number"),
    "an integer property": (
        {**OBJECT, "properties": {"function": {"type": "integer"}}},
        "the schema at #/properties/function allows any integer",
    ),
    "an array": ({"type": "array", "items": {"type": "boolean"}}, "uses 'items', which is not enforced here"),
    "an array alone": ({"type": "array"}, "allows arrays, which cannot be listed"),
    "no type": ({"description": "anything"}, "has no type, enum or const, so it allows any document"),
    "true": (True, "is `true`, which allows any document"),
    "open object": (
        {k: v for k, v in OBJECT.items() if k != "additionalProperties"},
        "without additionalProperties false",
    ),
    "optional property": (optional(OBJECT), "whose properties are not all required"),
    "a pattern beside enum": ({"type": "string", "enum": ["a"], "pattern": "^a$"}, "uses 'pattern'"),
    "allOf": ({"allOf": [{"enum": ["a"]}]}, "uses 'allOf', which is not enforced here"),
    "a remote $ref": ({"$ref": "https://example.com/s.json"}, "does not point into the schema"),
    "a missing $ref": ({"$ref": "#/$defs/Gone"}, "which is not in the schema"),
    "a $ref cycle": ({"$defs": {"Me": {"$ref": "#/$defs/Me"}}, "$ref": "#/$defs/Me"}, "nested more than 32"),
    "an unknown type": ({"type": "date"}, "allows the unknown type 'date'"),
    "nothing allowed": ({"type": "string", "enum": [1, 2]}, "the schema allows no JSON document"),
    "no schema": (None, "json_schema gives no schema"),
}


@pytest.mark.parametrize("case", UNSUPPORTED, ids=list(UNSUPPORTED))
def test_a_schema_it_cannot_list_is_a_400_that_says_what_is_enforced(case):
    schema, words = UNSUPPORTED[case]
    with pytest.raises(APIError) as info:
        answers(schema)
    error = info.value
    assert (error.status_code, error.param) == (400, "response_format")
    assert words in error.message and ENFORCED in error.message
    assert "enum, const, boolean, null, objects" in error.message and "vLLM enforces any schema" in error.message


def request(response_format: dict | None) -> ChatRequest:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    return ChatRequest.model_validate(body | ({"response_format": response_format} if response_format else {}))


def test_the_request_field_text_json_object_and_json_schema():
    limits = ServeLimits()
    assert allowed_replies(request(None).response_format, limits) is None  # free text, as before
    assert allowed_replies(request({"type": "text"}).response_format, limits) is None
    replies = allowed_replies(request(response_format(["a", "é"])).response_format, limits)
    assert replies == ['{"function":"a"}', '{"function":"é"}']  # compact, UTF-8 as is
    with pytest.raises(APIError, match="json_object allows any JSON object, which cannot be listed"):
        allowed_replies(request({"type": "json_object"}).response_format, limits)


def test_greedy_takes_the_most_likely_and_the_first_of_equals():
    assert pick(np.array([0.2, 0.5, 0.3]), None, None) == 1
    assert pick(np.array([0.2, 0.5, 0.3]), 0.0, 0.1) == 1  # temperature 0 is greedy; top_p does not matter
    assert pick(np.array([0.4, 0.4, 0.2]), None, None) == 0


def draws(probabilities: list[float], temperature: float, top_p: float | None = None, n: int = 4000) -> np.ndarray:
    torch.manual_seed(0)
    picked = [pick(np.array(probabilities), temperature, top_p) for _ in range(n)]
    return np.bincount(picked, minlength=len(probabilities)) / n


def test_sampling_follows_the_probabilities_sharpened_or_flattened_by_the_temperature():
    p = [0.6, 0.3, 0.1]
    for temperature in (1.0, 0.5, 2.0):
        scaled = np.array(p) ** (1 / temperature)
        np.testing.assert_allclose(draws(p, temperature), scaled / scaled.sum(), atol=0.03)
    np.testing.assert_allclose(draws(p, 1.0, top_p=0.8), [2 / 3, 1 / 3, 0], atol=0.03)  # the nucleus: 0.6 + 0.3
    np.testing.assert_allclose(draws(p, 1.0, top_p=0.5), [1, 0, 0])  # the most likely always stays
    assert (draws(p, 1.0) == draws(p, 1.0)).all()  # torch.manual_seed repeats the draws
