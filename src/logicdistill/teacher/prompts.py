"""The teacher's prompts, rendered from ``prompts/teacher.txt``: the task's rules, the stages, the
function contract (what ``state`` offers, read off the task's view class) and what to return."""

from __future__ import annotations

import inspect
import re
import sys
from functools import cache
from importlib import resources
from typing import Any

from logicdistill.functions.execution import ALLOWED_MODULES, SAFE_BUILTINS
from logicdistill.functions.spec import FunctionSpec, Stage
from logicdistill.tasks.api import Task


@cache
def template() -> dict[str, str]:
    """``[section]`` headed parts of the template file."""
    text = (resources.files("logicdistill") / "prompts" / "teacher.txt").read_text(encoding="utf-8")
    parts = re.split(r"^\[(\w+)\]\n", text, flags=re.M)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def contract(view: Any) -> str:
    """The view's documentation (its class docstring, else its module's, where both tasks keep it)
    and the exact signature (and docstring, if any) of each public method and property: the
    vocabulary a function may use."""
    cls = type(view)
    doc = cls.__doc__ or sys.modules[cls.__module__].__doc__ or ""
    lines = [inspect.cleandoc(doc), "", "Exact signatures:"]
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            lines.append(f"  state.{name}  (property)" + _doc(member))
        elif inspect.isfunction(member):
            signature = str(inspect.signature(member)).replace("'", "").replace("(self, ", "(").replace("(self)", "()")
            lines.append(f"  state.{name}{signature}" + _doc(member))
    return "\n".join(lines).strip()


def _doc(member: Any) -> str:
    doc = inspect.getdoc(member)
    return f": {doc.splitlines()[0]}" if doc else ""


def stage_lines(stages: tuple[Stage, ...]) -> str:
    return "\n".join(
        f'{i}. "{s.name}" ({", ".join(s.params)}): {s.description}; returns {s.returns}'
        for i, s in enumerate(stages, start=1)
    )


def first_message(
    task: Task,
    stage: Stage,
    view: Any,
    count: int,
    example: FunctionSpec | None,
    existing: list[FunctionSpec],
    extra: str,
) -> str:
    """The request for ``count`` functions of ``stage``; ``existing`` are in the base already (new
    functions must differ), ``extra`` is any further instruction (e.g. a new rule)."""
    parts = template()
    earlier = {s.result: s for s in task.stages}
    params = "".join(f"- {p}: the result of stage {earlier[p].name}: {earlier[p].returns}\n" for p in stage.params[1:])
    if existing:
        guidance = "Functions already in the base for this stage (write different ones, with new names):\n" + "\n".join(
            f"- {f.name}: {f.manual.text()}" for f in existing
        )
    else:
        guidance = "Put the most generally useful function first: it becomes the stage's default."
    if extra:
        guidance += f"\n{extra.strip()}"
    request = parts["request"].format(
        count=count,
        stage=stage.name,
        description=stage.description,
        signature=f"({', '.join(stage.params)})",
        params=params,
        returns=stage.returns,
        guidance=guidance,
        example=example.source.strip() if example else "(none)",
    )
    return parts["task"].format(
        instruction=task.instruction,
        stages=stage_lines(task.stages),
        contract=contract(view),
        modules=", ".join(sorted(ALLOWED_MODULES)),
        builtins=" ".join(SAFE_BUILTINS),
        request=request,
        stage=stage.name,
        signature=f"({', '.join(stage.params)})",
    )


def retry_message(stage: Stage, reasons: list[str], admitted: list[str], count: int) -> str:
    done = f"Admitted so far: {', '.join(admitted)}.\n" if admitted else ""
    return template()["retry"].format(
        reasons="\n".join(f"- {r}" for r in reasons), admitted=done, count=count, stage=stage.name
    )


def system_message() -> str:
    return template()["system"]
