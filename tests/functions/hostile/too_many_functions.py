# Attempts flooding a base with 21 functions from one file.
# expect: the source defines 21 functions; at most 20 are accepted in one file
STAGE = "target"


def first_0(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_1(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_2(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_3(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_4(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_5(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_6(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_7(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_8(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_9(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_10(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_11(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_12(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_13(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_14(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_15(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_16(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_17(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_18(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_19(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)


def first_20(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)
