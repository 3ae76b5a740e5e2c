# Attempts reading an object's namespace with vars().
# expect: 'vars' is forbidden
STAGE = "target"


def vars_dump(state):
    """Hostile sample: reading an object's namespace with vars().

    When: never; it must be rejected.
    """
    return len(vars(state)) % 2
