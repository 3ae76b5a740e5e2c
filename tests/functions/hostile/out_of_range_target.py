# Attempts returning an evader index that does not exist.
# expect: target must be a free evader index
STAGE = "target"


def out_of_range_target(state):
    """Hostile sample: returning an evader index that does not exist.

    When: never; it must be rejected.
    """
    return 7
