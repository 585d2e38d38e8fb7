"""The listening socket the production server accepts phones on."""

import socket

from workshop.serve import listening_socket


def test_connections_accepted_send_small_messages_at_once():
    """Nagle's algorithm held the acknowledgement that follows a broadcast until
    the phone's delayed TCP acknowledgement came back: 40 ms on every action."""
    listener = listening_socket("127.0.0.1", 0, backlog=2048)
    try:
        phone = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        with phone, accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        listener.close()


def test_a_burst_of_phones_waits_in_the_backlog_instead_of_failing():
    listener = listening_socket("127.0.0.1", 0, backlog=2048)
    phones = []
    try:
        # Nobody accepts yet: a backlog of 50 would leave the later phones hanging.
        for _ in range(300):
            phones.append(socket.create_connection(listener.getsockname(), timeout=2))
        listener.settimeout(2)
        for _ in range(300):
            listener.accept()[0].close()
    finally:
        for phone in phones:
            phone.close()
        listener.close()
