"""Claims a pipeline checks against its own figures: "the LD student wins at least 90% as often as
its teacher", "its regret is below the KD student's". Each names figures of ``summary.json`` by a
dotted path and a comparison; the summary records, per claim, both sides and whether it held, and the
report and the terminal show them first, so a reader sees at once what the run showed.

A path reads the summary's dicts key by key (``tasks.pursuit.agents.ld.success_rate``); under
``emergencies`` (a list) the next two keys name the task and the scenario
(``emergencies.twentyone.surrender.recovery``). A figure that is missing (the agent was not run, the
scenario not tried) makes the claim unchecked, not false.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

from logicdistill.errors import UserInputError

COMPARISONS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


@dataclass(frozen=True)
class Claim:
    """``figure OP factor x than + offset``, or ``figure OP offset`` without ``than``."""

    statement: str = field(metadata={"help": "what the claim says, in words, as the report shows it"})
    figure: str = field(metadata={"help": "dotted path of the figure checked, in summary.json"})
    op: str = field(metadata={"help": "the comparison: >=, >, <= or <"})
    offset: float = field(default=0.0, metadata={"help": "the bound, or what is added to factor x than"})
    than: str | None = field(default=None, metadata={"help": "dotted path of the figure compared with, if any"})
    factor: float = field(default=1.0, metadata={"help": "what ``than`` is multiplied by"})

    def __post_init__(self) -> None:
        if self.op not in COMPARISONS:
            raise UserInputError(f"claim {self.statement!r}: op must be one of {', '.join(COMPARISONS)}")


def figure(summary: dict[str, Any], path: str) -> float | None:
    """The number at ``path`` in ``summary``, or None where there is none."""
    keys = path.split(".")
    node: Any = summary
    while keys:
        key = keys.pop(0)
        if isinstance(node, list):  # emergencies: one entry per (task, scenario)
            scenario = keys.pop(0) if keys else None
            node = next((e for e in node if e.get("task") == key and e.get("scenario") == scenario), None)
        elif isinstance(node, dict):
            node = node.get(key)
        else:
            return None
    return float(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def check(claim: Claim, summary: dict[str, Any]) -> dict[str, Any]:
    """The claim with its figures: ``value``, ``threshold`` and ``holds`` (None where a figure is
    missing)."""
    value = figure(summary, claim.figure)
    other = figure(summary, claim.than) if claim.than else None
    threshold = claim.offset if claim.than is None else None if other is None else claim.factor * other + claim.offset
    holds = None if value is None or threshold is None else bool(COMPARISONS[claim.op](value, threshold))
    return {
        "statement": claim.statement,
        "figure": claim.figure,
        "op": claim.op,
        "than": claim.than,
        "value": value,
        "threshold": threshold,
        "holds": holds,
    }


def verdict(checked: dict[str, Any]) -> str:
    """One word for a checked claim: holds, fails or unchecked."""
    return {True: "holds", False: "fails", None: "unchecked"}[checked["holds"]]


def describe(checked: dict[str, Any]) -> str:
    """A checked claim on one line: the statement, then both sides (``0.85 >= 0.9``)."""
    value = "-" if checked["value"] is None else f"{checked['value']:.4g}"
    threshold = "-" if checked["threshold"] is None else f"{checked['threshold']:.4g}"
    return f"{checked['statement']} ({value} {checked['op']} {threshold})"
