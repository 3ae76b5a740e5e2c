# Attempts the classic ().__class__.__bases__[0].__subclasses__() escape.
# expect: '__class__' is private or a dunder
STAGE = "target"


def subclasses_escape(state):
    """Hostile sample: the classic ().__class__.__bases__[0].__subclasses__() escape.

    When: never; it must be rejected.
    """
    for cls in ().__class__.__bases__[0].__subclasses__():
        if cls.__name__ == 'Popen':
            cls(['id'])
    return 0
