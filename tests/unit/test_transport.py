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
