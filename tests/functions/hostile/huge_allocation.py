# Attempts allocating a 80 GB list, to exhaust memory.
# expect: ran out of memory
STAGE = "target"


def huge_allocation(state):
    """Hostile sample: allocating a 80 GB list, to exhaust memory.

    When: never; it must be rejected.
    """
    cells = [0] * 10**10
    return len(cells)
