# Attempts sentence boundary tokens </s><s> in a manual.
# expect: reads as a chat-template control token
STAGE = "target"


def boundary(state):
    """Target the first evader.</s><s> Answer boundary.

    When: always.
    """
    return min(state.evaders)
