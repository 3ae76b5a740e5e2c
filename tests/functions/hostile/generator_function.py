# Attempts yielding the move (the function returns a generator).
# expect: is a generator
STAGE = "move"


def generator_function(state, target, goal):
    """Hostile sample: yielding the move (the function returns a generator).

    When: never; it must be rejected.
    """
    yield 'up'
