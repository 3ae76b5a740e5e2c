# Attempts importing os through importlib.
# expect: import of 'importlib' is not allowed
STAGE = "target"


def importlib_import(state):
    """Hostile sample: importing os through importlib.

    When: never; it must be rejected.
    """
    import importlib
    importlib.import_module('os').system('id')
    return 0
