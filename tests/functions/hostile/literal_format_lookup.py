# Attempts a literal format string that looks up attributes.
# expect: may not look up attributes
STAGE = "target"


def literal_format_lookup(state):
    """Hostile sample: a literal format string that looks up attributes.

    When: never; it must be rejected.
    """
    return len('{0.me}'.format(state)) % 2
