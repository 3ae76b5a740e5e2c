# Attempts returning a function instead of a move.
# expect: move must be one of
STAGE = "move"


def lambda_result(state, target, goal):
    """Hostile sample: returning a function instead of a move.

    When: never; it must be rejected.
    """
    return lambda: 'up'
