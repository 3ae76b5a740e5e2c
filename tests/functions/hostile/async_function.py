# Attempts an async function.
# expect: only a STAGE line and function definitions
STAGE = "target"


async def wait(state):
    """Wait.

    When: never.
    """
    return 0
