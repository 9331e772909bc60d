"""Which snapshots a user's word names (``--snapshot`` of restore, find)."""

from __future__ import annotations

from ikzops.runners.restic import Snapshots

RUN = "20261125T120000Z-ab12"
SNAPSHOTS = [
    {"id": "ab12" + "0" * 60, "time": "2026-11-24T12:00:00Z", "tags": ["ikz-job=files", "ikz-run=20261124T120000Z-9f9f"]},
    {"id": "cd34" + "0" * 60, "time": "2026-11-25T12:00:00Z", "tags": ["ikz-job=files", f"ikz-run={RUN}"]},
]


def test_a_run_id_names_the_snapshot_of_that_run():
    assert [s["id"][:4] for s in Snapshots(all=SNAPSHOTS).named(RUN)] == ["cd34"]


def test_an_id_prefix_names_the_snapshots_whose_id_starts_with_it():
    assert [s["id"][:4] for s in Snapshots(all=SNAPSHOTS).named("ab1")] == ["ab12"]


def test_a_word_that_is_neither_names_nothing():
    assert Snapshots(all=SNAPSHOTS).named("20261123T120000Z-0000") == []
