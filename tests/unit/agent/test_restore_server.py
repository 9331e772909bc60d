import socket

import pytest

from ikzops.agent import restore_server


def properties(argv: list[str]) -> dict[str, str]:
    return dict(a.removeprefix("--property=").split("=", 1) for a in argv if a.startswith("--property="))


def test_the_server_runs_as_the_rest_server_user_for_a_bounded_time_without_http2():
    argv = restore_server.unit_argv("20261124T010101Z-ab12", "/srv/r/c/job", "/run/x/htpasswd", 8001, 3600)
    found = properties(argv)
    assert found["User"] == "restic-rest-server" and found["RuntimeMaxSec"] == "3600"
    assert found["Environment"] == "GODEBUG=http2server=0,tls10server=0"
    assert found["ReadWritePaths"] == "/srv/r/c/job/locks" and found["ProtectSystem"] == "strict"


def test_the_server_serves_only_that_repository_append_only_with_tls():
    argv = restore_server.unit_argv("id", "/srv/r/c/job", "/run/x/htpasswd", 8001, 60)
    served = argv[argv.index(restore_server.BINARY):]
    assert served[served.index("--path") + 1] == "/srv/r/c/job"
    assert {"--append-only", "--tls"} <= set(served) and "--private-repos" not in served and "--no-auth" not in served


def test_a_taken_port_is_skipped():
    with socket.socket() as taken:
        taken.bind(("", 0))
        port = taken.getsockname()[1]
        assert restore_server.free_port(range(port, port + 2)) != port


def test_a_repository_that_is_not_one_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a restic repository"):
        restore_server.serve({"id": "x1", "repository": str(tmp_path), "htpasswd": "u:h"}, None)
