"""21 Points states on which untrusted functions are verified: every one of the 280 decision states
(a function that fails on one hand fails here), under the task's rule set."""

from __future__ import annotations

from typing import Any

from logicdistill.functions.verification.samples import Sample, SampleSet
from logicdistill.games.twentyone.exact import DECISION_KEYS, decision_state
from logicdistill.games.twentyone.rules import TwentyOneState, action_names, get_rules


def verification_samples(task) -> SampleSet:
    keys = DECISION_KEYS
    samples = tuple(
        Sample(f"hand {s} {'soft' if a else 'hard'}, dealer shows {d}", decision_state((s, d, a), task.rules), {})
        for s, d, a in keys
    )
    return SampleSet(samples, is_legal)


def is_legal(state: TwentyOneState, action: Any) -> bool:
    """Gymnasium's actions: 0 stick, 1 hit; and 2 surrender under the surrender rule."""
    return not isinstance(action, bool) and action in range(len(action_names(get_rules(state.rules).surrender)))
