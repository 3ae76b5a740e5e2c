# Attempts a relative import of the package's own modules.
# expect: relative imports are not allowed
STAGE = "target"


def relative_import(state):
    """Hostile sample: a relative import of the package's own modules.

    When: never; it must be rejected.
    """
    from . import execution
    return 0
