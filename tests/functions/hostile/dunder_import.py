# Attempts importing os through __import__.
# expect: '__import__' is forbidden
STAGE = "target"


def dunder_import(state):
    """Hostile sample: importing os through __import__.

    When: never; it must be rejected.
    """
    __import__('os').system('id')
    return 0
