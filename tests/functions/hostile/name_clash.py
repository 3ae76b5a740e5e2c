# Attempts silently replacing the bundled nearest_evader.
# expect: already exists
STAGE = "target"


def nearest_evader(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)
