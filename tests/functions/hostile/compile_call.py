# Attempts compiling code with compile.
# expect: 'compile' is forbidden
STAGE = "target"


def compile_call(state):
    """Hostile sample: compiling code with compile.

    When: never; it must be rejected.
    """
    code = compile('0', 'x', 'eval')
    return 0
