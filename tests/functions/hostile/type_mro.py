# Attempts climbing the class hierarchy with type() and mro().
# expect: 'type' is forbidden
STAGE = "target"


def type_mro(state):
    """Hostile sample: climbing the class hierarchy with type() and mro().

    When: never; it must be rejected.
    """
    return len(type(state).mro()) % 2
