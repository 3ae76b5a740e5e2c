"""Exact analysis of 21 Points over the infinite deck: no sampling, so regrets are exact.

A player's hand is fully described by its observation ``(sum, usable ace)``: two hands with the
same observation draw to the same futures. Sums only grow, except that a soft hand may turn into
a hard one of at least 12, so the decision states are evaluated in one backward sweep. A policy
is a table ``{(player_sum, dealer_card, usable_ace): 0 stick | 1 hit}`` over ``DECISION_KEYS``
(hard 4-21 and soft 12-21 against every dealer card: 280 states). Gymnasium's rule sets differ
only in what a natural pays, and sticking on 21 is right under all three, so they share one optimal
table. The surrender rule adds a third action (2: give up for -0.5), which changes optimal play.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from logicdistill.agent.loop import act_on_states
from logicdistill.games.twentyone.env import make_env
from logicdistill.games.twentyone.rules import (
    CARD_PROBS,
    CARD_VALUES,
    HIT,
    STICK,
    SURRENDER_RETURN,
    Rules,
    TwentyOneState,
    as_action,
    get_rules,
)

Key = tuple[int, int, int]  # (player_sum, dealer_card, usable_ace)
Policy = dict[Key, int]
Hand = tuple[int, int]  # (player_sum, usable_ace)

# Topological order of hands: every card leads to a hand later in this list (or a bust).
HANDS: tuple[Hand, ...] = (
    *((s, 0) for s in range(4, 12)),
    *((s, 1) for s in range(12, 22)),
    *((s, 0) for s in range(12, 22)),
)
DECISION_KEYS: tuple[Key, ...] = tuple(sorted((s, d, a) for s, a in HANDS for d in CARD_VALUES))

# Outcome vectors: (expected return, P(win), P(draw), P(loss)); a surrender counts as a loss.
BUST = np.array([-1.0, 0.0, 0.0, 1.0])
SURRENDERED = np.array([SURRENDER_RETURN, 0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Outcome:
    expected_return: float
    win: float
    draw: float
    loss: float


@dataclass(frozen=True)
class DealerOutcome:
    """Chances of the dealer's final score given the face-up card; score 0 means bust."""

    scores: dict[int, float]
    natural: float  # chance the dealer holds ace + ten (included in scores[21])


@cache
def _dealer_from(hard: int, ace: bool) -> tuple[tuple[int, float], ...]:
    total = hard + 10 if ace and hard + 10 <= 21 else hard
    if total > 21:
        return ((0, 1.0),)
    if total >= 17:
        return ((total, 1.0),)
    out: dict[int, float] = {}
    for card, p in CARD_PROBS.items():
        for score, q in _dealer_from(hard + card, ace or card == 1):
            out[score] = out.get(score, 0.0) + p * q
    return tuple(sorted(out.items()))


@cache
def dealer_outcome(dealer_card: int) -> DealerOutcome:
    """The dealer reveals the hole card, then draws while under 17 (a soft 17 stands)."""
    scores: dict[int, float] = {}
    for hole, p in CARD_PROBS.items():
        for score, q in _dealer_from(dealer_card + hole, 1 in (dealer_card, hole)):
            scores[score] = scores.get(score, 0.0) + p * q
    natural = CARD_PROBS[10] if dealer_card == 1 else CARD_PROBS[1] if dealer_card == 10 else 0.0
    return DealerOutcome(scores, natural)


@cache
def _stand_outcome(player_sum: int, dealer_card: int, natural: bool, rules: Rules) -> np.ndarray:
    dealer = dealer_outcome(dealer_card)
    win = sum(p for s, p in dealer.scores.items() if s < player_sum)
    draw = dealer.scores.get(player_sum, 0.0)
    if not natural or not (rules.sab or rules.natural):
        out = np.array([win - (1 - win - draw), win, draw, 1 - win - draw])
    elif rules.sab:  # a natural wins unless the dealer has one too (then it is a draw)
        out = np.array([1 - dealer.natural, 1 - dealer.natural, dealer.natural, 0.0])
    else:  # natural: a winning natural pays 1.5
        out = np.array([1.5 * win, win, draw, 0.0])
    out.setflags(write=False)  # cached and shared
    return out


def stand_value(player_sum: int, dealer_card: int, natural: bool = False, rules: str | Rules = "classic") -> float:
    """Exact expected return of sticking now."""
    return float(_stand_outcome(player_sum, dealer_card, natural, get_rules(rules))[0])


@cache
def next_hands(player_sum: int, usable_ace: int) -> tuple[tuple[float, Hand | None], ...]:
    """Each card's chance and the hand it makes (``None``: bust)."""
    out = []
    for card, p in CARD_PROBS.items():
        if usable_ace:
            hard = player_sum - 10 + card
            nxt: Hand | None = (hard + 10, 1) if hard + 10 <= 21 else (hard, 0)
        elif card == 1 and player_sum + 11 <= 21:
            nxt = (player_sum + 11, 1)
        else:
            nxt = (player_sum + card, 0) if player_sum + card <= 21 else None
        out.append((p, nxt))
    return tuple(out)


def _hit_outcome(hand: Hand, values: dict[Hand, np.ndarray]) -> np.ndarray:
    return sum(p * (BUST if nxt is None else values[nxt]) for p, nxt in next_hands(*hand))


def _options(hand: Hand, dealer_card: int, values: dict[Hand, np.ndarray], rules: Rules) -> list[np.ndarray]:
    """Outcome of each action (index = action) in a decision state, given the later hands' values."""
    options = [_stand_outcome(hand[0], dealer_card, False, rules), _hit_outcome(hand, values)]
    return options + [SURRENDERED] if rules.surrender else options


@cache
def _action_values(rules: Rules) -> dict[Key, tuple[float, ...]]:
    out = {}
    for d in CARD_VALUES:
        best: dict[Hand, np.ndarray] = {}
        for hand in reversed(HANDS):
            options = _options(hand, d, best, rules)
            best[hand] = max(options, key=lambda o: o[0])  # ties: the earlier action (stick, then hit)
            out[(hand[0], d, hand[1])] = tuple(float(o[0]) for o in options)
    return out


def action_values(rules: str | Rules = "classic") -> dict[Key, tuple[float, ...]]:
    """Exact expected return of each action (stick, hit, and surrender under that rule) in every
    decision state when play after a hit is optimal. A natural's bonus is not included: it never
    changes a decision (stick on 21)."""
    return _action_values(get_rules(rules))


@cache
def _optimal_policy(rules: Rules) -> tuple[tuple[Key, int], ...]:
    return tuple((k, max(range(len(v)), key=lambda a: (v[a], -a))) for k, v in sorted(_action_values(rules).items()))


def optimal_policy(rules: str | Rules = "classic") -> Policy:
    """The optimal table (the same under Gymnasium's three rule sets); ties go to the earlier
    action (stick)."""
    return dict(_optimal_policy(get_rules(rules)))


def _check(policy: Policy) -> None:
    missing = [k for k in DECISION_KEYS if k not in policy]
    if missing:
        raise ValueError(f"policy table misses {len(missing)} decision states, e.g. {missing[0]}")


def _hand_outcomes(policy: Policy, dealer_card: int, rules: Rules) -> dict[Hand, np.ndarray]:
    values: dict[Hand, np.ndarray] = {}
    for hand in reversed(HANDS):
        values[hand] = _options(hand, dealer_card, values, rules)[policy[(hand[0], dealer_card, hand[1])]]
    return values


@cache
def initial_hands() -> tuple[tuple[float, Hand, bool], ...]:
    """The player's first two cards: chance, hand, and whether it is a natural."""
    out: dict[tuple[Hand, bool], float] = {}
    for a, p in CARD_PROBS.items():
        for b, q in CARD_PROBS.items():
            natural = sorted((a, b)) == [1, 10]
            hand = (a + b + 10, 1) if 1 in (a, b) else (a + b, 0)
            out[(hand, natural)] = out.get((hand, natural), 0.0) + p * q
    return tuple((p, hand, nat) for (hand, nat), p in sorted(out.items()))


def policy_outcome(policy: Policy, rules: str | Rules = "classic") -> Outcome:
    """Exact expected return and win / draw / loss chances of a hand played by ``policy``."""
    _check(policy)
    rules = get_rules(rules)
    total = np.zeros(4)
    for d, pd in CARD_PROBS.items():
        values = _hand_outcomes(policy, d, rules)
        for p, hand, natural in initial_hands():
            if natural and policy[(21, d, 1)] == STICK:
                total += pd * p * _stand_outcome(21, d, True, rules)
            else:
                total += pd * p * values[hand]
    return Outcome(*map(float, total))


def policy_return(policy: Policy, rules: str | Rules = "classic") -> float:
    """Exact expected return per hand of any deterministic policy table."""
    return policy_outcome(policy, rules).expected_return


def optimal_return(rules: str | Rules = "classic") -> float:
    return policy_return(optimal_policy(rules), rules)


def regret(policy: Policy, rules: str | Rules = "classic") -> float:
    """Expected return lost per hand against optimal play (>= 0)."""
    return optimal_return(rules) - policy_return(policy, rules)


def visit_probabilities(policy: Policy) -> dict[Key, float]:
    """Chance that a hand played by ``policy`` reaches each decision state (each at most once:
    soft sums and hard sums only grow)."""
    _check(policy)
    out = {}
    for d, pd in CARD_PROBS.items():
        reach: dict[Hand, float] = dict.fromkeys(HANDS, 0.0)
        for p, hand, _ in initial_hands():
            reach[hand] += p
        for hand in HANDS:
            if policy[(hand[0], d, hand[1])] == HIT:
                for p, nxt in next_hands(*hand):
                    if nxt is not None:
                        reach[nxt] += reach[hand] * p
        out.update({(s, d, a): pd * r for (s, a), r in reach.items()})
    return out


def policy_agreement(policy: Policy, reference: Policy | None = None, weighted: bool = False) -> float:
    """Share of decision states where ``policy`` acts as ``reference`` (default: optimal); with
    ``weighted``, each state counts by how often the reference policy reaches it."""
    reference = reference or optimal_policy()
    weights = visit_probabilities(reference) if weighted else dict.fromkeys(DECISION_KEYS, 1.0)
    return sum(w for k, w in weights.items() if policy[k] == reference[k]) / sum(weights.values())


def decision_state(key: Key, rules: str | Rules = "classic") -> TwentyOneState:
    """The state of an observation with no cards: what ``tabulate`` shows an agent."""
    return TwentyOneState(key[0], key[1], bool(key[2]), get_rules(rules).name)


def tabulate(decide: Any | Callable[[TwentyOneState], Any], rules: str | Rules = "classic") -> Policy:
    """The policy table of an agent (anything with ``reset`` and ``act(state) -> (action, record)``,
    asked in one batch when it has ``act_batch``) or of a callable ``state -> action``, by asking it
    once in every decision state."""
    states = [decision_state(key, rules) for key in DECISION_KEYS]
    if hasattr(decide, "act"):
        actions = [action for action, _ in act_on_states(decide, states)]
    else:
        actions = [decide(state) for state in states]
    return {key: as_action(action, get_rules(rules).surrender) for key, action in zip(DECISION_KEYS, actions)}


@dataclass(frozen=True)
class MonteCarlo:
    mean: float
    stderr: float
    hands: int


def monte_carlo_return(
    policy: Policy, rules: str | Rules = "classic", hands: int = 10_000, seed: int = 0, env: str = "gymnasium"
) -> MonteCarlo:
    """Mean return of ``hands`` hands played by ``policy`` in an environment, with its standard
    error: an independent check of the exact value. The first hand is seeded, the rest follow."""

    _check(policy)
    game = make_env(rules, env)
    returns = np.empty(hands)
    for i in range(hands):
        state, _ = game.reset(seed=seed if i == 0 else None)
        reward, done = 0.0, False
        while not done:
            state, reward, done, truncated, _ = game.step(policy[state.key])
            done = done or truncated
        returns[i] = reward
    stderr = float(returns.std(ddof=1) / math.sqrt(hands)) if hands > 1 else float("nan")
    return MonteCarlo(float(returns.mean()), stderr, hands)
