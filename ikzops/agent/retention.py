"""Retention on a repository host, with local access: ``python3 -m ikzops_agent.retention``.

Runs as the rest-server's user (so pruned repositories stay readable by it), never
through the clients' append-only REST credentials. For each repository of
``/etc/ikzops/retention.json``: ``restic forget --keep-... --prune``. A repository that
does not exist yet is skipped. Exit 0 all done, 1 some failed.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone

from . import restic
from .backup_job import run

CONFIG = "/etc/ikzops/retention.json"


def main(argv: list[str]) -> int:
    with open(argv[0] if argv else CONFIG, encoding="utf-8") as handle:
        config = json.load(handle)
    status = 0
    report = {"started": datetime.now(timezone.utc).isoformat(), "repositories": {}}
    for entry in config["repositories"]:
        repo = restic.Repository(url=entry["path"], password_file=entry["password_file"],
                                 cache_dir=os.path.join(config["state_dir"], "cache"))
        if not os.path.exists(os.path.join(entry["path"], "config")):
            report["repositories"][entry["job"]] = {"status": "no repository yet"}
            continue
        try:
            done = run(restic.forget(repo, tags=[f"ikz-job={entry['job']}"], **entry["keep"]))
        except OSError as exc:
            status = 1
            report["repositories"][entry["job"]] = {"status": "failed", "error": str(exc)}
            continue
        if done.returncode == 0:
            removed = len(restic.parse_forget(done.stdout)[1])
            report["repositories"][entry["job"]] = {"status": "ok", "removed": removed}
            print(f"{entry['job']}: forgot {removed} snapshot(s), pruned", file=sys.stderr)
        else:
            status = 1
            report["repositories"][entry["job"]] = {
                "status": "failed", "error": f"{restic.meaning(done.returncode)}: {restic.error_text(done.stderr)}"}
            print(f"{entry['job']}: FAILED {report['repositories'][entry['job']]['error']}", file=sys.stderr)
    report["finished"] = datetime.now(timezone.utc).isoformat()
    os.makedirs(config["state_dir"], mode=0o700, exist_ok=True)
    with open(os.path.join(config["state_dir"], "last-run.json"), "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
