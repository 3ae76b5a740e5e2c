# Attempts posing as nearest_evader with a Cyrillic 'е' in its name.
# expect: must be an ASCII Python identifier
STAGE = "target"


def nеarest_evader(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)
