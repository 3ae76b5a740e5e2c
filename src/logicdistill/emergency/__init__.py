"""Emergencies: new rules the environment enforces, answered by new verified functions that the
same trained student selects without retraining. A task lists its scenarios
(``Task.emergencies``); ``respond`` verifies and adds the new functions and ``run`` measures the
whole flow."""

from logicdistill.emergency.run import run_emergency
from logicdistill.emergency.scenario import get_scenario
from logicdistill.emergency.trial import Trial
from logicdistill.tasks.api import Emergency

__all__ = ["Emergency", "Trial", "get_scenario", "run_emergency"]
