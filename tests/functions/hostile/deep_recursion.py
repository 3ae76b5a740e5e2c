# Attempts unbounded recursion, to overflow the stack.
# expect: recursed too deep
STAGE = "target"


def deep_recursion(state):
    """Hostile sample: unbounded recursion, to overflow the stack.

    When: never; it must be rejected.
    """
    def down(n):
        return down(n + 1)
    return down(0)
