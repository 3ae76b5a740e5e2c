"""Small builders shared by tests (importable because tests/conftest.py puts tests/ on sys.path)."""

import dis
import types

from logicdistill.functions import FunctionSpec, Manual, Provenance, Verification


def global_names(code: types.CodeType) -> set[str]:
    """Names a function (and the lambdas and comprehensions inside it) reads as globals."""
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= global_names(const)
    return names


def make_spec(name: str, what: str, when: str, stage: str = "strategy") -> FunctionSpec:
    """A human-provenance function of the pursuit strategy shape with the given manual."""
    return FunctionSpec(
        name=name,
        stage=stage,
        signature="(state, target)",
        manual=Manual(what=what, when=when),
        source=f"def {name}(state, target):\n    return state.me\n",
        provenance=Provenance(kind="human"),
        verification=Verification(status="unverified"),
    )
