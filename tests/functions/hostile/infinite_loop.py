# Attempts an endless loop, to hang whoever runs it.
# expect: did not finish
STAGE = "target"


def infinite_loop(state):
    """Hostile sample: an endless loop, to hang whoever runs it.

    When: never; it must be rejected.
    """
    while True:
        pass
