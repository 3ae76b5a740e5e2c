# Attempts dropping into a debugger.
# expect: 'breakpoint' is forbidden
STAGE = "target"


def breakpoint_call(state):
    """Hostile sample: dropping into a debugger.

    When: never; it must be rejected.
    """
    breakpoint()
    return 0
