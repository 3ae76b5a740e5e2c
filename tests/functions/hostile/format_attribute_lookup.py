# Attempts str.format field lookups to reach dunders without writing one.
# expect: str.format is allowed on string literals only
STAGE = "target"


def format_attribute_lookup(state):
    """Hostile sample: str.format field lookups to reach dunders without writing one.

    When: never; it must be rejected.
    """
    template = '{0.' + '_' * 2 + 'class' + '_' * 2 + '}'
    return len(template.format(state)) % 2
