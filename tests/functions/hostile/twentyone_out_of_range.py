# Attempts a 21 Points estimate outside 4..22.
# expect: stand_on must be an int from 4 to 22
# task: twentyone
STAGE = "estimate"


def twentyone_out_of_range(state):
    """Hostile sample: a 21 Points estimate outside 4..22.

    When: never; it must be rejected.
    """
    return 30
