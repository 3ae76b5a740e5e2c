# Attempts a mutable default argument used as hidden memory.
# expect: signature must be exactly
STAGE = "target"


def default_argument_memory(state, memory={}):
    """Hostile sample: a mutable default argument used as hidden memory.

    When: never; it must be rejected.
    """
    return 0
