"""Runs a destination missed (it was down, or the run was stopped) are copied into it later.

A run marks itself as possibly missed before it starts (``catch-up-pending`` in the job's
state directory) and clears the mark when every destination got it; while the mark is
there, each run copies what a reachable destination lacks from one that has it
(``restic copy`` of the newest ``catch_up_runs`` runs).
"""

from __future__ import annotations

import os

from . import restic
from .destinations import DestinationResult, repository, run_against
from .execute import log, run
from .job_config import JobConfig


def _pending(state_dir: str) -> str:
    return os.path.join(state_dir, "catch-up-pending")


def expect_catch_up(state_dir: str) -> bool:
    """Mark the run as possibly missed until its results are in; return whether one already was."""

    pending = os.path.exists(_pending(state_dir))
    open(_pending(state_dir), "w").close()
    return pending


def settle_catch_up(state_dir: str, results: dict[str, DestinationResult], was_pending: bool) -> None:
    if not was_pending and all(r.ok for r in results.values()):
        os.unlink(_pending(state_dir))


def missing_runs(runs: dict[str, dict[str, str]], window: int) -> dict[str, list[str]]:
    """Per site, the run ids among the newest ``window`` runs anywhere that it lacks (pure)."""

    newest = sorted(set().union(*(r.keys() for r in runs.values())))[-window:]
    return {site: [run_id for run_id in newest if run_id not in held] for site, held in runs.items()}


def catch_up(config: JobConfig, results: dict[str, DestinationResult]) -> None:
    """Copy runs a reachable destination is missing from one that has them."""

    reachable = [d for d in config.destinations if results[d.site].ok]
    if len(reachable) < 2 or not os.path.exists(_pending(config.state_dir)):
        return
    complete = len(reachable) == len(config.destinations)
    runs: dict[str, dict[str, str]] = {}
    for destination in reachable:
        # a run that lost this destination midway could not remove its lock there; its
        # process is gone, so restic (on this same host) knows the lock is stale and
        # removes it: otherwise retention on the repository host waits 30 minutes for it
        run(restic.unlock(repository(config, destination)), timeout=300)
        listed = run(restic.snapshots(repository(config, destination), tags=[f"ikz-job={config.job}"]), timeout=300)
        if listed.returncode != 0:
            return
        runs[destination.site] = {
            restic.tag_value(s, "ikz-run"): s["id"] for s in restic.parse_snapshots(listed.stdout)
            if restic.tag_value(s, "ikz-run")
        }
    lacking = missing_runs(runs, config.catch_up_runs)
    for target in reachable:
        missing = lacking[target.site]
        for source in reachable:
            ids = [runs[source.site][r] for r in missing if r in runs[source.site]]
            if not ids:
                continue
            try:
                copied = run_against(config, target, restic.copy(repository(config, source),
                                                                 repository(config, target), ids), 3600)
            except RuntimeError as exc:
                log(f"{target.site}: catch-up from {source.site} stopped: {exc}")
                complete = False
                continue
            if copied.returncode == 0:
                done = [r for r in missing if r in runs[source.site]]
                results[target.site].caught_up.extend(done)
                missing = [r for r in missing if r not in done]
                log(f"{target.site}: caught up {len(done)} missed run(s) from {source.site}")
            else:
                log(f"{target.site}: catch-up from {source.site} failed: {restic.error_text(copied.stderr)}")
                complete = False
        if missing:
            complete = False
    if complete:
        os.unlink(_pending(config.state_dir))
