"""The exact analysis against known facts, against brute-force expectation over the cards with
the game's own scoring code, and against Monte Carlo in Gymnasium's environment."""

from functools import cache

import pytest

from logicdistill.games.twentyone import exact
from logicdistill.games.twentyone.rules import CARD_PROBS, HIT, STICK, get_rules, hand_reward, hand_value

OPTIMUM = {"classic": -0.0466, "natural": -0.0257, "sab": -0.0431}  # /work/shared/reference/ld-method.md
ALWAYS_STICK = {k: STICK for k in exact.DECISION_KEYS}


def test_decision_states_cover_every_observation_a_player_decides_in():
    assert len(exact.DECISION_KEYS) == 280
    hands = {(s, a) for s, _, a in exact.DECISION_KEYS}
    assert hands == {*((s, 0) for s in range(4, 22)), *((s, 1) for s in range(12, 22))}


@pytest.mark.parametrize("card", range(1, 11))
def test_dealer_outcomes_are_a_distribution(card):
    outcome = exact.dealer_outcome(card)
    assert sum(outcome.scores.values()) == pytest.approx(1.0, abs=1e-12)
    assert set(outcome.scores) <= {0, 17, 18, 19, 20, 21}
    assert outcome.natural == pytest.approx({1: 4 / 13, 10: 1 / 13}.get(card, 0.0))


def test_dealer_bust_chances_match_published_infinite_deck_values():
    # dealer stands on soft 17, no peek: 6 busts 42.3%, ace 11.5%
    assert exact.dealer_outcome(6).scores[0] == pytest.approx(0.4232, abs=1e-4)
    assert exact.dealer_outcome(1).scores[0] == pytest.approx(0.1153, abs=1e-4)


@pytest.mark.parametrize("card", range(1, 11))
def test_standing_on_20_beats_hitting_and_hitting_11_beats_standing(card):
    values = exact.action_values()
    stick, hit = values[(20, card, 0)]
    assert stick > hit
    stick, hit = values[(11, card, 0)]
    assert hit > stick
    assert values[(21, card, 1)][0] > values[(21, card, 1)][1]


@pytest.mark.parametrize("rules", ["classic", "natural", "sab"])
def test_optimal_return_per_rule_set(rules):
    assert exact.optimal_return(rules) == pytest.approx(OPTIMUM[rules], abs=5e-4)
    assert exact.policy_return(ALWAYS_STICK, rules) < exact.optimal_return(rules)


def test_always_stick_and_the_optimal_outcome_chances():
    assert exact.policy_return(ALWAYS_STICK, "classic") == pytest.approx(-0.1864, abs=5e-4)
    outcome = exact.policy_outcome(exact.optimal_policy(), "classic")
    assert (outcome.win, outcome.draw, outcome.loss) == pytest.approx((0.429, 0.095, 0.476), abs=1e-3)
    assert outcome.win + outcome.draw + outcome.loss == pytest.approx(1.0)


def test_the_optimal_table_is_the_textbook_one():
    policy = exact.optimal_policy()
    hard_stand = {d: 12 if 4 <= d <= 6 else 13 if d in (2, 3) else 17 for d in range(1, 11)}
    for s, d, a in exact.DECISION_KEYS:
        stand_from = (19 if d in (9, 10, 1) else 18) if a else hard_stand[d]
        assert policy[(s, d, a)] == (STICK if s >= stand_from else HIT), (s, d, a)


def test_the_optimal_table_is_optimal_and_any_change_costs():
    policy = exact.optimal_policy()
    assert exact.regret(policy) == 0.0
    for key in [(16, 10, 0), (12, 4, 0), (18, 9, 1), (17, 1, 0), (8, 6, 0)]:
        flipped = {**policy, key: 1 - policy[key]}
        assert exact.regret(flipped) > 0


@cache
def _dealer_hands(cards: tuple[int, ...]) -> tuple[tuple[float, tuple[int, ...]], ...]:
    """Every way the dealer's hand can end, drawn card by card with the game's ``hand_value``."""
    if hand_value(cards)[0] >= 17:
        return ((1.0, cards),)
    return tuple((p * q, end) for c, p in CARD_PROBS.items() for q, end in _dealer_hands(cards + (c,)))


def _brute_force_return(policy, rules) -> float:
    """Expectation over card sequences, scored by ``hand_reward`` against every dealer hand: it
    shares no code with the DP. Sticking is cached per final total and natural flag, hands per
    multiset of cards, only to keep it fast."""
    rules = get_rules(rules)

    @cache
    def stick(total, natural, up):
        player = (1, 10) if natural else (total,)  # any hand with this total and natural flag
        return sum(
            ph * q * hand_reward(player, dealer, rules)
            for hole, ph in CARD_PROBS.items()
            for q, dealer in _dealer_hands((up, hole))
        )

    @cache
    def play(player, up):
        total, usable = hand_value(player)
        if total > 21:
            return -1.0
        if policy[(total, up, int(usable))] == HIT:
            return sum(p * play(tuple(sorted(player + (c,))), up) for c, p in CARD_PROBS.items())
        return stick(total, sorted(player) == [1, 10], up)

    return sum(
        pu * pa * pb * play(tuple(sorted((a, b))), up)
        for up, pu in CARD_PROBS.items()
        for a, pa in CARD_PROBS.items()
        for b, pb in CARD_PROBS.items()
    )


@pytest.mark.parametrize("rules", ["classic", "natural", "sab"])
def test_policy_return_equals_brute_force_expectation(rules):
    mimic_dealer = {k: HIT if k[0] < 17 else STICK for k in exact.DECISION_KEYS}
    for policy in (exact.optimal_policy(), mimic_dealer):
        assert exact.policy_return(policy, rules) == pytest.approx(_brute_force_return(policy, rules), abs=1e-12)


def test_visit_probabilities():
    visits = exact.visit_probabilities(ALWAYS_STICK)
    assert sum(visits.values()) == pytest.approx(1.0)  # only the first decision is ever taken
    assert sum(v for (s, _, a), v in visits.items() if (s, a) == (21, 1)) == pytest.approx(2 * (1 / 13) * (4 / 13))
    optimal = exact.visit_probabilities(exact.optimal_policy())
    assert optimal[(4, 10, 0)] == pytest.approx((1 / 13) ** 2 * 4 / 13)
    assert sum(optimal.values()) > 1  # hands that hit decide more than once


def test_policy_agreement():
    optimal = exact.optimal_policy()
    assert exact.policy_agreement(optimal) == 1.0
    assert exact.policy_agreement(ALWAYS_STICK) == pytest.approx(sum(v == STICK for v in optimal.values()) / 280)
    assert 0 < exact.policy_agreement(ALWAYS_STICK, weighted=True) < 1


class RuleAgent:
    """Anything with ``reset`` and ``act(state) -> (action, record)`` can be tabulated."""

    def __init__(self):
        self.resets = 0

    def reset(self, seed=None):
        self.resets += 1

    def act(self, state):
        return ("hit",) if state.player_sum < 17 else ("stick",), None


def test_tabulate_a_simple_rule():
    table = exact.tabulate(lambda s: "hit" if s.player_sum < 17 else "stick")
    assert table == {k: int(k[0] < 17) for k in exact.DECISION_KEYS}
    agent = RuleAgent()
    assert exact.tabulate(agent, "sab") == table and agent.resets == 280
    assert exact.regret(table) == pytest.approx(0.0327, abs=1e-4)


def test_tabulated_states_carry_the_observation_and_rules():
    seen = []
    exact.tabulate(lambda s: seen.append(s) or 0, "natural")
    assert [s.key for s in seen] == list(exact.DECISION_KEYS)
    assert {s.rules for s in seen} == {"natural"} and not any(s.done or s.player_cards for s in seen)


def test_an_incomplete_table_is_refused():
    with pytest.raises(ValueError, match="misses 1 decision states"):
        exact.policy_return({k: 0 for k in exact.DECISION_KEYS[1:]})


@pytest.mark.parametrize("rules", ["classic", "natural"])
def test_monte_carlo_in_gymnasium_agrees_with_the_exact_value(rules):
    mc = exact.monte_carlo_return(exact.optimal_policy(), rules, hands=4000, seed=11)
    assert mc.hands == 4000 and 0.01 < mc.stderr < 0.02
    assert abs(mc.mean - exact.optimal_return(rules)) < 4 * mc.stderr
