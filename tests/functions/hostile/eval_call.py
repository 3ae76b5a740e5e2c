# Attempts evaluating a string with eval.
# expect: 'eval' is forbidden
STAGE = "target"


def eval_call(state):
    """Hostile sample: evaluating a string with eval.

    When: never; it must be rejected.
    """
    return eval('0')
