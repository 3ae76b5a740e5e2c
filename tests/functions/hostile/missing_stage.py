# Attempts a function with no STAGE line.
# expect: declare the functions' stage


def no_stage(state):
    """No stage.

    When: never.
    """
    return 0
