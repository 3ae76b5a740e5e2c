# Attempts reading a dunder through a class pattern.
# expect: '__globals__' is private or a dunder
STAGE = "target"


def match_class_dunder(state):
    """Hostile sample: reading a dunder through a class pattern.

    When: never; it must be rejected.
    """
    match (lambda: 0):
        case object(__globals__=g):
            pass
    return 0
