# Attempts getattr with a dunder name assembled at run time.
# expect: 'getattr' is forbidden
STAGE = "target"


def getattr_built_name(state):
    """Hostile sample: getattr with a dunder name assembled at run time.

    When: never; it must be rejected.
    """
    name = '_' * 2 + 'class' + '_' * 2
    cls = getattr(state, name)
    return 0
