"""Objects named by reference, the way Python tools name plug-ins: ``module:QualifiedName`` (an
importable module) or ``path/to/file.py:QualifiedName`` (a file, imported under a private module
name). Tasks are found this way (``tasks.registry``), and a sandbox worker loads its task's view
factory by the same reference before it is confined."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from logicdistill.errors import UserInputError

REFERENCE_ATTRIBUTE = "__logicdistill_reference__"  # set on objects loaded from a file: how to load them again


def is_reference(text: str) -> bool:
    """Whether ``text`` names an object (``X:Y``) rather than a registered name."""
    return ":" in text


def load_object(reference: str) -> Any:
    """The object a reference names; a clear error for anything that does not resolve."""
    where, _, qualname = reference.rpartition(":")
    if not where or not qualname:
        raise UserInputError(f"bad reference {reference!r}; expected module:ClassName or path/to/file.py:ClassName")
    module = _import_file(where) if where.endswith(".py") else _import_module(where)
    target: Any = module
    for part in qualname.split("."):
        if not part.isidentifier() or not hasattr(target, part):
            raise UserInputError(f"{where} has no {qualname!r}")
        target = getattr(target, part)
    if where.endswith(".py"):
        try:
            setattr(target, REFERENCE_ATTRIBUTE, f"{Path(where).resolve()}:{qualname}")
        except (AttributeError, TypeError):
            pass  # not a class or function: it cannot travel to a worker anyway
    return target


def reference_of(obj: Any) -> str:
    """The reference that loads ``obj`` (a class or function) again, in another process too."""
    return getattr(obj, REFERENCE_ATTRIBUTE, None) or f"{obj.__module__}:{obj.__qualname__}"


def _import_module(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):  # the module itself, not one it imports
            raise UserInputError(f"no module named {name!r}") from None
        raise


def _import_file(path_text: str):
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise UserInputError(f"task file not found: {path}")
    resolved = path.resolve()
    # a private, stable module name: the same file imports once per process, under the same name
    name = "logicdistill_plugin_" + hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise UserInputError(f"{path} is not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before exec: dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[name]
        raise UserInputError(f"{path}:{exc.lineno}: {exc.msg}") from None
    except BaseException:
        del sys.modules[name]
        raise
    return module
