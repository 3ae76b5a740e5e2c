# Attempts source that does not parse.
# expect: line 11: syntax error
STAGE = "target"


def broken(state):
    """Broken.

    When: never.
    """
    return (0
