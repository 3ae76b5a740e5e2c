# Attempts a 21 Points decision that divides by zero on some hands.
# expect: raised ZeroDivisionError
# task: twentyone
STAGE = "decide"


def twentyone_sometimes_crashes(state, stand_on):
    """Hostile sample: a 21 Points decision that divides by zero on some hands.

    When: never; it must be rejected.
    """
    return 'hit' if 1 / (state.player_sum - 12) > 0 else 'stick'
