# Attempts mutating the game's shared grid through the view's private attribute.
# expect: attribute '_grid' is private
STAGE = "target"


def private_grid_mutation(state):
    """Hostile sample: mutating the game's shared grid through the view's private attribute.

    When: never; it must be rejected.
    """
    state._grid.neighbours.clear()
    return 0
