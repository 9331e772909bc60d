"""A repository served read-only for one restore or reseed (``agent/restore_server.py``).

:func:`serving` starts it on the repository host over SSH with a throwaway credential made
here (a random password; the server gets only its bcrypt hash) and yields where it listens
and that credential; leaving the ``with`` block ends the SSH session and with it the server.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import bcrypt

from ikzops import execute, layout
from ikzops.execute import Command
from ikzops.model.partnership import Host
from ikzops.runners import ssh

#: the longest a server lives if nothing stops it (its session normally does)
TTL = 24 * 3600


@dataclass(frozen=True)
class Served:
    url: str
    user: str
    password: str
    error: str = ""


@contextmanager
def serving(host: Host, repository: str, served_id: str) -> Iterator[Served]:
    """``repository`` (a path on ``host``) served until the block is left; ``error`` says why not."""

    password = secrets.token_urlsafe(32)
    user = f"ikzops-{served_id}"
    line = f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}"
    agent = Command(layout.agent_argv("restore_server", "serve"), purpose=f"serve {repository} on {host.name}")
    command = replace(ssh.command(host, agent),
                      stdin=json.dumps({"id": served_id, "repository": repository, "htpasswd": line, "ttl": TTL}) + "\n")
    with execute.held(command) as answer:
        if "port" not in answer:
            yield Served("", user, password, error=str(answer.get("error", "no answer")))
        else:
            yield Served(f"rest:https://{host.address}:{answer['port']}/", user, password)
