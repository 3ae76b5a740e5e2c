"""Emergencies end to end with real components: every reference function is verified under its
rule and added as a new base version that leads its stage, and the teacher's results show the
stale base failing under the rule and the new function fixing it."""

import pytest

from logicdistill.agent.factory import AgentOptions
from logicdistill.emergency import Trial, get_scenario, run_emergency
from logicdistill.emergency.respond import add_version, new_functions
from logicdistill.errors import UserInputError
from logicdistill.functions import diff_bases, load_base
from logicdistill.functions.spec import Provenance
from logicdistill.functions.verification import Verifier
from logicdistill.tasks import get_task, registered

ALL = [(name, s) for name in registered() for s in get_task(name).emergencies]


def test_each_task_has_its_scenarios():
    assert len(get_task("pursuit").emergencies) >= 3 and len(get_task("twentyone").emergencies) >= 1
    for name, s in ALL:
        assert get_task(name).under_rule(s).instruction.endswith(f"New rule: {s.rule}")
        assert s.stages and s.references


def test_unknown_scenarios_are_clear_errors():
    with pytest.raises(UserInputError, match="pursuit has no emergency 'lava'; scenarios: closed_zone"):
        get_scenario(get_task("pursuit"), "lava")


@pytest.mark.parametrize("name, scenario", ALL, ids=lambda item: getattr(item, "name", item))
def test_the_reference_function_is_verified_and_leads_its_stage_in_a_new_version(name, scenario, tmp_path):
    task = get_task(name).under_rule(scenario)
    stale = task.bundled_base()
    specs = new_functions(scenario, task, stale)
    assert specs and all(f.provenance.kind == "reference" and f.verification.status == "verified" for f in specs)
    saved = add_version(tmp_path / "base", stale, specs, task, "test")
    assert (saved.version, saved.parent) == (2, 1)
    diff = diff_bases(load_base(tmp_path / "base", 1), load_base(tmp_path / "base"))
    assert diff.added == [f.name for f in specs] and not diff.removed and not diff.changed
    for f in specs:
        assert load_base(tmp_path / "base").by_stage(f.stage)[0].name == f.name  # the stage's new default
    again = add_version(tmp_path / "base", stale, specs, task, "again")  # the stale base is saved again first
    assert again.version == 4 and load_base(tmp_path / "base", 3).fingerprint == stale.fingerprint


def test_verification_under_the_rule_rejects_a_function_that_breaks_it():
    pursuit = get_task("pursuit")
    task = pursuit.under_rule(get_scenario(pursuit, "closed_zone"))
    stale_default = (
        task.bundled_base().get("shortest_path_step").source.replace("def shortest_path_step(", "def walk_straight_on(")
    )
    with Verifier(task, task.bundled_base()) as verifier:
        report = verifier.verify(f'STAGE = "move"\n\n\n{stale_default}', Provenance(kind="human"), "stale")
    assert not report.ok and "enters the closed zone" in report.lines()[0]


def test_a_base_of_another_task_is_not_added_to(tmp_path):
    twentyone = get_task("twentyone")
    task = twentyone.under_rule(get_scenario(twentyone, "surrender"))
    pursuit = get_task("pursuit")
    add_version(tmp_path / "base", pursuit.bundled_base(), [], pursuit, "pursuit")
    with pytest.raises(UserInputError, match="holds a pursuit base"):
        add_version(tmp_path / "base", task.bundled_base(), [], task, "21")


def test_twentyone_teacher_regret_rises_under_surrender_and_vanishes_with_the_new_function(tmp_path):
    task = get_task("twentyone")
    report = run_emergency(
        task,
        get_scenario(task, "surrender"),
        "teacher",
        AgentOptions(retriever="bm25"),
        Trial(episodes=200),
        tmp_path / "base",
    )
    assert report["metric"] == "regret" and report["higher_is_better"] is False
    assert report["retrained"] is False and report["base_version"] == 2
    assert report["normal"]["regret"] < 1e-9  # optimal under the old rules
    assert report["before"]["regret"] == pytest.approx(0.00849, abs=1e-5)  # blind to surrender
    assert report["after"]["regret"] < 1e-9  # optimal again, no retraining
    assert report["recovery"] == pytest.approx(1.0)  # all the regret the rule added is won back
    assert report["new_function_choices"]["surrender_hopeless_hand"]["selected"] > 0
    assert report["teacher"]["after"] == report["after"]


def test_pursuit_teacher_fails_with_the_stale_base_and_wins_with_the_new_function(tmp_path):
    # rooms, seed 1007: the closed zone sits in the doorway the stale moves keep walking into
    task = get_task("pursuit")
    report = run_emergency(
        task,
        get_scenario(task, "closed_zone"),
        "teacher",
        AgentOptions(retriever="bm25"),
        Trial(episodes=1, seed=1007, variants=("rooms",)),
        tmp_path / "base",
    )
    assert report["metric"] == "success_rate" and report["higher_is_better"] is True
    assert [report[p]["success_rate"] for p in ("normal", "before", "after")] == [1.0, 0.0, 1.0]
    assert report["recovery"] == 1.0
    assert report["new_function_choices"]["step_around_closed_zone"]["selected"] > 0
