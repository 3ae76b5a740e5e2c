# Attempts reaching real builtins through a lambda's __globals__.
# expect: '__globals__' is private or a dunder
STAGE = "target"


def function_globals(state):
    """Hostile sample: reaching real builtins through a lambda's __globals__.

    When: never; it must be rejected.
    """
    builtins = (lambda: 0).__globals__['__builtins__']
    return 0
