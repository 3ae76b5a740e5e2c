# Attempts building a 1 GB string as the move, to exhaust memory.
# expect: ran out of memory
STAGE = "move"


def huge_string(state, target, goal):
    """Hostile sample: building a 1 GB string as the move, to exhaust memory.

    When: never; it must be rejected.
    """
    return 'up' * 10**9
