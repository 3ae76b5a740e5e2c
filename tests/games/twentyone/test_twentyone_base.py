"""The 21 Points task, its view and its bundled base: well formed, valid everywhere, and built
so that choosing functions well matters."""

import itertools

import pytest
from helpers import global_names

from logicdistill.errors import FunctionError
from logicdistill.functions import compile_function
from logicdistill.functions.check import check_function_base
from logicdistill.functions.execution import SAFE_BUILTINS
from logicdistill.games.twentyone import exact
from logicdistill.games.twentyone.rules import TwentyOneState
from logicdistill.games.twentyone.task import TwentyOneSettings, TwentyOneTask
from logicdistill.games.twentyone.view import TwentyOneView
from logicdistill.tasks import get_task, registered

TASK = TwentyOneTask()
BASE = TASK.bundled_base()
ESTIMATE, DECIDE = TASK.stages
STATES = [exact.decision_state(k) for k in exact.DECISION_KEYS]


def run(name, state, *args):
    """One function's checked result, as the decision loop gets it."""
    stage = ESTIMATE if BASE.get(name).stage == "estimate" else DECIDE
    return TASK.check_result(
        stage, compile_function(BASE.get(name))(TASK.function_view(state, 0, {}, {}), *args), state, 0
    )


def pipeline_policy(estimate: str, decide: str) -> exact.Policy:
    return {s.key: ["stick", "hit"].index(run(decide, s, run(estimate, s))) for s in STATES}


def test_registered_with_classic_rules():
    assert "twentyone" in registered()
    task = get_task("twentyone")
    assert task.name == "twentyone" and task.rules.name == "classic" and "classic rules" in task.instruction
    assert (
        "1.5" in TwentyOneTask(TwentyOneSettings(rules="natural")).instruction
        and "sab rules" in TwentyOneTask(TwentyOneSettings(rules="sab")).instruction
    )
    assert task.actions == ("stick", "hit")


def test_base_conforms_and_each_stage_lists_its_default_first():
    assert check_function_base(BASE, TASK) is BASE
    assert len(BASE.functions) >= 8
    assert [f.name for f in BASE.by_stage("estimate")][0] == "stand_on_17"
    assert [f.name for f in BASE.by_stage("decide")][0] == "stick_at_total"
    for spec in BASE.functions:
        assert spec.provenance.kind == "bundled" and spec.verification.status == "trusted"
        fn = compile_function(spec)
        assert global_names(fn.__code__) <= set(SAFE_BUILTINS)  # stored without their module


@pytest.mark.parametrize("name", BASE.names())
def test_every_function_returns_a_valid_result_in_every_decision_state(name):
    for state in STATES:
        if BASE.get(name).stage == "estimate":
            assert 4 <= run(name, state) <= 22
        else:
            totals = {run(f.name, state) for f in BASE.by_stage("estimate")}
            assert {run(name, state, t) for t in totals} <= {"hit", "stick"}


def test_default_pipeline_is_plausible_but_imperfect_and_good_choices_reach_the_optimum():
    default = pipeline_policy("stand_on_17", "stick_at_total")
    assert 0.01 < exact.regret(default) < 0.05
    policies = [
        pipeline_policy(e.name, d.name)
        for e, d in itertools.product(BASE.by_stage("estimate"), BASE.by_stage("decide"))
    ]
    optimal = exact.optimal_policy()
    assert all(any(p[k] == optimal[k] for p in policies) for k in exact.DECISION_KEYS)
    assert all(exact.regret(p) > 0.005 for p in policies)  # no single pipeline is right everywhere


def test_state_and_result_text_are_short():
    state = TwentyOneState(15, 10, False)
    assert TASK.state_text(state, 0, {}) == "hand 15 hard, dealer shows 10, busts 21%"
    soft = TwentyOneState(18, 1, True)
    assert TASK.state_text(soft, 0, {"stand_on": 17}) == "hand 18 soft, dealer shows ace, busts 12%\nstick on 17+"
    assert TASK.result_text(ESTIMATE, 13, state, 0, {}, {}) == "stick on 13+"
    assert TASK.result_text(DECIDE, "hit", state, 0, {"stand_on": 13}, {}) == "hit"


@pytest.mark.parametrize(
    "stage_index, bad", [(0, True), (0, "17"), (0, 30), (0, 2.5), (1, "double"), (1, 1), (1, None)]
)
def test_check_result_refuses_what_a_stage_cannot_use(stage_index, bad):
    with pytest.raises(FunctionError):
        TASK.check_result(TASK.stages[stage_index], bad, TwentyOneState(15, 10, False), 0)


def test_fallback_and_action():
    state = TwentyOneState(16, 9, False)
    assert TASK.units(state) == [0]
    assert TASK.fallback(ESTIMATE, state, 0, {}) == 17
    assert TASK.fallback(DECIDE, state, 0, {"stand_on": 13}) == "stick"
    assert TASK.to_action(state, {0: {"stand_on": 17, "action": "hit"}}) == 1


def test_view_helpers_are_exact():
    hard12 = TwentyOneView(TwentyOneState(12, 6, False))
    assert (hard12.player_sum, hard12.dealer_card, hard12.usable_ace, hard12.rules) == (12, 6, False, "classic")
    assert hard12.bust_chance_if_hit() == pytest.approx(4 / 13)
    assert hard12.card_chance(10) == pytest.approx(4 / 13) and hard12.card_chance(11) == 0
    assert hard12.dealer_bust_chance() == pytest.approx(0.4232, abs=1e-4)
    assert sum(hard12.dealer_total_chances().values()) == pytest.approx(1.0)
    assert hard12.stand_value() == pytest.approx(exact.action_values()[(12, 6, 0)][0])
    assert TwentyOneView(TwentyOneState(17, 5, True)).bust_chance_if_hit() == 0
    assert TwentyOneView(TwentyOneState(21, 5, False)).bust_chance_if_hit() == pytest.approx(1.0)
    twenty = TwentyOneView(TwentyOneState(20, 10, False))
    assert twenty.hit_once_value() < twenty.stand_value()
    eleven = TwentyOneView(TwentyOneState(11, 10, False))
    assert eleven.hit_once_value() > eleven.stand_value()
