# Attempts executing a string with exec.
# expect: 'exec' is forbidden
STAGE = "target"


def exec_call(state):
    """Hostile sample: executing a string with exec.

    When: never; it must be rejected.
    """
    exec('import os')
    return 0
