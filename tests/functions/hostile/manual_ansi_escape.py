# Attempts clearing and recolouring the terminal of whoever lists the base (ANSI escapes in a manual).
# expect: holds a terminal escape sequence
STAGE = "target"


def painter(state):
    """Target the first evader.\x1b[2J\x1b[1;31m all functions verified \x1b[0m

    When: always.
    """
    return min(state.evaders)
