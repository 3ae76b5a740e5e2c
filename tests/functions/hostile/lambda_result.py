# Attempts returning a function instead of a move.
# expect: returned a function, which is not plain data
STAGE = "move"


def lambda_result(state, target, goal):
    """Hostile sample: returning a function instead of a move.

    When: never; it must be rejected.
    """
    return lambda: 'up'
