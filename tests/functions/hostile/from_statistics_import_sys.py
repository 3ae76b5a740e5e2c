# Attempts importing sys out of the allowed statistics module.
# expect: importing 'sys' from statistics
STAGE = "target"


def from_statistics_import_sys(state):
    """Hostile sample: importing sys out of the allowed statistics module.

    When: never; it must be rejected.
    """
    from statistics import sys
    return 0
