"""The one interface through which base functions run.

Every function is compiled from its source text into a fresh namespace whose builtins are a small
safe subset and whose ``import`` admits only an allow-list of pure modules, so a function has no
file, network or process access through its globals. Bundled functions are trusted; untrusted
(LLM-written) code must additionally pass the static and sandboxed checks before it reaches here.
"""

from __future__ import annotations

import builtins
import importlib
import types
from collections.abc import Callable
from typing import Any

from logicdistill.errors import UserInputError
from logicdistill.functions.spec import FunctionSpec

ALLOWED_MODULES = frozenset({"math", "itertools", "collections", "heapq", "functools", "statistics"})
SAFE_BUILTINS = (
    "abs all any bool dict divmod enumerate filter float frozenset int isinstance len list map max min "
    "range reversed round set sorted str sum tuple zip ValueError KeyError IndexError TypeError"
).split()


def _restricted_import(name: str, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
    root = name.split(".")[0]
    if level != 0 or root not in ALLOWED_MODULES:
        raise ImportError(f"import of {name!r} is not allowed; allowed: {', '.join(sorted(ALLOWED_MODULES))}")
    module = importlib.import_module(name)
    for item in fromlist or ():  # `from statistics import sys` would hand out a module off the list
        value = getattr(module, item, None)
        if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] not in ALLOWED_MODULES:
            raise ImportError(f"import of {value.__name__!r} (via {name}) is not allowed")
    return module if fromlist else importlib.import_module(root)


def restricted_globals() -> dict[str, Any]:
    safe = {name: getattr(builtins, name) for name in SAFE_BUILTINS}
    safe["__import__"] = _restricted_import
    return {"__builtins__": safe, "__name__": "logicdistill_function"}


def compile_function(spec: FunctionSpec) -> Callable[..., Any]:
    """Compile one function's source into a callable with restricted globals."""
    return compile_source(spec.name, spec.source)


def compile_source(name: str, source: str) -> Callable[..., Any]:
    """The function ``name`` defined by ``source``, compiled with restricted globals."""
    namespace = restricted_globals()
    try:
        code = compile(source, f"<function {name}>", "exec")
        exec(code, namespace)  # noqa: S102 - restricted namespace, see module docstring
    except Exception as exc:  # the source is data: report, do not crash
        raise UserInputError(f"function {name!r} does not compile: {exc}") from None
    fn = namespace.get(name)
    if not callable(fn):
        raise UserInputError(f"source of {name!r} does not define a function of that name")
    return fn
