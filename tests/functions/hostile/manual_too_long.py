# Attempts a manual far over the length cap, crowding every prompt.
# expect: the manual is longer than 1500 characters
STAGE = "target"


def verbose(state):
    """Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. Target the first evader, a corridor, a dead end. 

    When: always.
    """
    return min(state.evaders)
