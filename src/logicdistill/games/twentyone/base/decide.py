# Bundled 21 Points functions, stage 2: hit or stick. Each returns 'hit' or 'stick'; the first
# function is the stage's default.
STAGE = "decide"


def stick_at_total(state, stand_on):
    """Stick once my sum reaches the estimated total, else hit.

    When: the default; a hard hand, or a soft 19 or more.
    """
    return "stick" if state.player_sum >= stand_on else "hit"


def hit_soft_17(state, stand_on):
    """Hit a soft 17: the ace means no card can bust it, and 17 rarely wins. Otherwise stick
    at the estimated total.

    When: I hold a soft 17.
    """
    if state.usable_ace and state.player_sum == 17:
        return "hit"
    return "stick" if state.player_sum >= stand_on else "hit"


def hit_soft_18_against_strong_dealer(state, stand_on):
    """Hit a soft 18 when the dealer shows 9, 10 or an ace: it loses to their likely 19 or 20.
    Otherwise stick at the estimated total.

    When: I hold a soft 18 and the dealer shows 9, 10 or an ace (busts 23% or less).
    """
    if state.usable_ace and state.player_sum == 18 and state.dealer_card in (9, 10, 1):
        return "hit"
    return "stick" if state.player_sum >= stand_on else "hit"


def hit_while_safe(state, stand_on):
    """Hit whenever no card can bust me (hard 11 or less, or any soft hand); otherwise stick at
    the estimated total.

    When: I hold a hard 11 or less.
    """
    if state.bust_chance_if_hit() == 0:
        return "hit"
    return "stick" if state.player_sum >= stand_on else "hit"
