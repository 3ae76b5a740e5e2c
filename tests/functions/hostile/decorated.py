# Attempts a decorator that runs code when the function is defined.
# expect: decorators are not allowed
STAGE = "target"


@print
def shout(state):
    """Shout.

    When: never.
    """
    return 0
