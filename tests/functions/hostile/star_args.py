# Attempts accepting *args to dodge the signature check.
# expect: signature must be exactly
STAGE = "target"


def star_args(state, *args):
    """Hostile sample: accepting *args to dodge the signature check.

    When: never; it must be rejected.
    """
    return 0
