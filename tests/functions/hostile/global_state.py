# Attempts keeping state between calls in a global.
# expect: global statements
STAGE = "target"


def global_state(state):
    """Hostile sample: keeping state between calls in a global.

    When: never; it must be rejected.
    """
    global COUNT
    COUNT = 1
    return 0
