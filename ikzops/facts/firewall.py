"""What a host's firewall is now: one command, read before anything changes."""

from __future__ import annotations

from dataclasses import dataclass

from pyinfra.api import FactBase

from ikzops.agent.firewall import CANDIDATE, RECORDED, RULESET, TABLE


@dataclass(frozen=True)
class FirewallState:
    #: the address this SSH session comes from, as the host sees it ("" if not over SSH)
    client: str = ""
    #: sha256 of the confirmed ruleset file
    ruleset: str | None = None
    #: sha256 of ``nft -s list table inet ikzops`` now, and as recorded when confirmed
    live: str | None = None
    recorded: str | None = None
    #: a candidate waits for its confirmation (or its rollback)
    pending: bool = False


class Firewall(FactBase[FirewallState]):
    """The firewall's files, the live table's digest, and where ikzops connects from."""

    @staticmethod
    def default() -> FirewallState:
        return FirewallState()

    def command(self) -> str:
        table = " ".join(TABLE)
        return "; ".join((
            'printf "client=%s\\n" "${SSH_CONNECTION%% *}"',
            f"[ -f {RULESET} ] && printf 'ruleset=%s\\n' \"$(sha256sum < {RULESET} | cut -d' ' -f1)\"",
            f"[ -f {RECORDED} ] && printf 'recorded=%s\\n' \"$(cat {RECORDED})\"",
            f"[ -f {CANDIDATE} ] && echo pending=1",
            f"command -v nft >/dev/null && nft -s list table {table} >/dev/null 2>&1 && "
            f"printf 'live=%s\\n' \"$(nft -s list table {table} | sha256sum | cut -d' ' -f1)\"",
            "true",
        ))

    def process(self, output: list[str]) -> FirewallState:
        values = dict(line.split("=", 1) for line in output if "=" in line)
        return FirewallState(
            client=values.get("client", ""), ruleset=values.get("ruleset") or None,
            live=values.get("live") or None, recorded=values.get("recorded") or None,
            pending=values.get("pending") == "1",
        )

