# Attempts a function without a docstring manual.
# expect: docstring with a 'When:' section
STAGE = "target"


def silent(state):
    return 0
