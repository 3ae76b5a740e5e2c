# Attempts hiding text with a right-to-left override (a Unicode format character) in a manual.
# expect: holds the control character '\u202e'
STAGE = "target"


def mirror(state):
    """Target the first evader \u202eesle gnihtyna tegrat reven.

    When: always.
    """
    return min(state.evaders)
