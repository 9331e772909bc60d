"""The whole story, for real: the city burns with the control host's secret store; the
district restores the city's jobs; the city is rebuilt and reseeded.

Stages, each timed (the README quotes ``.state/reports/site-loss-times.json``):
stop every city container and delete the secret store (and the drill records) as if they
burnt; recover the store from the district with the recovery sheet; ``recover plan``;
``recover run`` onto the district's standby (files and the housing database, same rows) and
the city-san's LUNs onto the district's storage host (the district's initiator reads the same
bytes through the same IQN and CHAP account); rebuild the city (containers removed with
their repository data, ``lab up``, ``deploy --allow-destroy``: the admins fail the LUNs back);
``reseed``; ``verify`` without a gap; a drill from the rebuilt city. The lab's own SSH key
(``.state/lab``) stands for the administrators' personal SSH access and is kept.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest
from click.testing import CliRunner

from ikzops import layout
from ikzops.agent import restic
from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.lab import manager
from ikzops.lab.seed import seed
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder
from ikzops.runners import restic as runner
from ikzops.runners.ssh import connect
from ikzops.secrets import sealed
from ikzops.secrets.store import SecretStore
from ikzops.state import state_root, write_file
from tests.lab.helpers import LAB, lun_md5, lun_write, sh

ROWS = "runuser -u postgres -- psql -qtA -d {db} -c 'SELECT count(*), sum(amount) FROM claims'"
SUMS = "cd {root} && find . -type f -print0 | sort -z | xargs -0 sha256sum"
#: the district's file server LUN, served by city-san
LUN = "district-fileserver"


def ikzops(*args: str, stdin: str | None = None):
    """``ikzops COMMAND [SUBCOMMAND] -i LAB ARGS...``"""

    words = 2 if args[0] in ("recover", "secrets") else 1
    return CliRunner().invoke(cli, [*args[:words], "-i", LAB, *args[words:]], input=stdin)


@pytest.mark.fault("site")
def test_losing_the_city_with_the_control_hosts_secrets_loses_nothing(deployed_lab, p, tmp_path):
    times: dict[str, float] = {}
    made = ikzops("secrets", "recovery-key", "--force")
    sheet = next(line for line in made.stdout.splitlines() if line.startswith(sealed.SHEET_PREFIX))
    assert not deploys.deploy(LAB).errors  # deposits the store sealed to that key
    lun_write(p, "district-app", LUN, 64 << 20, 4 << 20)
    lun_before = lun_md5(p, "district-app", LUN)
    assert backups.exit_code(backups.backup(LAB, (), Recorder())) == ExitCode.OK
    files_before = sh(p, "city-app", SUMS.format(root="/srv/data"))
    rows_before = sh(p, "city-app", ROWS.format(db="housing"))
    store, reports = SecretStore(p.name).root, state_root() / "reports" / p.name
    kept = tmp_path / "kept"
    shutil.copytree(store, kept / "store")
    city = [f"ikzops-{p.name}-{h.name}" for h in p.hosts_in("city")]
    try:
        # the fire
        subprocess.run(["docker", "stop", "-t", "5", *city], check=True, capture_output=True)
        shutil.rmtree(store)
        if reports.exists():
            shutil.move(reports, kept / "reports")

        clock = time.monotonic()
        recovered = ikzops("secrets", "recover", "--from", "district", "--key-file", "-", stdin=sheet + "\n")
        times["secrets recover --from district"] = round(time.monotonic() - clock, 1)
        assert recovered.exit_code == 0, recovered.output

        clock = time.monotonic()
        planned = ikzops("recover", "plan", "--lost", "city", "--json")
        times["recover plan --lost city"] = round(time.monotonic() - clock, 1)
        assert planned.exit_code == 0, planned.output
        assert [j["job"] for j in json.loads(planned.stdout)["jobs"]] == ["city-files", "city-db", "city-san-luns"]

        clock = time.monotonic()
        ran = ikzops("recover", "run", "--lost", "city", "--yes")
        times["recover run --lost city --yes"] = round(time.monotonic() - clock, 1)
        assert ran.exit_code == 0, ran.output
        assert sh(p, "district-app", SUMS.format(root="/srv/ikzops-recovered/city-files/srv/data")) == files_before
        assert sh(p, "district-app", ROWS.format(db="housing")) == rows_before
        assert lun_md5(p, "district-app", LUN, served_by="district-san") == lun_before

        # the rebuild: new containers, empty repositories
        clock, rebuilt = time.monotonic(), int(time.time())
        subprocess.run(["docker", "rm", "-f", *city], check=True, capture_output=True)
        manager.up(Recorder())
        # the rebuilt city-san serves its LUNs again; their restored copies at the district go
        assert not deploys.deploy(LAB, allow_destroy=True).errors
        times["rebuild the city (lab up + deploy)"] = round(time.monotonic() - clock, 1)
        # the partners' directories are back, empty: no repository older than the rebuild in them
        # (the district's next backup may already have made one: its timers keep running)
        volume = layout.volume(p, "city-san").path
        assert sh(p, "city-san", f"find {volume} -name config ! -newermt @{rebuilt - 1} | wc -l").strip() == "0"

        clock = time.monotonic()
        reseeded = ikzops("reseed", "--site", "city")
        times["reseed --site city"] = round(time.monotonic() - clock, 1)
        assert reseeded.exit_code == 0, reseeded.output

        verified = ikzops("verify", "--json")
        assert verified.exit_code == 0, verified.output
        assert all(r["missing_runs"] == [] for r in json.loads(verified.stdout)["repositories"])
        # whoever made the city's repositories again (reseed, or a backup of the district's
        # jobs in between), each deduplicates with its copy at the district
        for job in p.jobs.values():
            if "city" in job.destinations and "district" in job.destinations:
                assert _chunker(p, job, "city") == _chunker(p, job, "district"), job.name
        drilled = ikzops("drill", "--from", "city")
        assert drilled.exit_code == 0, drilled.output
        write_file(state_root() / "reports" / "site-loss-times.json", json.dumps(times, indent=2) + "\n")
        print(times)
    finally:
        subprocess.run(["docker", "start", *city], capture_output=True)
        if (kept / "reports").exists():
            shutil.rmtree(reports, ignore_errors=True)
            shutil.copytree(kept / "reports", reports, dirs_exist_ok=True)
        if not store.exists():
            shutil.copytree(kept / "store", store)
        manager.up(Recorder())
        deploys.deploy(LAB, allow_destroy=True)
        seed(Recorder(), LAB)
        sh(p, "district-app", "rm -rf /srv/ikzops-recovered; runuser -u postgres -- dropdb --if-exists housing")


def _chunker(p, job, site: str) -> str:
    """The chunker polynomial of ``job``'s repository at ``site``, read on its repository host."""

    destination = layout.destination(p, job, site)
    repo = layout.local_repository(job, destination)
    with connect(p.hosts[destination.host]) as machine:
        config = runner.run(machine, restic.cat_config(repo), as_user=layout.REST_SERVER_USER)
    return json.loads(config.stdout)["chunker_polynomial"]
