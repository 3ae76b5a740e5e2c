# Attempts a docstring without a When: section.
# expect: docstring with a 'When:' section
STAGE = "target"


def vague(state):
    """Target evader zero."""
    return 0
