# Attempts calling a helper defined elsewhere (each function runs alone).
# expect: name 'helper' is not defined
STAGE = "target"


def undefined_helper(state):
    """Hostile sample: calling a helper defined elsewhere (each function runs alone).

    When: never; it must be rejected.
    """
    return helper(state)
