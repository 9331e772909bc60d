"""Units rated by the platform's own measure: `systemd-analyze security` on every lab host,
for every unit ikzops writes and every Debian unit it enables with a hardening drop-in.
That they still work is what the other lab tests prove (backups, dumps, retention,
alerts, restores)."""

from __future__ import annotations

import re

from ikzops import layout
from ikzops.firewall import nft
from ikzops.runners import restore_server
from tests.lab.helpers import sh

#: the goals of issue 15: units ikzops writes, the backup job (reads everything, runs
#: pg_dump as the database's user), Debian's units with ikzops' drop-in
IKZOPS_UNIT, BACKUP_JOB, DEBIAN_WITH_DROPIN = 2.0, 3.5, 3.0


def exposure(p, host: str, unit: str) -> float:
    text = sh(p, host, f"systemd-analyze security --no-pager {unit} | tail -1")
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", text)
    assert found, text
    return float(found.group(1))


def units(p) -> list[tuple[str, str, float]]:
    """(host, unit, goal) for every unit to rate."""

    rated = []
    for host in p.hosts.values():
        rated.append((host.name, "prometheus-node-exporter.service", DEBIAN_WITH_DROPIN))
        if p.firewall_on:
            rated.append((host.name, f"{nft.UNIT}.service", IKZOPS_UNIT))
        if "repository" in host.roles:
            rated.append((host.name, "ikzops-retention.service", IKZOPS_UNIT))
            rated.append((host.name, "ikzops-quota.service", IKZOPS_UNIT))
            rated += [(host.name, f"{i.unit}.service", IKZOPS_UNIT) for i in layout.rest_instances(p, host.name)]
        if "monitor" in host.roles:
            rated.append((host.name, "ikzops-alert-sink.service", IKZOPS_UNIT))
            rated.append((host.name, "prometheus-alertmanager.service", DEBIAN_WITH_DROPIN))
    for job in p.jobs.values():
        rated.append((job.client, f"{layout.unit_name(job.name)}.service", BACKUP_JOB))
    return rated


def test_every_unit_ikzops_writes_or_hardens_meets_its_exposure_goal(p, deployed_lab):
    scores = {(host, unit): exposure(p, host, unit) for host, unit, _ in units(p)}
    over = {f"{unit} on {host}": f"{scores[host, unit]} > {goal}" for host, unit, goal in units(p)
            if scores[host, unit] > goal}
    assert not over, over


def test_the_restore_servers_transient_unit_meets_the_goal(p, deployed_lab):
    destination = layout.destination(p, p.jobs["city-files"], "district")
    with restore_server.serving(p.hosts[destination.host], destination.path, "rated") as served:
        assert not served.error, served.error
        score = exposure(p, destination.host, "ikzops-restore-rated.service")
    assert score <= IKZOPS_UNIT


def test_debian_units_for_the_san_and_postgresql_meet_the_goal_with_their_drop_ins(p, deployed_lab):
    over = {f"{unit} on {host}": score for host, unit in (("city-san", "tgt.service"), ("district-san", "tgt.service"),
                                                           ("district-app", "postgresql@17-main.service"))
            if (score := exposure(p, host, unit)) > DEBIAN_WITH_DROPIN}
    assert not over, over
