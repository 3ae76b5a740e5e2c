# Attempts reaching sys.modules through the allowed statistics module.
# expect: attribute 'sys' names a module
STAGE = "target"


def sys_via_statistics(state):
    """Hostile sample: reaching sys.modules through the allowed statistics module.

    When: never; it must be rejected.
    """
    import statistics
    statistics.sys.modules['os'].system('id')
    return 0
