"""Our 21 Points environment, the Gymnasium adapter, and Gymnasium's Blackjack-v1 itself."""

import gymnasium
import numpy as np
import pytest

from logicdistill.errors import UserInputError
from logicdistill.games.twentyone import exact
from logicdistill.games.twentyone.env import GymnasiumTwentyOne, TwentyOneEnv, make_env
from logicdistill.games.twentyone.rules import TwentyOneState, as_action, get_rules, hand_reward, hand_value

RULES = ["classic", "natural", "sab"]


def test_unknown_rule_set_and_environment_are_user_errors():
    with pytest.raises(UserInputError, match="unknown 21 Points rule set 'vegas'; choose from classic, natural, sab"):
        get_rules("vegas")
    with pytest.raises(UserInputError, match="rule set"):
        make_env("vegas", "gymnasium")
    with pytest.raises(UserInputError, match="choose from ours, gymnasium"):
        make_env("classic", "casino")


@pytest.mark.parametrize(
    "cards, total, usable", [((1, 1), 12, True), ((1, 10), 21, True), ((1, 5, 10), 16, False), ((10, 9, 2), 21, False)]
)
def test_hand_value(cards, total, usable):
    assert hand_value(cards) == (total, usable)


@pytest.mark.parametrize(
    "player, dealer, expected",  # classic, natural, sab: Gymnasium's rules
    [
        ((1, 10), (10, 7), (1.0, 1.5, 1.0)),
        ((1, 10), (1, 10), (0.0, 0.0, 0.0)),
        ((1, 10), (5, 6, 10), (0.0, 0.0, 1.0)),  # a natural beats a drawn 21 only under sab
        ((5, 6, 10), (1, 10), (0.0, 0.0, 0.0)),  # the reverse rule does not apply
        ((10, 8), (10, 6, 9), (1.0, 1.0, 1.0)),
        ((10, 7), (10, 8), (-1.0, -1.0, -1.0)),
    ],
)
def test_hand_reward_under_each_rule_set(player, dealer, expected):
    assert tuple(hand_reward(player, dealer, get_rules(r)) for r in RULES) == expected


def test_actions():
    assert [as_action(a) for a in (0, 1, "stick", "hit", ("hit",), np.int64(1))] == [0, 1, 0, 1, 1, 1]
    for bad in ("double", 2, True, ("hit", "hit")):
        with pytest.raises(ValueError):
            as_action(bad)


def test_a_hand_in_our_env():
    env = TwentyOneEnv("classic")
    state, info = env.reset(seed=3)
    assert info == {"rules": "classic"} and state.step == 0 and not state.done
    assert len(state.player_cards) == 2 and state.dealer_cards == (state.dealer_card,)
    assert (state.player_sum, bool(state.usable_ace)) == hand_value(state.player_cards)
    while not state.done:
        state, reward, terminated, truncated, _ = env.step("hit" if state.player_sum < 17 else "stick")
    assert terminated and not truncated and state.reward == reward and state.success == (reward > 0)
    assert len(state.dealer_cards) >= 2 and state.step >= 1
    with pytest.raises(RuntimeError):
        env.step(0)


def play_both(a, b, seed, policy):
    """Play one hand in two environments with the same seed and moves; every state must agree."""
    sa, _ = a.reset(seed=seed)
    sb, _ = b.reset(seed=seed)
    assert sa == sb
    while not sa.done:
        action = policy(sa)
        (sa, ra, ta, _, _), (sb, rb, tb, _, _) = a.step(action), b.step(action)
        assert (sa, ra, ta) == (sb, rb, tb)
    return sa


@pytest.mark.parametrize("rules", RULES)
def test_our_env_deals_the_same_cards_as_gymnasium_for_the_same_seed(rules):
    optimal = exact.optimal_policy()
    finals = [
        play_both(
            TwentyOneEnv(rules),
            GymnasiumTwentyOne(rules),
            seed,
            (lambda s: optimal[s.key]) if seed % 2 else (lambda s: int(s.player_sum < 19)),
        )
        for seed in range(150)
    ]
    assert len({f.reward for f in finals}) >= 3  # wins, draws and losses all occurred


@pytest.mark.parametrize("rules", RULES)
def test_adapter_reads_gymnasium_as_gymnasium_itself_does(rules):
    r = get_rules(rules)
    adapter = GymnasiumTwentyOne(rules)
    assert (adapter.env.unwrapped.natural, adapter.env.unwrapped.sab) == (r.natural, r.sab)  # both passed
    direct = gymnasium.make("Blackjack-v1", natural=r.natural, sab=r.sab)
    for seed in (0, 7, 42, 2024):
        state, _ = adapter.reset(seed=seed)
        obs, _ = direct.reset(seed=seed)
        assert state.key == obs and state.player_cards == tuple(direct.unwrapped.player)
        done = False
        while not done:
            action = int(state.player_sum < 17)
            state, reward, terminated, _, _ = adapter.step(action)
            obs, direct_reward, done, _, _ = direct.step(action)
            assert (state.key, reward, terminated) == (obs, direct_reward, done)
        assert state.dealer_cards == tuple(direct.unwrapped.dealer)
        assert state.player_cards == tuple(direct.unwrapped.player)


def test_our_env_and_gymnasium_agree_in_distribution_on_different_seeds():
    """Different seeds, so independent samples: always stick, 3000 hands in each."""
    stick = {k: 0 for k in exact.DECISION_KEYS}
    ours = exact.monte_carlo_return(stick, "classic", hands=3000, seed=101, env="ours")
    theirs = exact.monte_carlo_return(stick, "classic", hands=3000, seed=202, env="gymnasium")
    assert abs(ours.mean - theirs.mean) < 4 * np.hypot(ours.stderr, theirs.stderr)
    assert abs(ours.mean - exact.policy_return(stick)) < 4 * ours.stderr
    env = TwentyOneEnv("classic")
    env.reset(seed=5)
    starts = [env.reset()[0] for _ in range(3000)]
    assert np.mean([s.dealer_card == 10 for s in starts]) == pytest.approx(4 / 13, abs=0.03)
    assert np.mean([s.usable_ace for s in starts]) == pytest.approx(1 - (12 / 13) ** 2, abs=0.02)


def test_state_is_gymnasiums_observation_plus_bookkeeping():
    state = TwentyOneState(15, 10, False)
    assert state.key == (15, 10, 0) and state.rules == "classic" and not state.success
    assert TwentyOneState(20, 6, True, done=True, reward=1.0).success
