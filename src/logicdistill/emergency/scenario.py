"""Finding a task's emergency scenario by name (a scenario itself is ``tasks.api.Emergency``: a
task lists its own in ``Task.emergencies``)."""

from __future__ import annotations

from logicdistill.errors import UserInputError
from logicdistill.tasks.api import Emergency, Task


def get_scenario(task: Task, name: str) -> Emergency:
    found = {s.name: s for s in task.emergencies}
    if name not in found:
        listed = ", ".join(found) or "none"
        raise UserInputError(f"{task.name} has no emergency {name!r}; scenarios: {listed}")
    return found[name]
