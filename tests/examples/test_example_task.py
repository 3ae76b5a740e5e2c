"""The one-file example task (examples/bakery.py) and the generic demonstrator it uses; no model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from logicdistill.agent.demonstrators import ActionValueDemonstrator
from logicdistill.agent.episodes import run_episode
from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.agent.loop import execute_stage
from logicdistill.agent.selectors import Decision, SelectionRequest, TeacherSelector
from logicdistill.errors import FunctionError
from logicdistill.evaluation import conformance
from logicdistill.functions import Provenance, Verification, compile_function, functions_from_source, plain
from logicdistill.functions.check import check_function_base
from logicdistill.functions.runtime import get_runtime
from logicdistill.plugins import load_object
from logicdistill.tasks import make_task

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bakery.py"
REF = f"{EXAMPLE}:BakeryTask"


@pytest.fixture(scope="module")
def task():
    return make_task(REF)


def shop_state(**fields):
    """A hand-made decision state: a steady week of 4 customers a day unless told otherwise."""
    ShopState = load_object(f"{EXAMPLE}:ShopState")
    values = dict(step=3, days=20, weekday=0, stock=0, demand=(4,) * 14, variant="steady-shop")
    return ShopState(**{**values, **fields})


def play_with_fallbacks(task, variant: str, seed: int) -> list:
    """An episode where every stage gives the task's fallback: the pipeline that needs no base."""
    env = task.make_env(variant)
    state, _ = env.reset(seed=seed)
    states, done = [state], False
    while not done:
        forecast = task.fallback(task.stages[0], state, 0, {})
        order = task.fallback(task.stages[1], state, 0, {"forecast": forecast})
        state, _, done, _, _ = env.step(task.to_action(state, {0: {"order": order}}))
        states.append(state)
    return states


def request(task, stage_name: str, state, results: dict, base) -> SelectionRequest:
    stage = next(s for s in task.stages if s.name == stage_name)
    return SelectionRequest(
        stage,
        task.state_text(state, 0, results),
        list(base.by_stage(stage_name)),
        Decision(state, 0, dict(results), {0: {}}, {}, {}),
    )


def test_the_task_constructs_with_settings_given_as_text():
    task = make_task(REF, ["days=7", "max_waste=3"])
    assert (task.name, task.settings.days, task.settings.max_waste) == ("bakery", 7, 3)
    assert task.actions == ("0", "2", "4", "6", "8", "10")
    assert set(task.held_out) < set(task.variants)
    assert "7 days" in task.instruction


def test_the_fallback_pipeline_plays_a_whole_episode_deterministically(task):
    first, again = play_with_fallbacks(task, "weekend-shop", 5), play_with_fallbacks(task, "weekend-shop", 5)
    assert first == again
    assert len(first) == task.settings.days + 1 and first[-1].step == task.settings.days
    assert play_with_fallbacks(task, "weekend-shop", 6) != first
    assert isinstance(task.success(first[-1]), bool)
    assert set(task.episode_figures(first[-1])) == {"stockout_days", "waste"}


def test_the_bundled_functions_fit_their_stages(task):
    base = check_function_base(task.bundled_base(), task)
    assert [f.name for f in base.by_stage("forecast")][0] == "yesterday"  # each stage's default comes first
    assert [f.name for f in base.by_stage("order")][0] == "safety_stock"
    assert 5 <= len(base.functions) <= 8


def test_snapshots_cross_the_sandbox_boundary_and_rebuild_the_same_view(task):
    for sample in task.verification_samples().samples:
        snapshot = task.snapshot(sample.state, 0, {0: {}}, {})
        assert plain.loads(plain.dumps(snapshot)) == snapshot
        rebuilt = task.view_from_snapshot(plain.loads(plain.dumps(snapshot)))
        direct = task.function_view(sample.state, 0, {0: {}}, {})
        assert vars(rebuilt) == vars(direct)
        assert rebuilt.round_order(3) == direct.round_order(3) == 4


def test_results_are_checked_against_the_stage_and_the_rule_in_force(task):
    state = shop_state()
    forecast, order = task.stages
    assert task.check_result(order, "6", state, 0) == 6  # a KD student's word is an order too
    assert task.to_action(state, {0: {"order": "6"}}) == 6
    for bad in (3, 12, True, "six", 4.0):
        with pytest.raises(FunctionError):
            task.check_result(order, bad, state, 0)
    with pytest.raises(FunctionError):
        task.check_result(forecast, -1, state, 0)
    capped = dataclasses.replace(state, order_cap=6)
    with pytest.raises(FunctionError):
        task.check_result(order, 8, capped, 0)


def test_the_demonstrator_prefers_the_order_that_covers_the_day(task):
    """Steady demand of 4 +- 2 and an empty shelf: ordering 6 (safety_stock) never runs out, ordering
    4 (order_for_forecast) runs out three days in ten."""
    base = task.bundled_base()
    demonstrator = task.demonstrator(base, task.make_env("steady-shop"), 1, "expected-cost")
    assert isinstance(demonstrator, ActionValueDemonstrator)
    scores = demonstrator.scores(request(task, "order", shop_state(), {"forecast": 4}, base), {})
    assert scores["safety_stock"] > scores["order_for_forecast"] + task.min_gain
    assert scores["safety_stock"] == pytest.approx(task.order_value(shop_state(), 0, 6))


def test_the_teacher_leaves_a_stage_default_when_another_function_is_clearly_better(task):
    """An office district on Monday: yesterday (a quiet Sunday) is a poor forecast; the forecast stage
    is judged with the order stage's default after it."""
    base = task.bundled_base()
    week = (6, 6, 6, 6, 6, 2, 2)  # Monday first, so the last day of history is a Sunday
    state = shop_state(variant="weekday-shop", weekday=0, demand=week * 2)
    teacher = TeacherSelector(task.demonstrator(base, None, 1, "expected-cost"), base.names(), task.min_gain)
    selection = teacher.select_batch([request(task, "forecast", state, {}, base)])[0]
    assert selection.outcomes["same_day_last_week"] > selection.outcomes["yesterday"] + task.min_gain
    # every other forecast leads to the same order here, and ties go to the earliest in the base
    assert selection.choice == "week_average"


def test_candidates_with_the_same_final_result_are_valued_once(task):
    calls = []

    def value(state, unit, order):
        calls.append(order)
        return float(order)

    base = task.bundled_base()
    demonstrator = ActionValueDemonstrator(task, base, value, scale=10.0)
    # history of 4s: every forecast function says 4; with the order default, every one orders 6
    scores = demonstrator.scores(request(task, "forecast", shop_state(), {}, base), {})
    assert set(scores.values()) == {60.0} and calls == [6]


def test_the_emergency_names_its_stage_and_its_reference_answers_the_rule(task):
    (emergency,) = task.emergencies
    assert emergency.name == "supplier_cap" and emergency.stages == ["order"]
    specs = [
        spec
        for origin, text in emergency.references
        for spec in functions_from_source(
            text, Provenance(kind="reference"), Verification(status="verified"), origin=origin
        )
    ]
    assert [s.name for s in specs] == ["stock_up_before_busy_day"]
    ruled = task.under_rule(emergency)
    assert task.under_rule(None) is task and task.order_cap is None
    assert ruled.order_cap == 6 and emergency.rule in ruled.instruction
    state, _ = ruled.make_env("weekend-shop").reset(seed=1)
    assert state.order_cap == 6
    # the day before a busy Saturday the reference orders the cap; the bundled default orders less
    friday = dataclasses.replace(state, weekday=4, stock=0, demand=(3, 3, 3, 3, 4, 7, 7) * 2)
    view = ruled.function_view(friday, 0, {0: {}}, {})
    reference = _compiled(specs[0])
    assert reference(view, 3) == 6
    assert ruled.order_value(friday, 0, 6) > ruled.order_value(friday, 0, 4)


def test_an_untrusted_function_runs_in_the_sandbox_on_the_file_tasks_snapshot(task):
    """The emergency's reference is not shipped in the bundled base, so it runs in a sandbox worker,
    which loads the task from its file to rebuild the view from the plain snapshot."""

    emergency = task.emergencies[0]
    ruled = task.under_rule(emergency)
    (spec,) = functions_from_source(
        emergency.references[0][1], Provenance(kind="reference"), Verification(status="verified")
    )
    base = dataclasses.replace(ruled.bundled_base(), functions=ruled.bundled_base().functions + (spec,))
    friday = shop_state(weekday=4, variant="weekend-shop", demand=(3, 3, 3, 3, 4, 7, 7) * 2, order_cap=6)
    before = get_runtime().counts.sandboxed_calls
    result, error = execute_stage(ruled, base, friday, ruled.stages[1], 0, spec.name, {0: {"forecast": 3}}, {})
    assert (result, error) == (6, None)
    assert get_runtime().counts.sandboxed_calls == before + 1


def _compiled(spec):

    return compile_function(spec)


def test_a_teacher_episode_runs_through_the_ld_loop(task):

    env = task.make_env("weekday-shop")
    agent = build_agent("teacher", task, env, AgentOptions(retriever="bm25"))
    result = run_episode(task, env, agent, seed=2, keep=True)
    assert result.steps == task.settings.days
    assert result.function_errors == 0
    assert {s.stage for step in result.trace for s in step.stages} == {"forecast", "order"}
    again = run_episode(task, task.make_env("weekday-shop"), agent, seed=2, keep=True)
    assert again.states == result.states


def test_the_task_conformance_checker_finds_no_problem(task):
    assert conformance.check_task(task) == []
    assert conformance.check_task(REF) == []
