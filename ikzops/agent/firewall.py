"""Load a host's nftables table so that a bad one can never lock ikzops out.

``python3 -m ikzops_agent.firewall apply SECONDS``  check the candidate (``nft -c``), arm a
    rollback timer, load it; the timer puts the confirmed ruleset back after SECONDS
``python3 -m ikzops_agent.firewall confirm``        the deploy came back over a new SSH
    connection: disarm, and the candidate becomes the ruleset loaded at boot
``python3 -m ikzops_agent.firewall rollback``       what the timer runs (or on-call)
``python3 -m ikzops_agent.firewall remove``         the firewall was switched off: drop the table

Only the table ``inet ikzops`` is touched; other tables (docker's, an admin's) stay.
Exit codes: 0 done, 1 confirm came too late (rolled back), 2 the candidate is refused.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

TABLE = ("inet", "ikzops")
#: the confirmed ruleset, loaded at boot by ``ikzops-firewall.service``
RULESET = "/etc/ikzops/firewall.nft"
#: a new ruleset, until the deploy confirms it
CANDIDATE = "/etc/ikzops/firewall.nft.new"
#: sha256 of ``nft -s list table inet ikzops`` as confirmed (the live table drifting from
#: it is a change the next deploy undoes)
RECORDED = "/var/lib/ikzops/firewall.sha256"
UNIT = "ikzops-firewall"
ROLLBACK_UNIT = "ikzops-firewall-rollback"
AGENT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(message: str) -> None:
    print(f"ikzops firewall: {message}", file=sys.stderr, flush=True)


def nft(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["nft", *args], capture_output=True, text=True, check=False)


def live_digest() -> str | None:
    listed = nft("-s", "list", "table", *TABLE)
    return hashlib.sha256(listed.stdout.encode()).hexdigest() if listed.returncode == 0 else None


def systemctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["systemctl", *args], capture_output=True, text=True, check=False)


def disarm() -> None:
    systemctl("stop", f"{ROLLBACK_UNIT}.timer")
    systemctl("reset-failed", f"{ROLLBACK_UNIT}.timer", f"{ROLLBACK_UNIT}.service")


def arm(seconds: int) -> None:
    disarm()
    armed = subprocess.run(
        ["systemd-run", "--quiet", "--collect", f"--unit={ROLLBACK_UNIT}", f"--on-active={seconds}s",
         "--timer-property=AccuracySec=1s", f"--setenv=PYTHONPATH={AGENT_DIR}",
         "--description=ikzops: put the confirmed firewall back (the deploy did not confirm the new one)",
         sys.executable, "-m", "ikzops_agent.firewall", "rollback"],
        capture_output=True, text=True, check=False,
    )
    if armed.returncode != 0:
        raise OSError(f"cannot arm the rollback timer: {armed.stderr.strip()}")


def apply(seconds: int) -> int:
    checked = nft("-c", "-f", CANDIDATE)
    if checked.returncode != 0:
        log(f"nft refuses the new ruleset, nothing changed:\n{checked.stderr.strip()}")
        os.unlink(CANDIDATE)
        return 2
    arm(seconds)
    loaded = nft("-f", CANDIDATE)
    if loaded.returncode != 0:
        rollback()
        log(f"nft could not load the new ruleset, the confirmed one stays:\n{loaded.stderr.strip()}")
        return 2
    log(f"new ruleset loaded; back to the confirmed one in {seconds} s unless the deploy confirms it")
    return 0


def confirm() -> int:
    disarm()
    if not os.path.exists(CANDIDATE):
        log("nothing to confirm: the new ruleset was rolled back already (the deploy came back too late?)")
        return 1
    os.chmod(CANDIDATE, 0o600)
    os.replace(CANDIDATE, RULESET)
    record()
    log("new ruleset confirmed; it is the one loaded at boot")
    return 0


def record() -> None:
    os.makedirs(os.path.dirname(RECORDED), exist_ok=True)
    with open(RECORDED, "w", encoding="utf-8") as out:
        out.write((live_digest() or "") + "\n")


def rollback() -> int:
    disarm()
    if os.path.exists(RULESET):
        back = nft("-f", RULESET)
        if back.returncode != 0:
            log(f"cannot load the confirmed ruleset {RULESET}: {back.stderr.strip()}; dropping the table")
            nft("delete", "table", *TABLE)
    else:
        nft("delete", "table", *TABLE)
    if os.path.exists(CANDIDATE):
        os.unlink(CANDIDATE)
    log(f"rolled back to {RULESET if os.path.exists(RULESET) else 'no ikzops table (none was confirmed yet)'}")
    return 0


def remove() -> int:
    disarm()
    nft("delete", "table", *TABLE)
    for path in (RULESET, CANDIDATE, RECORDED):
        if os.path.exists(path):
            os.unlink(path)
    log("table inet ikzops removed")
    return 0


def main(argv: list[str]) -> int:
    match argv:
        case ["apply", seconds] if seconds.isdigit():
            return apply(int(seconds))
        case ["confirm"]:
            return confirm()
        case ["rollback"]:
            return rollback()
        case ["remove"]:
            return remove()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
