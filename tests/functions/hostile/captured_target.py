# Attempts always targeting evader 0, even once it is captured.
# expect: target must be a free evader index [1], got 0
STAGE = "target"


def captured_target(state):
    """Hostile sample: always targeting evader 0, even once it is captured.

    When: never; it must be rejected.
    """
    return 0
