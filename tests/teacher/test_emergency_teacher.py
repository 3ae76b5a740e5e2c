"""The teacher answers an emergency through a real localhost OpenAI-compatible server: a function
that breaks the new rule is rejected by verification under the rule and the reason fed back; the
corrected one is admitted with teacher provenance; the exchange replays offline."""

from __future__ import annotations

from conftest import functions_reply

from logicdistill.emergency import get_scenario
from logicdistill.emergency.respond import new_functions
from logicdistill.tasks import get_task
from logicdistill.teacher import TeacherClient, TeacherConfig

STRAIGHT_ON = '''def walk_straight_on(state, target, goal):
    """Step along a shortest path to the goal.

    When: the closed zone rule is in force.
    """
    return state.step_towards(state.me, goal)'''
AROUND = '''def detour_closed_cells(state, target, goal):
    """Step along a shortest path that avoids the closed cells, or wait.

    When: the closed zone rule is in force and the zone lies on my way.
    """
    if goal in state.closed:
        return "stay"
    return state.step_towards(state.me, goal, avoid=list(state.closed))'''


def test_a_rule_breaking_function_is_fed_back_and_the_fix_admitted(teacher_server, tmp_path):
    teacher_server.replies["move"] = [functions_reply("move", STRAIGHT_ON), functions_reply("move", AROUND)]
    pursuit = get_task("pursuit")
    scenario = get_scenario(pursuit, "closed_zone")
    task = pursuit.under_rule(scenario)
    client = TeacherClient(TeacherConfig("scripted-teacher", teacher_server.url, store=tmp_path / "store"))
    specs = new_functions(scenario, task, task.bundled_base(), client, retries=1)
    assert [f.name for f in specs] == ["detour_closed_cells"]
    assert specs[0].provenance.kind == "teacher" and specs[0].provenance.model == "scripted-teacher"
    first, retry = (r["messages"][-1]["content"] for r in teacher_server.requests)
    assert scenario.rule in first and "When: line must name the rule" in first
    assert "walk_straight_on" in retry and "enters the closed zone" in retry
    teacher_server.stop()
    offline = TeacherClient(TeacherConfig("scripted-teacher", replay=tmp_path / "store"))
    assert new_functions(scenario, task, task.bundled_base(), offline, retries=1) == specs
