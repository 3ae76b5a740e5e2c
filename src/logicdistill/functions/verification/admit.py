"""``base add``: admit human-written functions into a base on disk, or refuse and touch nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from logicdistill.errors import UserInputError
from logicdistill.functions.base import FunctionBase, load_base, save_successor
from logicdistill.functions.check import check_function_base
from logicdistill.functions.spec import FunctionSpec, Provenance
from logicdistill.functions.verification.verify import Limits, Report, Verifier

if TYPE_CHECKING:  # the task API builds on this package; only type hints look back at it
    from logicdistill.tasks.api import Task


class RejectedError(UserInputError):
    """Verification refused the source; ``report`` holds every reason."""

    def __init__(self, report: Report, hint: str = ""):
        self.report = report
        lines = report.lines() + ([hint] if hint else [])
        super().__init__(f"{report.origin}: not admitted, the base is unchanged:\n  " + "\n  ".join(lines))


def merge(base: FunctionBase, specs: list[FunctionSpec], note: str) -> FunctionBase:
    """A new (unsaved) base: functions of the same name replaced in place (a replaced stage default
    stays the default), new ones appended."""
    new = {s.name: s for s in specs}
    kept = tuple(new.pop(f.name, f) for f in base.functions)
    return replace(base, functions=kept + tuple(new.values()), version=0, parent=base.version or None, note=note)


def add_source(
    root: str | Path, task: Task, text: str, origin: str, replace_existing: bool = False, limits: Limits = Limits()
) -> tuple[FunctionBase, Report]:
    """Verify the functions in ``text`` against the current version under ``root`` and save a new
    version holding them, all or nothing. A missing ``root`` starts from the task's bundled base,
    saved first as version 1, so the new functions arrive as version 2 and ``base diff`` shows them.
    Raises ``RejectedError`` (and writes nothing) if any function is rejected."""
    root = Path(root)
    if (root / "manifest.json").is_file():
        raise UserInputError(f"{root} is one version of a base; point --base at the base's root directory")
    exists = root.exists()
    current = load_base(root, task=task) if exists else task.bundled_base()  # refuses another task's base
    taken = frozenset() if replace_existing else frozenset(current.names())
    with Verifier(task, current, limits) as verifier:
        report = verifier.verify(text, Provenance(kind="human", note=f"from {Path(origin).name}"), origin, taken=taken)
    if not report.ok:
        raise RejectedError(
            report,
            "use --replace to replace functions of the same name"
            if not replace_existing and any("already exists in the base" in line for line in report.lines())
            else "",
        )
    names = ", ".join(s.name for s in report.admitted)
    merged = check_function_base(merge(current, report.admitted, f"human: {names} from {Path(origin).name}"), task)
    return save_successor(current, merged, root, task), report
