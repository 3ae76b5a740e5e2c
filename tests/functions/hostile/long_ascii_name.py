# Attempts a function name of 80 characters.
# expect: is 80 characters long; at most 64 are accepted
STAGE = "target"


def target_target_target_target_target_target_target_target_target_target_target_abc(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)
