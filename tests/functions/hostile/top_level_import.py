# Attempts a module-level import, which would not be stored with the function.
# expect: put imports inside the function
STAGE = "target"
import math


def rooted(state):
    """Use math.

    When: never.
    """
    return int(math.sqrt(0))
