"""Each partner's use of its quota, as the sampling unit writes it (pure: a temporary tree)."""

from __future__ import annotations

import json

from ikzops.agent import quota


def plan(tmp_path) -> dict:
    return {"host": "repo", "partners": {
        "city": {"path": str(tmp_path / "city"), "quota_bytes": 1000},
        "town": {"path": str(tmp_path / "town"), "quota_bytes": None},
    }}


def test_used_bytes_add_up_every_file_below_the_partners_directory(tmp_path):
    (tmp_path / "city" / "app" / "files" / "data").mkdir(parents=True)
    (tmp_path / "city" / "app" / "files" / "config").write_bytes(b"x" * 10)
    (tmp_path / "city" / "app" / "files" / "data" / "ab").write_bytes(b"x" * 300)
    assert quota.used_bytes(str(tmp_path / "city")) == 310


def test_a_partner_without_repositories_yet_uses_nothing(tmp_path):
    assert quota.used_bytes(str(tmp_path / "town")) == 0


def test_the_textfile_has_use_and_quota_per_partner_and_no_quota_for_an_unlimited_one(tmp_path):
    (tmp_path / "city").mkdir()
    (tmp_path / "city" / "f").write_bytes(b"x" * 950)
    capacity = tmp_path / "capacity.json"
    capacity.write_text(json.dumps(plan(tmp_path)))
    assert quota.main([str(capacity), str(tmp_path)]) == 0
    text = (tmp_path / quota.TEXTFILE).read_text()
    assert 'ikzops_partner_quota_used_bytes{partner="city",host="repo"} 950' in text
    assert 'ikzops_partner_quota_bytes{partner="city",host="repo"} 1000' in text
    assert 'ikzops_partner_quota_used_bytes{partner="town",host="repo"} 0' in text
    assert 'ikzops_partner_quota_bytes{partner="town"' not in text


def test_an_unreadable_directory_is_reported_and_the_others_are_still_written(tmp_path, monkeypatch):
    (tmp_path / "city").mkdir()
    capacity = tmp_path / "capacity.json"
    capacity.write_text(json.dumps(plan(tmp_path)))

    def refuse(path):
        if path.endswith("town"):
            raise PermissionError(13, "Permission denied", path)
        return 0

    monkeypatch.setattr(quota, "used_bytes", refuse)
    assert quota.main([str(capacity), str(tmp_path)]) == 1
    assert 'partner="city"' in (tmp_path / quota.TEXTFILE).read_text()
