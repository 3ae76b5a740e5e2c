# Attempts a 270-byte Unicode function name (a file name longer than the file system allows).
# expect: must be an ASCII Python identifier
STAGE = "target"


def ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé(state):
    """Target the first evader.

    When: always.
    """
    return min(state.evaders)
