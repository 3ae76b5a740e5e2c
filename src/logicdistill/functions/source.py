"""Reading functions out of Python source: the docstring is the manual, the signature and the
file's ``STAGE = "..."`` line say where the function plugs in."""

from __future__ import annotations

import ast
import re
from importlib import resources
from typing import TYPE_CHECKING

from logicdistill.errors import UserInputError
from logicdistill.functions.spec import FunctionSpec, Manual, Provenance, Verification

if TYPE_CHECKING:
    from logicdistill.functions.base import FunctionBase

WHEN = re.compile(r"^\s*When:\s*", re.MULTILINE)


def parse_manual(docstring: str | None, name: str) -> Manual:
    """Split a docstring into *what* (everything before ``When:``) and *when* (the rest)."""
    if not docstring or not WHEN.search(docstring):
        raise UserInputError(
            f"function {name!r} needs a docstring with a 'When:' section "
            "(what it does, then 'When: ...' saying when to use it)"
        )
    what, when = WHEN.split(docstring, maxsplit=1)
    return Manual(what=" ".join(what.split()), when=" ".join(when.split()))


def _declared_stage(tree: ast.Module) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "STAGE" for t in node.targets):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    return None


def functions_from_source(
    text: str,
    provenance: Provenance,
    verification: Verification,
    stage: str | None = None,
    origin: str = "<source>",
) -> list[FunctionSpec]:
    """Every top-level function in ``text``, each with its own source segment and manual.

    The stage comes from the argument or from a module-level ``STAGE = "name"`` line.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise UserInputError(f"{origin}:{exc.lineno}: syntax error: {exc.msg}") from None
    stage = stage or _declared_stage(tree)
    if stage is None:
        raise UserInputError(f'{origin}: declare the functions\' stage with a line STAGE = "<stage name>"')
    specs = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        params = ", ".join(a.arg for a in node.args.args)
        specs.append(
            FunctionSpec(
                name=node.name,
                stage=stage,
                signature=f"({params})",
                manual=parse_manual(ast.get_docstring(node), node.name),
                source=ast.get_source_segment(text, node) + "\n",
                provenance=provenance,
                verification=verification,
            )
        )
    if not specs:
        raise UserInputError(f"{origin}: no top-level function definitions found")
    return specs


def bundled_base(package: str, task: str, stages) -> FunctionBase:
    """A task's shipped base: one ``base/<stage>.py`` file per stage inside ``package``, trusted."""
    from logicdistill.functions.base import FunctionBase  # base reads sources with this module: import late

    folder = resources.files(package) / "base"
    specs = []
    for stage in stages:
        source = (folder / f"{stage.name}.py").read_text(encoding="utf-8")
        specs += functions_from_source(
            source, Provenance(kind="bundled"), Verification(status="trusted"), origin=f"bundled:{stage.name}.py"
        )
    return FunctionBase(task=task, functions=tuple(specs), note=f"bundled {task} base")
