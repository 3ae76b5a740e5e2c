# Reference function for the surrender emergency, written by hand for logicdistill (provenance
# "reference"): the offline stand-in for the function a teacher LLM writes when the rule appears.
# Without the rule it plays like stick_at_total.
STAGE = "decide"


def surrender_hopeless_hand(state, stand_on):
    """Surrender a hard 13 or more that loses over half a bet on average both when I stick and when
    I take one more card; otherwise stick once my sum reaches the estimated total, else hit.

    When: the default while the surrender rule is in force; it gives up a hopeless hand: a hard
    16 against a 9, a hard 14 to 16 against a 10, or a hard 13 to 17 against an ace.
    """
    hopeless = max(state.stand_value(), state.hit_once_value()) < -0.5
    if state.surrender_allowed and not state.usable_ace and state.player_sum >= 13 and hopeless:
        return "surrender"
    return "stick" if state.player_sum >= stand_on else "hit"
