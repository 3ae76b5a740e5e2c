"""Emergencies: new rules the environment enforces, answered by new verified functions that the
same trained student selects without retraining. See ``scenario`` (what an emergency is),
``respond`` (verifying and adding the new functions) and ``run`` (the measured flow)."""

from logicdistill.emergency.run import run_emergency
from logicdistill.emergency.scenario import Emergency, get_scenario, scenarios, task_module
from logicdistill.emergency.trial import Trial

__all__ = ["Emergency", "Trial", "get_scenario", "run_emergency", "scenarios", "task_module"]
