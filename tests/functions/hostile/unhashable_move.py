# Attempts returning a list, which the move check cannot even hash.
# expect: cannot use
STAGE = "move"


def unhashable_move(state, target, goal):
    """Hostile sample: returning a list, which the move check cannot even hash.

    When: never; it must be rejected.
    """
    return ['up']
