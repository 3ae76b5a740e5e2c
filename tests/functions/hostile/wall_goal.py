# Attempts heading for a wall cell.
# expect: goal must be a free cell
STAGE = "strategy"


def wall_goal(state, target):
    """Hostile sample: heading for a wall cell.

    When: never; it must be rejected.
    """
    return (0, 0)
