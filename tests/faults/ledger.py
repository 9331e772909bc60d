"""How many bytes of backed-up data a fault cost: the figure every fault case reports.

Before the fault, :meth:`Ledger.take` lists each job's runs at each site (with the bytes
restic recorded for the snapshot). After it, :meth:`Ledger.lost_since` counts as lost

- every run taken before that no *sound* site holds any more (a site is sound when
  ``restic check`` passes on its copy), with the run's bytes;
- the newest run of a job when no site restores it byte for byte to its manifest
  (``ikzops drill`` from every site).

Data that one site lost and the other still has is not lost: that is what the mutual
backup is for (verify reports it as a replication gap).
"""

from __future__ import annotations

from dataclasses import dataclass

from ikzops import layout
from ikzops.agent import restic
from ikzops.orchestrate import drill as drills
from ikzops.progress import Recorder
from ikzops.runners import restic as runner
from ikzops.runners.ssh import connect

#: job -> site -> run id -> bytes
Runs = dict[str, dict[str, dict[str, int]]]


@dataclass
class Site:
    runs: dict[str, int]
    sound: bool


class Ledger:
    def __init__(self, p) -> None:
        self.p = p

    def _sites(self, job_name: str) -> dict[str, Site]:
        job = self.p.jobs[job_name]
        found = {}
        for destination in layout.destinations(self.p, job):
            repo = layout.local_repository(job, destination)
            with connect(self.p.hosts[destination.host]) as machine:
                listed = runner.run(machine, restic.snapshots(repo, tags=[f"ikz-job={job_name}"]), check=False,
                                    as_user=layout.REST_SERVER_USER)
                checked = runner.run(machine, restic.check(repo), check=False, as_user=layout.REST_SERVER_USER)
            runs = {
                restic.tag_value(s, "ikz-run") or s["id"]: int((s.get("summary") or {}).get("total_bytes_processed", 0))
                for s in restic.parse_snapshots(listed.stdout)
            } if listed.returncode == 0 else {}
            found[destination.site] = Site(runs, sound=listed.returncode == 0 and checked.returncode == 0)
        return found

    def take(self, jobs: tuple[str, ...] = ()) -> Runs:
        return {job: {site: s.runs for site, s in self._sites(job).items()} for job in jobs or tuple(self.p.jobs)}

    def lost_since(self, before: Runs, *, drill: bool = True, retired: frozenset[str] = frozenset()) -> int:
        """Bytes lost since ``before``; ``retired``: runs the job's retention policy was due to forget."""

        lost = 0
        for job, sites_before in before.items():
            now = self._sites(job)
            held = set().union(*(s.runs for s in now.values() if s.sound))
            taken = {run: size for runs in sites_before.values() for run, size in runs.items()}
            lost += sum(size for run, size in taken.items() if run not in held and run not in retired)
            if drill and taken and not self.restorable(job, now):
                lost += taken[max(taken)]
        return lost

    def restorable(self, job: str, sites: dict[str, Site]) -> bool:
        """Does some site restore the job's newest snapshot byte for byte (a drill, own site included)?"""

        return any(drills.drill_one(self.p, self.p.jobs[job], site, snapshot=None, progress=Recorder()).verdict == "passed"
                   for site in sites)
