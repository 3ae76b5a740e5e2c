# Attempts returning a string where an evader index is expected.
# expect: target must be a free evader index
STAGE = "target"


def wrong_return_type(state):
    """Hostile sample: returning a string where an evader index is expected.

    When: never; it must be rejected.
    """
    return 'E0'
