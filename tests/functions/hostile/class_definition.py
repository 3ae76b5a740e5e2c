# Attempts defining a class (needs __build_class__, and opens metaclass tricks).
# expect: class definitions are not allowed
STAGE = "target"


def class_definition(state):
    """Hostile sample: defining a class (needs __build_class__, and opens metaclass tricks).

    When: never; it must be rejected.
    """
    class Box:
        pass
    return 0
