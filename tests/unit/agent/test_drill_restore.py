"""Which snapshot a drill restores, and its guess before the listing (agent/drill_restore.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from ikzops.agent.drill_restore import choose, drill, make_scratch, newest_arrival

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def snapshot(ident: str, time: str) -> dict:
    return {"id": ident, "short_id": ident[:8], "time": time}


GOOD_OLD = snapshot("aa" * 32, "2026-11-24T12:00:00.123456789Z")
GOOD_NEW = snapshot("bb" * 32, "2026-11-25T11:00:00Z")
FORGED = snapshot("cc" * 32, "2999-01-01T00:00:00Z")


def test_without_an_id_the_newest_snapshot_not_dated_in_the_future_is_chosen():
    assert choose([GOOD_OLD, FORGED, GOOD_NEW], None, NOW) == GOOD_NEW


def test_a_snapshot_named_by_its_short_id_is_chosen_even_if_older():
    assert choose([GOOD_OLD, GOOD_NEW], "aaaaaaaa", NOW) == GOOD_OLD


def test_a_future_dated_snapshot_named_by_its_id_is_still_drilled():
    assert choose([GOOD_OLD, FORGED], FORGED["id"], NOW) == FORGED


def test_when_every_snapshot_is_dated_in_the_future_the_newest_of_them_is_chosen():
    later = snapshot("dd" * 32, "3000-01-01T00:00:00Z")
    assert choose([FORGED, later], None, NOW) == later


def test_an_id_no_snapshot_has_chooses_none():
    assert choose([GOOD_OLD, GOOD_NEW], "ee", NOW) is None
    assert choose([], None, NOW) is None


def test_the_guess_is_the_snapshot_file_written_last(tmp_path):
    (tmp_path / "snapshots").mkdir()
    for age, name in ((30, "11" * 32), (10, "22" * 32), (20, "33" * 32)):
        path = tmp_path / "snapshots" / name
        path.write_text("")
        moment = NOW.timestamp() - age
        os.utime(path, (moment, moment))
    assert newest_arrival(str(tmp_path)) == "22" * 32


def test_a_bucket_or_an_empty_repository_gives_no_guess(tmp_path):
    assert newest_arrival("s3:https://gateway:7480/bucket") is None
    (tmp_path / "snapshots").mkdir()
    assert newest_arrival(str(tmp_path)) is None


def test_the_scratch_directory_is_traversable_and_its_restore_target_private(tmp_path):
    target = make_scratch(str(tmp_path / "ikzops-drill-1"), None)
    assert os.stat(tmp_path / "ikzops-drill-1").st_mode & 0o777 == 0o711
    assert target == str(tmp_path / "ikzops-drill-1" / "restore")
    assert os.stat(target).st_mode & 0o777 == 0o700


def test_a_scratch_directory_that_exists_already_is_an_error_and_nothing_is_restored(tmp_path):
    (tmp_path / "ikzops-drill-1").mkdir()
    result = drill(str(tmp_path / "ikzops-drill-1"), {"repository": str(tmp_path / "nothing")}, [])
    assert result["scratch_failed"] and "cannot make the scratch directory" in result["error"]
    assert os.listdir(tmp_path / "ikzops-drill-1") == []
