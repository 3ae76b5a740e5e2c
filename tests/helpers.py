"""Small builders shared by tests (importable because tests/conftest.py puts tests/ on sys.path)."""

from logicdistill.functions import FunctionSpec, Manual, Provenance, Verification


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
