# Attempts the target stage's function taking an extra parameter.
# expect: signature must be exactly
STAGE = "target"


def wrong_signature(state, target):
    """Hostile sample: the target stage's function taking an extra parameter.

    When: never; it must be rejected.
    """
    return 0
