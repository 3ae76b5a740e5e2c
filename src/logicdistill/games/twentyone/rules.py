"""21 Points with the rules of Gymnasium's ``Blackjack-v1``, as small pure functions.

Infinite deck: every card is 1 (ace) to 9 with chance 1/13 each, or 10 with chance 4/13. The
player sees their sum, whether they hold a usable ace (an ace counted as 11 without busting) and
the dealer's first card. Hitting past 21 loses at once; after a stick the dealer draws until 17
or more (standing on soft 17) and the higher score wins. Two options change naturals (ace + ten
as the first two cards): ``natural`` pays 1.5 for a winning natural; ``sab`` (Sutton and Barto)
lets a natural win unless the dealer also has one, and overrides ``natural``. The ``surrender``
rule set (an emergency: Gymnasium has no such option) adds a third action at every decision:
give the hand up and lose half the bet.
"""

from __future__ import annotations

from dataclasses import dataclass

from logicdistill.errors import UserInputError

CARD_VALUES = tuple(range(1, 11))
CARD_PROBS = {c: (4 if c == 10 else 1) / 13 for c in CARD_VALUES}
DECK = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10)  # Gymnasium's deck, drawn uniformly
STICK, HIT, SURRENDER = 0, 1, 2
ACTION_NAMES = ("stick", "hit")  # index = Gymnasium's action
SURRENDER_NAME = "surrender"
SURRENDER_RETURN = -0.5


def as_action(action: object, surrender: bool = False) -> int:
    """Gymnasium's action (0 stick, 1 hit) from 0/1, 'stick'/'hit', or a one-unit tuple of these;
    with ``surrender`` (the surrender rule) also 2 or 'surrender'."""
    if isinstance(action, (tuple, list)) and len(action) == 1:
        action = action[0]
    names = action_names(surrender)
    if isinstance(action, str) and action in names:
        return names.index(action)
    if not isinstance(action, (bool, str)) and action in range(len(names)):
        return int(action)
    raise ValueError(
        f"a 21 Points action is one of {', '.join(f'{i} ({n})' for i, n in enumerate(names))} "
        f"or its name; got {action!r}"
    )


def action_names(surrender: bool = False) -> tuple[str, ...]:
    """The actions' names, index = action; 'surrender' only under the surrender rule."""
    return (*ACTION_NAMES, SURRENDER_NAME) if surrender else ACTION_NAMES


@dataclass(frozen=True)
class Rules:
    name: str
    natural: bool
    sab: bool
    summary: str  # how naturals are paid, in words, for the task instruction
    surrender: bool = False  # a hand may be given up at any decision for half the bet
    new_rule: str = ""  # an emergency rule in words, appended to the task instruction


RULE_SETS = {
    "classic": Rules("classic", natural=False, sab=False, summary="a natural (ace + ten) pays like any win"),
    "natural": Rules("natural", natural=True, sab=False, summary="a winning natural (ace + ten) pays 1.5"),
    "sab": Rules("sab", natural=False, sab=True, summary="a natural (ace + ten) wins unless the dealer also has one"),
    "surrender": Rules(
        "surrender",
        natural=False,
        sab=False,
        summary="a natural (ace + ten) pays like any win",
        surrender=True,
        new_rule="At any decision you may surrender instead of hitting or sticking: "
        "the hand ends and you lose half your bet.",
    ),
}


def get_rules(rules: str | Rules) -> Rules:
    if isinstance(rules, Rules):
        return rules
    if rules not in RULE_SETS:
        raise UserInputError(f"unknown 21 Points rule set {rules!r}; choose from {', '.join(RULE_SETS)}")
    return RULE_SETS[rules]


@dataclass(frozen=True)
class TwentyOneState:
    """What the player knows (Gymnasium's observation) plus the hand's bookkeeping.

    ``dealer_cards`` holds only the face-up card until the hand is over, then the whole hand.
    States built from an observation alone (see ``exact.decision_states``) have no cards.
    """

    player_sum: int
    dealer_card: int
    usable_ace: bool
    rules: str = "classic"
    player_cards: tuple[int, ...] = ()
    dealer_cards: tuple[int, ...] = ()
    step: int = 0  # decisions taken in this hand
    done: bool = False
    reward: float = 0.0  # the hand's return, once done

    @property
    def key(self) -> tuple[int, int, int]:
        """The observation as Gymnasium gives it, and the key of a policy table."""
        return (self.player_sum, self.dealer_card, int(self.usable_ace))

    @property
    def success(self) -> bool:
        return self.done and self.reward > 0


def hand_value(cards: tuple[int, ...] | list[int]) -> tuple[int, bool]:
    """The hand's sum and whether it holds a usable ace (counted as 11)."""
    total = sum(cards)
    if 1 in cards and total + 10 <= 21:
        return total + 10, True
    return total, False


def is_natural(cards: tuple[int, ...] | list[int]) -> bool:
    return sorted(cards) == [1, 10]


def hand_reward(player: tuple[int, ...], dealer: tuple[int, ...], rules: Rules) -> float:
    """The return of a finished hand in which the player stuck (the dealer has drawn)."""
    mine, theirs = hand_value(player)[0], hand_value(dealer)[0]
    mine, theirs = (0 if mine > 21 else mine), (0 if theirs > 21 else theirs)
    reward = float(mine > theirs) - float(mine < theirs)
    if rules.sab and is_natural(player) and not is_natural(dealer):
        return 1.0
    if not rules.sab and rules.natural and is_natural(player) and reward == 1.0:
        return 1.5
    return reward
