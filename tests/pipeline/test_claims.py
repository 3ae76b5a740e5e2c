"""Claims checked against a pipeline's summary: paths, comparisons, missing figures, and the report."""

import pytest

from logicdistill.errors import UserInputError
from logicdistill.pipeline.claims import Claim, check, describe, figure, verdict
from logicdistill.pipeline.demo import DEMO

SUMMARY = {
    "tasks": {
        "pursuit": {
            "agents": {"teacher": {"success_rate": 1.0}, "ld": {"success_rate": 0.9}, "kd": {"success_rate": 0.1}}
        },
        "twentyone": {"agents": {"ld": {"regret": 0.002}, "kd": {"regret": 0.002}}},
    },
    "emergencies": [
        {"task": "twentyone", "scenario": "surrender", "recovery": 0.95},
        {"task": "pursuit", "scenario": "box_in", "recovery": 0.5},
    ],
}


def test_figure_reads_dicts_and_the_emergency_list_by_task_and_scenario():
    assert figure(SUMMARY, "tasks.pursuit.agents.ld.success_rate") == 0.9
    assert figure(SUMMARY, "emergencies.pursuit.box_in.recovery") == 0.5
    assert figure(SUMMARY, "emergencies.twentyone.surrender.recovery") == 0.95
    assert figure(SUMMARY, "tasks.pursuit.agents.random.success_rate") is None
    assert figure(SUMMARY, "emergencies.twentyone.no_such.recovery") is None
    assert figure(SUMMARY, "tasks.pursuit") is None  # not a number


def test_a_share_of_another_figure_and_a_margin_over_it():
    share = check(
        Claim(
            "ld >= 90% of teacher",
            "tasks.pursuit.agents.ld.success_rate",
            ">=",
            than="tasks.pursuit.agents.teacher.success_rate",
            factor=0.9,
        ),
        SUMMARY,
    )
    assert (share["value"], share["threshold"], share["holds"]) == (0.9, 0.9, True)
    margin = check(
        Claim(
            "ld 30 points above kd",
            "tasks.pursuit.agents.ld.success_rate",
            ">=",
            offset=0.85,
            than="tasks.pursuit.agents.kd.success_rate",
        ),
        SUMMARY,
    )
    assert margin["threshold"] == pytest.approx(0.95) and margin["holds"] is False and verdict(margin) == "fails"


def test_a_strict_comparison_fails_on_a_tie_and_a_bound_holds():
    tie = check(
        Claim("below kd", "tasks.twentyone.agents.ld.regret", "<", than="tasks.twentyone.agents.kd.regret"), SUMMARY
    )
    assert tie["holds"] is False
    bound = check(Claim("regret <= 0.005", "tasks.twentyone.agents.ld.regret", "<=", offset=0.005), SUMMARY)
    assert bound["holds"] is True and verdict(bound) == "holds"
    assert describe(bound) == "regret <= 0.005 (0.002 <= 0.005)"


def test_a_missing_figure_leaves_the_claim_unchecked_not_false():
    for claim in (
        Claim("random", "tasks.pursuit.agents.random.success_rate", ">=", offset=0.5),
        Claim(
            "vs random", "tasks.pursuit.agents.ld.success_rate", ">=", than="tasks.pursuit.agents.random.success_rate"
        ),
    ):
        checked = check(claim, SUMMARY)
        assert checked["holds"] is None and verdict(checked) == "unchecked"
    assert describe(checked) == "vs random (0.9 >= -)"


def test_an_unknown_comparison_is_refused():
    with pytest.raises(UserInputError, match="op must be one of"):
        Claim("x", "a.b", "=>")


def test_every_demo_claim_reads_a_figure_the_demo_measures():
    tasks = {entry.task: entry for entry in DEMO.tasks}
    for claim in DEMO.claims:
        for path in filter(None, (claim.figure, claim.than)):
            kind, task, *rest = path.split(".")
            assert task in tasks, path
            if kind == "tasks":
                assert rest[0] == "agents" and rest[1] in tasks[task].agents, path
            else:
                assert rest[0] in tasks[task].emergencies, path
