import socket

from ikzops.transport import send_at_once


class Transport:
    def __init__(self, sock) -> None:
        self.sock = sock


def test_a_tcp_connections_small_packets_go_out_at_once():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        send_at_once(Transport(sock))
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_a_connection_over_a_local_pipe_is_left_as_it_is_and_still_carries_data():
    # a ProxyCommand's transport is a pipe: setting a TCP option on it would raise
    left, right = socket.socketpair()
    with left, right:
        send_at_once(Transport(left))
        left.sendall(b"x")
        assert right.recv(1) == b"x"


def test_a_new_connection_sends_small_packets_at_once_from_the_first():
    from ikzops.transport import connected

    with socket.create_server(("127.0.0.1", 0)) as server:
        with connected("127.0.0.1", server.getsockname()[1], timeout=5) as sock:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_connecting_to_a_closed_port_raises_at_once():
    import pytest

    from ikzops.transport import connected

    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    with pytest.raises(OSError):
        connected("127.0.0.1", port, timeout=5)
