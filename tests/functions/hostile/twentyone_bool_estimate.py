# Attempts a bool where an int is expected.
# expect: stand_on must be an int
# task: twentyone
STAGE = "estimate"


def twentyone_bool_estimate(state):
    """Hostile sample: a bool where an int is expected.

    When: never; it must be rejected.
    """
    return state.player_sum > 16
