# Attempts monkeypatching an allowed module for every other user in the process (math.pi = 3).
# expect: may not assign or delete attributes
STAGE = "target"


def patch_module(state):
    """Hostile sample: monkeypatching an allowed module.

    When: never; it must be rejected.
    """
    import math
    math.pi = 3
    return min(state.evaders)
