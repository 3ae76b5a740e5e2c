"""Where tasks come from: entry points of the group ``logicdistill.tasks`` (how installed packages,
this one included, register theirs), or a reference given wherever a task is named:
``path/to/file.py:ClassName`` or ``module:ClassName``. Nothing else is looked up by name."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from logicdistill.errors import UserInputError
from logicdistill.functions import base as function_bases
from logicdistill.plugins import is_reference, load_object
from logicdistill.tasks.api import Task

ENTRY_POINT_GROUP = "logicdistill.tasks"


@dataclass(frozen=True)
class Registration:
    name: str
    reference: str  # module:ClassName
    origin: str  # the distribution that registers it, with its version


def registered() -> dict[str, Registration]:
    """Every task registered by an installed package, by name."""
    found: dict[str, Registration] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(point, "dist", None)
        origin = f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"
        found.setdefault(point.name, Registration(point.name, point.value, origin))
    return dict(sorted(found.items()))


def task_class(name_or_reference: str) -> type[Task]:
    """The task class a registered name or a reference names."""
    if is_reference(name_or_reference):
        cls = load_object(name_or_reference)
        where = name_or_reference
    else:
        known = registered()
        if name_or_reference not in known:
            raise UserInputError(
                f"unknown task {name_or_reference!r}; registered: {', '.join(known) or 'none'} "
                "(or name one as path/to/file.py:ClassName or module:ClassName)"
            )
        where = known[name_or_reference].reference
        cls = load_object(where)
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise UserInputError(f"{where} is not a subclass of logicdistill.tasks.Task")
    return cls


def make_task(name_or_reference: str, settings: Mapping[str, str] | Sequence[str] | None = None) -> Task:
    """A task by name or reference, with settings given as text (``{"map": "maze"}`` or
    ``["map=maze"]``, as ``--set`` gives them) over its defaults."""
    cls = task_class(name_or_reference)
    return cls(parse_settings(cls, settings or {}))


def get_task(name_or_reference: str) -> Task:
    """A task with its default settings."""
    return make_task(name_or_reference)


def parse_settings(cls: type[Task], given: Mapping[str, str] | Sequence[str]) -> Any:
    """``cls.Settings`` with ``given`` (text) over its defaults, each converted to its field's type."""
    pairs = dict(given) if isinstance(given, Mapping) else dict(_split(item) for item in given)
    fields = {f.name: f for f in dataclasses.fields(cls.Settings)}
    unknown = [k for k in pairs if k not in fields]
    if unknown:
        raise UserInputError(f"{cls.name} has no setting {unknown[0]!r}; settings: {', '.join(fields) or 'none'}")
    hints = typing.get_type_hints(cls.Settings)
    values = {name: _convert(f"{cls.name} setting {name}", text, hints[name]) for name, text in pairs.items()}
    try:
        return cls.Settings(**values)
    except (TypeError, ValueError) as exc:
        raise UserInputError(f"{cls.name} settings: {exc}") from None


def describe_settings(cls: type[Task]) -> list[str]:
    """One line per setting: ``name=default  help``."""
    return [
        f"{f.name}={_default_text(f)}  {f.metadata.get('help', '')}".rstrip() for f in dataclasses.fields(cls.Settings)
    ]


def _split(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name.strip():
        raise UserInputError(f"--set needs NAME=VALUE, got {item!r}")
    return name.strip(), value


def _default_text(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return "(required)"
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _convert(what: str, text: str, hint: Any) -> Any:
    """``text`` as a value of ``hint``: str, int, float, bool, X | None ('none' or empty for
    None) and tuple[X, ...] (comma-separated)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        if text.strip().lower() in ("", "none"):
            return None
        rest = [a for a in args if a is not type(None)]
        return _convert(what, text, rest[0])
    if origin is tuple:
        return tuple(_convert(what, part.strip(), args[0]) for part in text.split(",") if part.strip())
    if hint is bool:
        lowered = text.strip().lower()
        if lowered not in _TRUE | _FALSE:
            raise UserInputError(f"{what} must be true or false, got {text!r}")
        return lowered in _TRUE
    if hint in (int, float):
        try:
            return hint(text)
        except ValueError:
            raise UserInputError(
                f"{what} must be {'an integer' if hint is int else 'a number'}, got {text!r}"
            ) from None
    return text


def _stages_of(name: str) -> tuple:
    return task_class(name).stages


function_bases.stages_of_registered_task = _stages_of  # bases on disk name their task; see functions.base
