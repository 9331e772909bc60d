from ikzops.errors import ExitCode
from ikzops.orchestrate import recover


def entry(**fields) -> recover.PlannedJob:
    values = {"job": "j", "client": "c", "home_site": "a", "rto_seconds": 3600, "rpo_seconds": 3600, "priority": 100,
              "databases": []}
    return recover.PlannedJob(**{**values, **fields})


def test_paths_overlap_when_one_holds_the_other():
    assert recover._overlap("/srv/data", "/srv/data/x") and recover._overlap("/srv/data/", "/srv/data")
    assert not recover._overlap("/srv/data", "/srv/database")


def test_a_job_without_a_usable_copy_is_a_finding_and_without_a_host_a_config_error():
    usable = entry(run="r1", target_host="h")
    assert recover.RecoveryPlan("p", "a", "now", [usable]).exit_code == ExitCode.OK
    assert recover.RecoveryPlan("p", "a", "now", [usable, entry()]).exit_code == ExitCode.FINDING
    assert recover.RecoveryPlan("p", "a", "now", [entry(), entry(run="r1")]).exit_code == ExitCode.CONFIG


def test_the_estimate_scales_the_newest_measured_throughput_of_the_job():
    planned = entry(size_bytes=2_000_000)
    history = [{"job": "j", "kind": "drill", "verdict": "passed", "bytes": 1_000_000, "total_seconds": 4.0,
                "started": "2026-11-01", "from_site": "b"},
               {"job": "j", "kind": "restore", "verdict": "restored", "bytes": 1_000_000, "total_seconds": 2.0},
               {"job": "other", "kind": "drill", "verdict": "passed", "bytes": 1, "total_seconds": 100.0}]
    recover._estimate(history, planned)
    assert planned.estimate_seconds == 4.0 and planned.last_drill["verdict"] == "passed"


def test_commands_restore_files_below_the_directory_and_databases_under_their_names():
    planned = entry(job="city-db", run="r1", from_site="b", target_host="std", target_dir="/srv/ikzops-recovered/city-db",
                    databases=["housing"], database_names={"housing": "housing_a"})
    recover._commands("INV", planned)
    assert planned.commands == [
        "ikzops restore -i INV --job city-db --from b --snapshot r1 --to std:/srv/ikzops-recovered/city-db",
        "ikzops restore -i INV --job city-db --from b --snapshot r1 --database housing --as housing_a --to std",
    ]
