"""Structured outputs (OpenAI's ``response_format``) for JSON schemas with a finite set of answers.

vLLM and OpenAI enforce a schema token by token while generating. A small model served here
gets the same guarantee another way: when the schema allows only a few documents (an ``enum``
of names, as the teacher asks for, ``const``, booleans, ``null``, objects made of those, and
``anyOf``/``oneOf`` of them), every one of them is listed (``answers``) and the model's reply is
the one it finds most likely (``chat.py`` scores them with the student's own scorer). A schema
whose answers cannot be listed (a free string, a number, an array, too many answers) is refused
with a 400 that says so, rather than answered with text that ignores it.

Nothing here runs the model: a refusal costs no model time and takes no lock.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from itertools import product
from typing import Any

from logicdistill.serve.errors import APIError
from logicdistill.serve.limits import ServeLimits
from logicdistill.serve.schemas import ResponseFormat

# Keywords that describe a schema without constraining it; any other keyword this module does not
# enforce is refused, so that no answer it lists can break a constraint it did not read.
ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}
    | {"$comment", "$schema", "$id", "$anchor", "$defs", "definitions"}
)
MAX_DEPTH = 32  # nested schemas and $ref hops: bounds the recursion, and a $ref cycle
_KINDS = {"string": "any string", "number": "any number", "integer": "any integer", "array": "arrays"}


def render(document: Any) -> str:
    """A document as the reply's text: compact JSON (as OpenAI's structured outputs usually
    arrive), UTF-8 as is. One fixed rendering gives every document exactly one text to score:
    optional spacing would be one more free choice, splitting a document's probability over its
    spellings, and costs tokens."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def allowed_replies(response_format: ResponseFormat | None, limits: ServeLimits) -> list[str] | None:
    """Every text the reply may be, rendered, in the schema's order; None where the request asks
    for free text (no ``response_format``, or ``{"type": "text"}``)."""
    if response_format is None or response_format.type == "text":
        return None
    if response_format.type == "json_object":
        raise refusal("json_object allows any JSON object, which cannot be listed", limits.max_schema_answers)
    return [render(doc) for doc in answers(response_format.json_schema.schema_, limits.max_schema_answers)]


def answers(schema: Any, limit: int = ServeLimits.max_schema_answers) -> list[Any]:
    """Every JSON document ``schema`` allows, in the schema's order, when there are at most
    ``limit``; otherwise (or for a schema this module cannot enumerate) an ``APIError`` 400."""
    if schema is None:
        raise refusal("json_schema gives no schema", limit)
    found = _Walk(schema, limit).answers(schema, "#", 0)
    if not found:
        raise refusal("the schema allows no JSON document", limit)
    return found


def refusal(reason: str, limit: int) -> APIError:
    """One message for every schema this server cannot enforce: why, what it does enforce, and
    where to go for the rest."""
    return APIError(
        400,
        f"response_format: {reason}. This server enforces only JSON schemas with a finite set of at most "
        f"{limit} answers (enum, const, boolean, null, objects of those with every property required and "
        "additionalProperties false, and anyOf/oneOf of those), by choosing the answer the model finds most "
        "likely; a larger model served by vLLM enforces any schema",
        param="response_format",
    )


class _Walk:
    """One enumeration: the root (for ``$ref``) and the bound on answers at every step, so that a
    schema with millions of answers is refused before they are built. ``where`` is a JSON pointer
    into the root (``#/properties/function``), for the refusal to say which part it cannot list."""

    def __init__(self, root: Any, limit: int):
        self.root, self.limit = root, limit

    def answers(self, node: Any, where: str, depth: int) -> list[Any]:
        if depth > MAX_DEPTH:
            self.refuse(f"{_at(where)} is nested more than {MAX_DEPTH} levels deep (or a $ref refers to itself)")
        if isinstance(node, bool):  # true allows anything, false nothing
            return [] if node is False else self.refuse(f"{_at(where)} is `true`, which allows any document")
        if not isinstance(node, dict):
            self.refuse(f"{_at(where)} is not a schema (an object or a boolean)")
        if "$ref" in node:
            self.only(node, {"$ref"}, where)
            return self.answers(*self.resolve(node["$ref"], where), depth + 1)
        for key in ("anyOf", "oneOf"):
            if key in node:
                self.only(node, {key}, where)
                return self.union(node[key], f"{where}/{key}", depth, exclusive=key == "oneOf")
        if "enum" in node or "const" in node:
            self.only(node, {"enum", "const", "type"}, where)
            return self.bounded(self.values(node, where), where)
        return self.typed(node, where, depth)

    def typed(self, node: dict, where: str, depth: int) -> list[Any]:
        """Answers of a schema known by its ``type`` alone (one type or a list of them)."""
        self.only(node, {"type", "properties", "required", "additionalProperties"}, where)
        if "type" not in node:
            self.refuse(f"{_at(where)} has no type, enum or const, so it allows any document")
        found: list[Any] = []
        for kind in self.types(node["type"], where):
            if kind == "boolean":
                found += [True, False]
            elif kind == "null":
                found.append(None)
            elif kind == "object":
                found += self.object(node, where, depth)
            else:
                what = _KINDS.get(kind, f"the unknown type {kind!r}")
                self.refuse(f"{_at(where)} allows {what}, which cannot be listed")
        return self.bounded(_unique(found), where)

    def object(self, node: dict, where: str, depth: int) -> list[dict]:
        """Every combination of the properties' answers, the properties in the order given."""
        properties, required = node.get("properties", {}), node.get("required", [])
        if not isinstance(properties, dict) or not isinstance(required, list):
            self.refuse(f"{_at(where)} has properties that are not an object or required that is not a list")
        if node.get("additionalProperties", True) is not False:
            self.refuse(f"{_at(where)} is an object without additionalProperties false, so any other key may follow")
        if sorted(map(str, required)) != sorted(properties):
            self.refuse(f"{_at(where)} is an object whose properties are not all required")
        options = [self.answers(sub, f"{where}/properties/{name}", depth + 1) for name, sub in properties.items()]
        count = math.prod(map(len, options))  # counted before any combination is built
        if count > self.limit:
            self.refuse(f"{_at(where)} allows {count} answers, more than {self.limit}")
        return [dict(zip(properties, combination)) for combination in product(*options)]

    def union(self, branches: Any, where: str, depth: int, exclusive: bool) -> list[Any]:
        """``anyOf``: what any branch allows. ``oneOf``: what exactly one branch allows."""
        if not isinstance(branches, list) or not branches:
            self.refuse(f"{_at(where)} is not a non-empty list of schemas")
        each = [_unique(self.answers(b, f"{where}/{i}", depth + 1)) for i, b in enumerate(branches)]
        found = [doc for docs in each for doc in docs]
        if exclusive:  # a document that two branches allow breaks oneOf
            times = Counter(map(render, found))
            found = [doc for doc in found if times[render(doc)] == 1]
        return self.bounded(_unique(found), where)

    def values(self, node: dict, where: str) -> list[Any]:
        """The values of ``enum`` and ``const`` (with both: those in both), of its ``type`` if given."""
        if "enum" in node and not isinstance(node["enum"], list):
            self.refuse(f"{_at(where)} has an enum that is not a list")
        values = node["enum"] if "enum" in node else [node["const"]]
        if "const" in node:
            values = [v for v in values if render(v) == render(node["const"])]
        if "type" in node:
            kinds = self.types(node["type"], where)
            values = [v for v in values if any(_is(v, k) for k in kinds)]
        return _unique(values)

    def types(self, given: Any, where: str) -> list[str]:
        kinds = [given] if isinstance(given, str) else given
        if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
            self.refuse(f"{_at(where)} has a type that is neither a type name nor a list of them")
        return kinds

    def resolve(self, ref: Any, where: str) -> tuple[Any, str]:
        """The schema a local ``$ref`` (``#/$defs/Name``, a JSON pointer into the root) points to,
        and where that is."""
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
            self.refuse(f"{_at(where)} has a $ref {ref!r} that does not point into the schema (#/...)")
        node = self.root
        for part in ref[2:].split("/") if ref != "#" else []:
            key = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                self.refuse(f"{_at(where)} has a $ref to {ref!r}, which is not in the schema")
        return node, ref

    def only(self, node: dict, allowed: set[str], where: str) -> None:
        """Refuse a keyword this kind of schema does not enforce (``pattern``, ``minimum``, ``allOf``,
        ``enum`` beside ``anyOf``...): an answer listed without it could break it."""
        extra = sorted(set(node) - allowed - ANNOTATIONS)
        if extra:
            self.refuse(f"{_at(where)} uses {extra[0]!r}, which is not enforced here")

    def bounded(self, found: list[Any], where: str) -> list[Any]:
        if len(found) > self.limit:
            self.refuse(f"{_at(where)} allows {len(found)} answers, more than {self.limit}")
        return found

    def refuse(self, reason: str) -> Any:
        raise refusal(reason, self.limit)


def _at(where: str) -> str:
    return "the schema" if where == "#" else f"the schema at {where}"


def _is(value: Any, kind: str) -> bool:
    """Whether a JSON value is of a JSON-schema type (Python's bool is an int; JSON's is not)."""
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    checks = {
        "null": lambda v: v is None,
        "boolean": lambda v: isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    return kind in checks and checks[kind](value)


def _unique(documents: list[Any]) -> list[Any]:
    """The first of each distinct document (by its rendering: ``1`` and ``true`` stay apart)."""
    seen: dict[str, Any] = {}
    for doc in documents:
        seen.setdefault(render(doc), doc)
    return list(seen.values())
