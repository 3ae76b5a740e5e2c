"""What a 21 Points function sees as ``state``: the player's observation plus exact helpers.

This object is the function contract's vocabulary (the teacher is shown this docstring). The
helpers are exact over the infinite deck and cheap (cached tables), so a function stays a few
lines. None of them reveals the optimal move: choosing it is the base's and the selector's job.

Attributes
    player_sum    my total (an ace counts 11 when that does not bust me)
    dealer_card   the dealer's face-up card, 1 (ace) to 10
    usable_ace    True when my hand is soft (holds an ace counted as 11)
    rules         the rule set's name: classic, natural, sab or surrender
    surrender_allowed  True under the surrender rule: 'surrender' is then a valid action (the hand
                  ends at once and I lose half my bet, -0.5)

Methods
    card_chance(value)    chance the next card has this value (1-9: 1/13, 10: 4/13)
    bust_chance_if_hit()  chance that one more card takes me over 21
    dealer_bust_chance()  chance the dealer ends over 21
    dealer_total_chances() {17: p, 18: p, 19: p, 20: p, 21: p, 'bust': p}: the dealer's final total
    stand_value()         exact expected return of sticking now (-1 to 1)
    hit_once_value()      exact expected return of taking exactly one more card, then sticking
"""

from __future__ import annotations

from logicdistill.games.twentyone.exact import dealer_outcome, next_hands, stand_value
from logicdistill.games.twentyone.rules import CARD_PROBS, TwentyOneState, get_rules


class TwentyOneView:
    __slots__ = ("player_sum", "dealer_card", "usable_ace", "rules", "surrender_allowed")

    def __init__(self, state: TwentyOneState):
        self.player_sum = state.player_sum
        self.dealer_card = state.dealer_card
        self.usable_ace = bool(state.usable_ace)
        self.rules = state.rules
        self.surrender_allowed = get_rules(state.rules).surrender

    def card_chance(self, value: int) -> float:
        return CARD_PROBS.get(value, 0.0)

    def bust_chance_if_hit(self) -> float:
        return sum(p for p, nxt in next_hands(self.player_sum, int(self.usable_ace)) if nxt is None)

    def dealer_bust_chance(self) -> float:
        return dealer_outcome(self.dealer_card).scores.get(0, 0.0)

    def dealer_total_chances(self) -> dict[int | str, float]:
        scores = dealer_outcome(self.dealer_card).scores
        return {**{t: scores.get(t, 0.0) for t in range(17, 22)}, "bust": scores.get(0, 0.0)}

    def stand_value(self) -> float:
        return stand_value(self.player_sum, self.dealer_card)

    def hit_once_value(self) -> float:
        return sum(
            p * (-1.0 if nxt is None else stand_value(nxt[0], self.dealer_card))
            for p, nxt in next_hands(self.player_sum, int(self.usable_ace))
        )
