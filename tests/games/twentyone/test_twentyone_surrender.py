"""The surrender rule set (the 21 Points emergency): our environment enforces it, Gymnasium's is
refused, and the exact analysis values the new action, so regrets stay exact under it."""

import pytest

from logicdistill.errors import FunctionError, UserInputError
from logicdistill.games.twentyone import exact
from logicdistill.games.twentyone.env import TwentyOneEnv, make_env
from logicdistill.games.twentyone.rules import SURRENDER, get_rules
from logicdistill.games.twentyone.task import STAGES, TwentyOneSettings, TwentyOneTask
from logicdistill.games.twentyone.view import TwentyOneView

# hard totals against dealer cards (1 = ace) where giving up half the bet beats any play
SURRENDER_STATES = [(13, 1, 0), (14, 1, 0), (15, 1, 0), (15, 10, 0), (16, 1, 0), (16, 9, 0), (16, 10, 0), (17, 1, 0)]


def test_surrender_ends_the_hand_at_once_for_half_the_bet():
    env = TwentyOneEnv("surrender")
    first, _ = env.reset(seed=4)
    state, reward, terminated, truncated, _ = env.step("surrender")
    assert (reward, terminated, truncated, state.reward) == (-0.5, True, False, -0.5)
    assert state.player_cards == first.player_cards and len(state.dealer_cards) == 2  # nobody drew
    assert TwentyOneEnv("surrender").reset(seed=4)[0] == first  # the same deal as any rule set


def test_other_rule_sets_and_gymnasium_have_no_surrender():
    env = TwentyOneEnv("classic")
    env.reset(seed=1)
    with pytest.raises(ValueError):
        env.step(SURRENDER)
    with pytest.raises(UserInputError, match="no surrender"):
        make_env("surrender", "gymnasium")


def test_the_task_offers_surrender_only_under_the_rule():
    decide = STAGES[-1]
    surrender, classic = TwentyOneTask(TwentyOneSettings(rules="surrender")), TwentyOneTask()
    assert surrender.actions == ("stick", "hit", "surrender") and classic.actions == ("stick", "hit")
    assert surrender.instruction.endswith(f"New rule: {get_rules('surrender').new_rule}")
    hand = exact.decision_state((16, 10, 0), "surrender")
    assert surrender.check_result(decide, "surrender", hand, 0) == "surrender"
    assert surrender.to_action(hand, {0: {"action": "surrender"}}) == SURRENDER
    with pytest.raises(FunctionError, match="action must be 'hit' or 'stick', got 'surrender'"):
        classic.check_result(decide, "surrender", exact.decision_state((16, 10, 0)), 0)
    assert TwentyOneView(hand).surrender_allowed
    assert not TwentyOneView(exact.decision_state((16, 10, 0))).surrender_allowed


def test_surrender_changes_optimal_play_in_eight_states_only():
    classic, surrender = exact.optimal_policy("classic"), exact.optimal_policy("surrender")
    assert sorted(k for k, a in surrender.items() if a == SURRENDER) == SURRENDER_STATES
    assert all(surrender[k] == classic[k] for k in exact.DECISION_KEYS if k not in SURRENDER_STATES)
    assert exact.optimal_return("surrender") == pytest.approx(-0.03807, abs=1e-5)
    assert exact.regret(classic, "surrender") == pytest.approx(0.00849, abs=1e-5)  # the stale optimum's loss
    assert exact.optimal_return("classic") == pytest.approx(-0.04656, abs=1e-5)  # unchanged


def test_the_exact_value_matches_play_in_our_environment():
    policy = exact.optimal_policy("surrender")
    mc = exact.monte_carlo_return(policy, "surrender", hands=20_000, seed=3, env="ours")
    assert abs(mc.mean - exact.policy_return(policy, "surrender")) < 3 * mc.stderr
