"""``ikzops history``: list the records, collect them, prove the chains and copies."""

from __future__ import annotations

from ikzops.history import collect as copies
from ikzops.history import log
from ikzops.history.collect import Survey
from ikzops.model import loader


def verify(inventory: str) -> Survey:
    """Every chain and every copy checked; nothing is written."""

    return copies.survey(loader.load(inventory))


def collect(inventory: str) -> Survey:
    """New records to the control host, and every repository host's copy brought up to date."""

    return copies.collect(loader.load(inventory))


def records(inventory: str, *, kinds: tuple[str, ...] = (), jobs: tuple[str, ...] = (),
            since: str = "") -> tuple[str, list[dict]]:
    """The partnership's name and the records the control host holds, filtered, oldest first."""

    p = loader.load(inventory)
    return p.name, [r for r in log.records(p.name)
                    if (not kinds or r.get("kind") in kinds) and (not jobs or r.get("job") in jobs)
                    and (r.get("started") or "") >= since]
