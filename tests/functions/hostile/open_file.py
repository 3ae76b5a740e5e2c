# Attempts reading a file with open().
# expect: 'open' is forbidden
STAGE = "target"


def open_file(state):
    """Hostile sample: reading a file with open().

    When: never; it must be rejected.
    """
    return len(open('/etc/passwd').read()) % 2
