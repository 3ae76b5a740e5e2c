# Attempts reading __builtins__ directly.
# expect: dunder name '__builtins__'
STAGE = "target"


def builtins_name(state):
    """Hostile sample: reading __builtins__ directly.

    When: never; it must be rejected.
    """
    opener = __builtins__['open']
    return 0
