"""The capacity plan of a repository host: its volume, each partner's reservation and clients."""

from __future__ import annotations

from ikzops.model.partnership import Partnership
from ikzops.model.schema import RepositorySpec


def capacity_plan(p: Partnership, host_name: str) -> dict:
    volume = p.hosts[host_name].repository or RepositorySpec()
    site = p.hosts[host_name].site
    partners = {}
    for partner in p.sites:
        clients = sorted({
            job.client for job in p.jobs.values() if job.site == partner and site in job.destinations
        })
        partners[partner] = {"reserved_bytes": volume.reserve.get(partner, 0), "clients": clients}
    return {
        "partnership": p.name,
        "host": host_name,
        "path": volume.path,
        "size_bytes": volume.size,
        "partners": partners,
    }
