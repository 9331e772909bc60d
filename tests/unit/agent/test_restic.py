"""The restic runner's pure parts: argv, environment, JSON parsing."""

import json

from ikzops.agent import restic

REPO = restic.Repository(
    url="rest:https://10.0.0.1:8000/app/files", password_file="/etc/pw", cacert="/etc/ca.crt",
    rest_user="app", rest_password_file="/etc/rest.pw",
)


def test_backup_puts_flags_before_the_paths_and_no_secret_in_argv():
    inv = restic.backup(REPO, ["/srv/a", "-weird"], tags=["ikz-job=x"], host="app", exclude=["*.tmp"])
    assert inv.argv[:3] == ("restic", "--json", "backup")
    assert inv.argv[inv.argv.index("--"):] == ("--", "/srv/a", "-weird")
    assert inv.env["RESTIC_PASSWORD_FILE"] == "/etc/pw"
    assert inv.env_from_files == {"RESTIC_REST_PASSWORD": "/etc/rest.pw"}
    assert not any("pw" in arg for arg in inv.argv)


def test_copy_names_the_source_through_from_variables():
    source = restic.Repository(url="rest:https://a/x", password_file="/p1")
    inv = restic.copy(source, REPO, ["abc"])
    assert inv.env["RESTIC_FROM_REPOSITORY"] == "rest:https://a/x"
    assert inv.env["RESTIC_FROM_PASSWORD_FILE"] == "/p1"
    assert inv.env["RESTIC_REPOSITORY"] == REPO.url


def test_forget_groups_by_host_so_run_tags_do_not_split_groups():
    inv = restic.forget(REPO, keep_last=4, keep_daily=7, keep_weekly=0, keep_monthly=6, tags=["ikz-job=x"])
    assert inv.argv[inv.argv.index("--group-by") + 1] == "host"
    assert "--keep-weekly" not in inv.argv and "--prune" in inv.argv


def test_parse_backup_reads_the_summary_line():
    out = "\n".join([
        json.dumps({"message_type": "status", "percent_done": 0.5}),
        json.dumps({"message_type": "summary", "snapshot_id": "abc", "files_new": 3, "files_changed": 1,
                    "files_unmodified": 7, "data_added": 1234, "total_bytes_processed": 99, "total_duration": 1.5}),
    ])
    summary = restic.parse_backup(out)
    assert (summary.snapshot_id, summary.files_new, summary.data_added, summary.seconds) == ("abc", 3, 1234, 1.5)


def test_parse_forget_skips_prune_progress_lines():
    out = "[0:00] 100.00%  5 / 5 files deleted\n" + json.dumps(
        [{"keep": [{"id": "k1"}], "remove": [{"id": "r1"}, {"id": "r2"}]}]) + "\n[0:01] done\n"
    assert restic.parse_forget(out) == (["k1"], ["r1", "r2"])


def test_unknown_exit_code_is_treated_as_failure():
    assert restic.meaning(12) == "wrong repository password"
    assert restic.meaning(77) == "restic exited with 77"


def test_snapshot_time_reads_restics_nanoseconds():
    when = restic.snapshot_time("2026-11-23T08:49:44.448423762Z")
    assert (when.hour, when.microsecond, when.utcoffset().total_seconds()) == (8, 448423, 0)
    assert restic.snapshot_time("2026-11-23T08:49:44+01:00").utcoffset().total_seconds() == 3600


def test_commands_wait_for_a_lock_instead_of_failing_but_check_keeps_its_own():
    backup = restic.backup(REPO, ["/srv"], tags=[], host="app")
    assert backup.argv[2:5] == ("backup", "--retry-lock", "10m")
    assert restic.forget_snapshots(REPO, ["abc"]).argv[1:4] == ("forget", "--retry-lock", "30m")
    assert restic.dump(REPO, "abc", "/srv", archive=True).argv[1:4] == ("dump", "--retry-lock", "5m")
    assert restic.check(REPO).argv.count("--retry-lock") == 1


def test_a_restore_include_matches_only_that_path_even_with_glob_characters():
    argv = restic.restore_from_environment("abc", "/stage", ["/srv/data/report [draft]*.odt"])
    assert argv[argv.index("--include") + 1] == "/srv/data/report \\[draft\\]\\*.odt"
    assert "--no-cache" in argv and "--verbose=2" in argv


def test_an_s3_repository_takes_its_keys_from_files_never_from_argv():
    repo = restic.Repository(url="s3:https://rgw:7480/lab-job", password_file="/p", cacert="/ca",
                             s3_key_file="/k/id", s3_secret_file="/k/secret")
    invocation = restic.snapshots(repo, tags=["ikz-job=job"])
    assert invocation.env_from_files["AWS_ACCESS_KEY_ID"] == "/k/id"
    assert invocation.env_from_files["AWS_SECRET_ACCESS_KEY"] == "/k/secret"
    assert "RESTIC_REST_USERNAME" not in invocation.env and not any("/k/" in a for a in invocation.argv)


def test_the_gateways_quota_refusal_reads_as_quota_exceeded():
    said = restic.explain("Save(<data/ab>) returned error: client.PutObject: Error response code QuotaExceeded.")
    assert said.startswith("quota exceeded: the S3 gateway stores no more for this partner")


def test_the_gateways_refusal_to_delete_reads_as_what_clients_may_do():
    assert "clients may add data, not delete" in restic.explain("client.RemoveObject: Access Denied.")


def test_a_copy_between_a_rest_server_and_a_bucket_carries_both_sides_credentials():
    rest = restic.Repository(url="rest:https://city:8003/app/job", password_file="/p", rest_user="app",
                             rest_password_file="/etc/ikzops/rest.password")
    bucket = restic.Repository(url="s3:https://rgw:7480/lab-job", password_file="/p", s3_key_file="/k/id",
                               s3_secret_file="/k/secret")
    into_bucket = restic.copy(rest, bucket, ["abc"])
    assert into_bucket.env["RESTIC_REST_USERNAME"] == "app"
    assert into_bucket.env_from_files == {"AWS_ACCESS_KEY_ID": "/k/id", "AWS_SECRET_ACCESS_KEY": "/k/secret",
                                          "RESTIC_REST_PASSWORD": "/etc/ikzops/rest.password"}
    from_bucket = restic.copy(bucket, rest, ["abc"])
    assert from_bucket.env_from_files["AWS_ACCESS_KEY_ID"] == "/k/id" and from_bucket.env["RESTIC_FROM_REPOSITORY"].startswith("s3:")


def test_init_from_another_repository_copies_its_chunker_parameters():
    peer = restic.Repository(url="rest:https://district:8001/app/job", password_file="/p")
    inv = restic.init(REPO, chunker_from=peer)
    assert inv.argv[-2:] == ("init", "--copy-chunker-params")
    assert inv.env["RESTIC_FROM_REPOSITORY"] == peer.url and inv.env["RESTIC_REPOSITORY"] == REPO.url
