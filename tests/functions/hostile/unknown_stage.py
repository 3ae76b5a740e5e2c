# Attempts a STAGE that the task does not have.
# expect: unknown stage 'attack'
STAGE = "attack"


def strike(state):
    """Strike.

    When: never.
    """
    return 0
