# Attempts changing process-wide isinstance answers by registering a class with an ABC.
# expect: attribute 'register' reaches
STAGE = "target"


def register_abc(state):
    """Hostile sample: registering int as a collections.abc.Sequence.

    When: never; it must be rejected.
    """
    import collections.abc
    collections.abc.Sequence.register(int)
    return min(state.evaders)
