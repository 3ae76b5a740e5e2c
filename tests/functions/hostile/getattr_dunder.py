# Attempts getattr with a dunder string.
# expect: 'getattr' is forbidden
STAGE = "target"


def getattr_dunder(state):
    """Hostile sample: getattr with a dunder string.

    When: never; it must be rejected.
    """
    cls = getattr(state, '__class__')
    return 0
