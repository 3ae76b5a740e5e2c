"""compile_function: allowed modules and safe builtins work; files, processes and other modules do not."""

from __future__ import annotations

import textwrap

import pytest

from logicdistill.errors import UserInputError
from logicdistill.functions import FunctionSpec, Manual, Provenance, Verification, compile_function


def spec_from(name: str, source: str) -> FunctionSpec:
    """A spec around ``source`` (dedented); everything else is filler."""
    return FunctionSpec(
        name=name,
        stage="target",
        signature="(state)",
        manual=Manual(what="Test function.", when="In tests."),
        source=textwrap.dedent(source),
        provenance=Provenance(kind="human"),
        verification=Verification(status="unverified"),
    )


def compiled(source: str, name: str = "f"):
    return compile_function(spec_from(name, source))


def test_allowed_modules_can_be_imported_and_used():
    fn = compiled(
        """
        def f(state):
            import math
            from collections import Counter
            import itertools, heapq, functools, statistics
            counts = Counter(state)
            return math.sqrt(16), counts["a"], heapq.nsmallest(2, state), statistics.mean([1, 3])
        """
    )
    assert fn("aab") == (4.0, 2, ["a", "a"], 2)


def test_submodule_of_an_allowed_module_can_be_imported():
    fn = compiled(
        """
        def f(state):
            import collections.abc
            return isinstance(state, collections.abc.Sequence)
        """
    )
    assert fn([1]) is True


def test_safe_builtins_are_available():
    fn = compiled(
        """
        def f(state):
            pairs = sorted(zip(state, range(len(state))), reverse=True)
            return max(state), min(state), sum(state), list(reversed(state)), dict(pairs), abs(-2), round(2.6)
        """
    )
    assert fn([3, 1, 2]) == (3, 1, 6, [2, 1, 3], {3: 0, 2: 2, 1: 1}, 2, 3)


def test_safe_exceptions_can_be_raised_and_caught():
    fn = compiled(
        """
        def f(state):
            try:
                return state[5]
            except IndexError:
                raise ValueError("short")
        """
    )
    with pytest.raises(ValueError, match="short"):
        fn([1])


@pytest.mark.parametrize(
    "body, error",
    [
        ("import os\n    return os.getcwd()", ImportError),
        ("from os import path\n    return path", ImportError),
        ("import subprocess\n    return subprocess", ImportError),
        ("return __import__('subprocess')", ImportError),
        ("from . import spec\n    return spec", ImportError),
        ("return open('/etc/hostname').read()", NameError),
        ("return eval('1 + 1')", NameError),
        ("return exec('x = 1')", NameError),
        ("return getattr(state, 'x')", NameError),
        ("return globals()", NameError),
        ("print('hi')", NameError),
    ],
    ids=[
        "import-os",
        "from-os",
        "import-subprocess",
        "dunder-import",
        "relative",
        "open",
        "eval",
        "exec",
        "getattr",
        "globals",
        "print",
    ],
)
def test_forbidden_access_fails_when_the_function_is_called(body, error):
    fn = compiled(f"def f(state):\n    {body}\n")  # compiling is fine: the body has not run yet
    with pytest.raises(error):
        fn(None)


def test_the_import_error_lists_the_allowed_modules():
    fn = compiled("def f(state):\n    import os\n")
    with pytest.raises(ImportError, match="'os' is not allowed.*math"):
        fn(None)


def test_module_level_forbidden_import_is_reported_at_compile_time():
    with pytest.raises(UserInputError, match="'f' does not compile"):
        compiled("import os\n\ndef f(state):\n    return os\n")


def test_syntax_error_in_source_is_a_user_input_error():
    with pytest.raises(UserInputError, match="'f' does not compile"):
        compiled("def f(state)\n    return 1\n")


@pytest.mark.parametrize(
    "source",
    ["def g(state):\n    return 1\n", "f = 3\n", ""],
    ids=["other-name", "not-callable", "empty"],
)
def test_source_that_does_not_define_the_function_is_rejected(source):
    with pytest.raises(UserInputError, match="does not define a function of that name"):
        compiled(source, name="f")


def test_each_compiled_function_gets_a_fresh_namespace():
    source = "COUNTER = []\n\ndef f(state):\n    COUNTER.append(state)\n    return len(COUNTER)\n"
    first, second = compiled(source), compiled(source)
    assert first(1) == 1 and first(2) == 2
    assert second(1) == 1
    assert first.__globals__ is not second.__globals__
    assert "open" not in first.__globals__["__builtins__"]
