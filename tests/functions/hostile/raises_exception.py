# Attempts raising an exception.
# expect: raised ValueError
STAGE = "target"


def raises_exception(state):
    """Hostile sample: raising an exception.

    When: never; it must be rejected.
    """
    raise ValueError('no idea')
