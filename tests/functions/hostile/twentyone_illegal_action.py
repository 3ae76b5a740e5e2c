# Attempts a 21 Points action that does not exist.
# expect: action must be 'hit' or 'stick'
# task: twentyone
STAGE = "decide"


def twentyone_illegal_action(state, stand_on):
    """Hostile sample: a 21 Points action that does not exist.

    When: never; it must be rejected.
    """
    return 'double'
