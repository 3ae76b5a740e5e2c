# Attempts opening a network connection.
# expect: import of 'socket' is not allowed
STAGE = "target"


def socket_connect(state):
    """Hostile sample: opening a network connection.

    When: never; it must be rejected.
    """
    import socket
    socket.create_connection(('example.com', 80))
    return 0
