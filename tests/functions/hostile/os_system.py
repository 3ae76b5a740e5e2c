# Attempts running a shell command with os.system.
# expect: import of 'os' is not allowed
STAGE = "target"


def os_system(state):
    """Hostile sample: running a shell command with os.system.

    When: never; it must be rejected.
    """
    import os
    os.system('touch /tmp/pwned')
    return 0
