# Attempts a move that does not exist.
# expect: move must be one of
STAGE = "move"


def illegal_move(state, target, goal):
    """Hostile sample: a move that does not exist.

    When: never; it must be rejected.
    """
    return 'jump'
