"""Run pyinfra's own CLI on an inventory against recording fake hosts; no host is contacted.

    python tests/planning/fake_deploy.py OUT.json INVENTORY DEPLOY_FILE...

A host's ``fake_responses`` data scripts what its commands answer (pyinfra's ``fake``
connector: a substring or a compiled pattern of the command -> its stdout lines).

Every host of the inventory gets pyinfra's ``fake`` connector instead of SSH: facts
read as on a blank host (empty output), so every operation plans and "runs" in full —
every template rendered, every file uploaded, every command built. What would have
crossed the wire is written to OUT.json per host: the commands and the uploaded files.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from io import IOBase

os.environ["PYINFRA_FAKE_DELAY"] = "0"
os.environ["PYINFRA_FAKE_DELAY_JITTER"] = "0"

from pyinfra.api import inventory as pyinfra_inventory  # noqa: E402
from pyinfra.connectors.fake import FakeConnector  # noqa: E402

RECORD: dict[str, dict] = {}

#: what a blank host answers where empty output is not an answer (substring of the command -> stdout)
BLANK_HOST = {
    # df of the filesystem holding a repository volume: 1 PiB, all free
    "df -B1 --output=size,avail": "1125899906842624 1125899906842624",
    # the kernel and the tool server.user asks for before making a system account
    "uname -s": "Linux",
    "command -v useradd": "/usr/sbin/useradd",
}


class RecordingConnector(FakeConnector):
    def _record(self) -> dict:
        return RECORD.setdefault(self.host.name, {"commands": [], "files": {}})

    def _lookup_response(self, command_str):
        """The host's own ``fake_responses`` first, then what a blank host answers."""

        scripted = self.data.get("fake_responses") or {}
        if not any(m.search(command_str) if hasattr(m, "search") else m in command_str for m in scripted):
            for matcher, stdout in BLANK_HOST.items():
                if matcher in command_str:
                    return True, _lines(stdout)
        return super()._lookup_response(command_str)

    def run_shell_command(self, command, print_output=False, print_input=False, **arguments):
        ok, output = super().run_shell_command(command, print_output, print_input, **arguments)
        self._record()["commands"].append(self.executed_commands[-1])
        return ok, output

    def put_file(self, filename_or_io, remote_filename, remote_temp_filename=None, print_output=False,
                 print_input=False, **arguments):
        if isinstance(filename_or_io, IOBase):
            filename_or_io.seek(0)
            content = filename_or_io.read()
        else:
            with open(filename_or_io, "rb") as handle:
                content = handle.read()
        if isinstance(content, bytes):
            try:
                content = content.decode("utf-8")
            except UnicodeDecodeError:  # a binary file (the sealed store): kept exactly
                content = "base64:" + base64.b64encode(content).decode()
        self._record()["files"][remote_filename] = content
        return super().put_file(filename_or_io, remote_filename, remote_temp_filename, print_output, print_input,
                                **arguments)


def _lines(text: str):
    from pyinfra.connectors.util import CommandOutput, OutputLine

    return CommandOutput([OutputLine("stdout", line) for line in text.splitlines()])


def main() -> int:
    out, *argv = sys.argv[1:]
    connectors = pyinfra_inventory.get_execution_connectors
    pyinfra_inventory.get_execution_connectors = lambda: {**connectors(), "ssh": RecordingConnector}
    from pyinfra_cli.main import main as pyinfra_main

    sys.argv = ["pyinfra", "--yes", *argv]
    code = 0
    try:
        pyinfra_main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(RECORD, handle)
    return code


if __name__ == "__main__":
    sys.exit(main())
