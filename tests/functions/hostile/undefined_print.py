# Attempts printing (print is not among the safe builtins).
# expect: 'print' is forbidden
STAGE = "target"


def undefined_print(state):
    """Hostile sample: printing (print is not among the safe builtins).

    When: never; it must be rejected.
    """
    print('hello')
    return 0
