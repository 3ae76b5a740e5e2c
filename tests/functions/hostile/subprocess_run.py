# Attempts starting a process with subprocess.
# expect: import of 'subprocess' is not allowed
STAGE = "target"


def subprocess_run(state):
    """Hostile sample: starting a process with subprocess.

    When: never; it must be rejected.
    """
    import subprocess
    subprocess.run(['id'])
    return 0
