"""functions_from_source: the STAGE line, signatures, manuals and each function's own source."""

from __future__ import annotations

import textwrap

import pytest

from logicdistill.errors import UserInputError
from logicdistill.functions import Provenance, Verification, compile_function, functions_from_source

PROVENANCE = Provenance(kind="human", note="written for the tests")
VERIFICATION = Verification(status="unverified", checks=("none",))

TWO_FUNCTIONS = textwrap.dedent(
    '''\
    # A module the way a teacher would write one.
    STAGE = "strategy"

    HELPER_CONSTANT = 3


    def chase_target(state, target):
        """Head for the target's cell.

        When: the target is close.
        """
        return ("chase", target)


    def wait_here(state, target):
        """Stay where I am and let
        the others come.

        When: nothing better
            is available;   the default.
        """
        return ("wait", state)
    '''
)


def parse(text: str, **kwargs):
    """functions_from_source with the test's provenance and verification."""
    return functions_from_source(textwrap.dedent(text), PROVENANCE, VERIFICATION, **kwargs)


def test_reads_names_stage_signature_and_provenance():
    specs = parse(TWO_FUNCTIONS)
    assert [s.name for s in specs] == ["chase_target", "wait_here"]
    assert {s.stage for s in specs} == {"strategy"}
    assert {s.signature for s in specs} == {"(state, target)"}
    assert all(s.provenance == PROVENANCE and s.verification == VERIFICATION for s in specs)


def test_manual_is_split_at_when_and_whitespace_is_collapsed():
    chase, wait = parse(TWO_FUNCTIONS)
    assert chase.manual.what == "Head for the target's cell."
    assert chase.manual.when == "the target is close."
    assert wait.manual.what == "Stay where I am and let the others come."
    assert wait.manual.when == "nothing better is available; the default."


def test_each_function_gets_only_its_own_source():
    chase, wait = parse(TWO_FUNCTIONS)
    assert chase.source.startswith("def chase_target(state, target):")
    assert wait.source.startswith("def wait_here(state, target):")
    for spec, other in ((chase, "wait_here"), (wait, "chase_target")):
        assert other not in spec.source
        assert "STAGE" not in spec.source
        assert "HELPER_CONSTANT" not in spec.source
        assert spec.source.endswith("\n")
        assert spec.source in TWO_FUNCTIONS


def test_each_extracted_source_compiles_and_runs_on_its_own():
    chase, wait = parse(TWO_FUNCTIONS)
    assert compile_function(chase)(None, 2) == ("chase", 2)
    assert compile_function(wait)("s", 0) == ("wait", "s")


def test_signature_lists_parameters_in_order():
    (spec,) = parse(
        '''
        STAGE = "move"
        def step(state, target, goal):
            """Step.

            When: always.
            """
            return "stay"
        '''
    )
    assert spec.signature == "(state, target, goal)"


def test_stage_argument_overrides_and_replaces_the_stage_line():
    assert {s.stage for s in parse(TWO_FUNCTIONS, stage="move")} == {"move"}
    without_line = TWO_FUNCTIONS.replace('STAGE = "strategy"\n', "")
    assert {s.stage for s in parse(without_line, stage="target")} == {"target"}


def test_nested_functions_and_methods_are_not_base_functions():
    specs = parse(
        '''
        STAGE = "target"

        class Helper:
            def method(self):
                """A method.

                When: never.
                """

        def outer(state):
            """Outer.

            When: always.
            """
            def inner():
                return 1
            return inner()
        '''
    )
    assert [s.name for s in specs] == ["outer"]


@pytest.mark.parametrize(
    "docstring",
    [
        None,
        '"""Chase the target, but no when section."""',
        '"""Chase the target.\n\n    Whenever: not the right keyword.\n    """',
    ],
    ids=["no-docstring", "no-when", "wrong-keyword"],
)
def test_a_function_without_a_when_section_is_rejected(docstring):
    body = f"    {docstring}\n" if docstring else ""
    text = f'STAGE = "target"\n\ndef lonely(state):\n{body}    return 0\n'
    with pytest.raises(UserInputError) as info:
        functions_from_source(text, PROVENANCE, VERIFICATION)
    message = str(info.value)
    assert "'lonely'" in message
    assert "When:" in message


def test_syntax_error_names_the_origin_and_line():
    text = 'STAGE = "target"\n\ndef broken(state:\n    return 1\n'
    with pytest.raises(UserInputError) as info:
        functions_from_source(text, PROVENANCE, VERIFICATION, origin="teacher.py")
    message = str(info.value)
    assert message.startswith("teacher.py:3:")
    assert "syntax error" in message


def test_missing_stage_line_is_rejected_with_how_to_fix():
    text = TWO_FUNCTIONS.replace('STAGE = "strategy"\n', "")
    with pytest.raises(UserInputError) as info:
        functions_from_source(text, PROVENANCE, VERIFICATION, origin="mine.py")
    assert "mine.py" in str(info.value)
    assert 'STAGE = "' in str(info.value)


def test_non_string_stage_line_does_not_count():
    text = TWO_FUNCTIONS.replace('STAGE = "strategy"', "STAGE = 3")
    with pytest.raises(UserInputError, match="STAGE"):
        functions_from_source(text, PROVENANCE, VERIFICATION)


@pytest.mark.parametrize(
    "text",
    ['STAGE = "target"\n', 'STAGE = "target"\nX = 1\n\nclass A:\n    def f(self):\n        pass\n'],
    ids=["only-stage", "only-class"],
)
def test_source_without_functions_is_rejected(text):
    with pytest.raises(UserInputError, match="no top-level function definitions"):
        functions_from_source(text, PROVENANCE, VERIFICATION, origin="empty.py")
